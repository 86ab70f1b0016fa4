"""The layout keeps showing the design: feature folders stay small, and a prefix shared
by three modules means they want a folder of their own (issue 18's bars)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from tests.support.paths import REPO_ROOT

PACKAGES = ("app", "models", "runtimes", "ui", "tools")
MAX_MODULES = 15
# One module per CLI command is the CLI's own layout.
EXEMPT = {"app/cli"}


def modules_by_folder(root: Path) -> dict[str, list[str]]:
    folders: dict[str, list[str]] = defaultdict(list)
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            if "__pycache__" in path.parts:
                continue
            folders[path.parent.relative_to(root).as_posix()].append(path.stem)
    return folders


def crowded_folders(folders: dict[str, list[str]]) -> list[str]:
    return [f"{folder}: {len(names)} modules" for folder, names in sorted(folders.items())
            if folder not in EXEMPT and len(names) > MAX_MODULES]


def prefix_groups(folders: dict[str, list[str]]) -> list[str]:
    found = []
    for folder, names in sorted(folders.items()):
        if folder in EXEMPT:
            continue
        prefixes = Counter(name.split("_")[0] for name in names if "_" in name.strip("_"))
        found += [f"{folder}: {prefix}_* x{count}" for prefix, count in prefixes.items() if count >= 3]
    return found


def test_no_package_folder_holds_more_than_fifteen_modules():
    assert crowded_folders(modules_by_folder(REPO_ROOT)) == []


def test_no_prefix_stands_in_for_a_folder():
    assert prefix_groups(modules_by_folder(REPO_ROOT)) == []


def test_the_checks_catch_a_flat_folder():
    flat = {"models": [f"demo_{i}" for i in range(16)]}
    assert crowded_folders(flat) == ["models: 16 modules"]
    assert prefix_groups(flat) == ["models: demo_* x16"]
