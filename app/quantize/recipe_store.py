"""The shipped recipe presets plus the user's own, saved as JSON in the config folder."""

from __future__ import annotations

import json
from pathlib import Path

from app.errors import RecipeError
from app.paths import config_dir
from app.quantize.recipes import PRESETS, Recipe, parse_rules

_FILE = "quant-recipes.json"


def store_path() -> Path:
    return config_dir() / _FILE


def user_recipes(path: Path | None = None) -> list[Recipe]:
    path = path or store_path()
    if not path.is_file():
        return []
    try:
        items = json.loads(path.read_text())
        return [Recipe(i["name"], parse_rules(i["rules"]), i.get("description", "")) for i in items]
    except (ValueError, KeyError, TypeError, RecipeError) as exc:
        raise RecipeError(f"{path} is not a readable recipe list ({exc}); fix or remove it") from exc


def all_recipes(path: Path | None = None) -> list[Recipe]:
    return [*PRESETS, *user_recipes(path)]


def find_recipe(name: str, path: Path | None = None) -> Recipe:
    recipes = all_recipes(path)
    for recipe in recipes:
        if recipe.name == name:
            return recipe
    raise RecipeError(f"no recipe named {name!r}; known: {', '.join(r.name for r in recipes)}")


def recipe_from_arg(value: str, path: Path | None = None) -> Recipe:
    """A saved recipe's name, or inline rules (``output.weight=q8_0,attn_=+1``) as an unnamed "custom" one."""
    if "=" not in value:
        return find_recipe(value, path)
    return Recipe("custom", parse_rules(value))


def save_recipe(recipe: Recipe, path: Path | None = None) -> Path:
    """Adds or replaces a user recipe; the presets' names are taken."""
    path = path or store_path()
    if any(p.name == recipe.name for p in PRESETS) or recipe.name == "custom":
        raise RecipeError(f"{recipe.name!r} is a shipped preset's name; choose another")
    kept = [r for r in user_recipes(path) if r.name != recipe.name] + [recipe]
    path.parent.mkdir(parents=True, exist_ok=True)
    items = [{"name": r.name, "rules": r.text(), "description": r.description} for r in kept]
    part = path.with_name(path.name + ".part")
    part.write_text(json.dumps(items, indent=2))
    part.replace(path)
    return path


def delete_recipe(name: str, path: Path | None = None) -> None:
    path = path or store_path()
    kept = [r for r in user_recipes(path) if r.name != name]
    items = [{"name": r.name, "rules": r.text(), "description": r.description} for r in kept]
    path.write_text(json.dumps(items, indent=2))
