"""How a comparison row names its file: quant type, recipe (from the file's metadata) and KV type.

``workbench quantize --recipe`` writes the recipe into the GGUF
(``workbench.recipe`` and ``workbench.recipe.rules``); rows read it back here
so the table, the plots and the recommendation can say which recipe made a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.quantize.recipes import NAME_KEY, RULES_KEY


def recipe_of(path: Path) -> tuple[str | None, str | None]:
    """(recipe name, resolved rules) recorded in a GGUF, or (None, None)."""
    from models.gguf.validate import validate_gguf

    try:
        meta = validate_gguf(path).metadata
    except Exception:  # noqa: BLE001 - a moved or unreadable file just has no recipe to show
        return None, None
    name, rules = meta.get(NAME_KEY), meta.get(RULES_KEY)
    return (name if isinstance(name, str) else None), (rules if isinstance(rules, str) else None)


def with_recipes(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``recipe``/``recipe_rules`` filled in from their files (once per file)."""
    seen: dict[str, tuple[str | None, str | None]] = {}
    out = []
    for record in records:
        if "recipe" not in record:
            file = record["file"]
            if file not in seen:
                seen[file] = recipe_of(Path(file))
            record = {**record, "recipe": seen[file][0], "recipe_rules": seen[file][1]}
        out.append(record)
    return out


def variant_label(record: dict[str, Any]) -> str:
    """``Q4_K_M``, ``Q4_K_M+quality``, ``Q4_K_M+quality @ q8_0 KV``."""
    name = record.get("quant") or Path(record["file"]).stem
    if record.get("recipe"):
        name += f"+{record['recipe']}"
    if record.get("kv") and record["kv"] != "f16":
        name += f" @ {record['kv']} KV"
    return name
