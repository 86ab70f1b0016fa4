"""The core must never import Qt: import-linter enforces it, and we check
that the contract really catches a violation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def test_project_keeps_its_import_contracts():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_contract_fails_when_the_core_imports_qt(tmp_path):
    for package in ("app", "runtimes", "models", "ui"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "models" / "sneaky.py").write_text("import PySide6.QtCore\n")
    # Only the Qt contract: the feature contracts name folders this tiny tree lacks.
    config = (ROOT / "pyproject.toml").read_text()
    qt_contract_end = config.index("[[tool.importlinter.contracts]]", config.index("never imports Qt"))
    (tmp_path / "pyproject.toml").write_text(config[:qt_contract_end])
    result = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "never imports Qt" in result.stdout
