"""The layout keeps showing the design: feature folders stay small, and a prefix shared
by three modules means they want a folder of their own (issue 18's bars)."""

from __future__ import annotations

import re
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


def page_reach_backs(root: Path) -> list[str]:
    """Lines where a part of the Chat page reaches into the page object instead of its ChatSession."""
    found = []
    chat_parts = [*(root / "ui" / "chat").rglob("*.py"), root / "ui" / "speculative" / "chat_panel.py"]
    for path in sorted(p for p in chat_parts if p.exists()):
        if path == root / "ui" / "chat" / "page.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\bpage\.\w", line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    return found


def untyped_requests(root: Path) -> list[str]:
    found = []
    packages = [root / name for name in ("runtimes", "app", "ui") if (root / name).is_dir()]
    paths = [path for package in packages for path in package.rglob("*.py")]
    for path in sorted(paths):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\b(request|options): Any\b|isinstance\(request\b", line):
                found.append(f"{path.relative_to(root)}:{number}")
    return found


def test_chat_parts_do_not_reach_into_the_page():
    assert page_reach_backs(REPO_ROOT) == []


def test_requests_and_load_options_are_typed():
    assert untyped_requests(REPO_ROOT) == []


def test_the_greps_catch_a_reach_back_and_an_untyped_request(tmp_path):
    (tmp_path / "ui" / "chat").mkdir(parents=True)
    (tmp_path / "ui" / "chat" / "replies.py").write_text("x = self.page.transcript\n")
    (tmp_path / "runtimes").mkdir()
    (tmp_path / "runtimes" / "session.py").write_text("def run(self, request: Any):\n    pass\n")
    assert page_reach_backs(tmp_path) == ["replies.py:1: x = self.page.transcript"]
    assert untyped_requests(tmp_path) == ["runtimes/session.py:1"]
