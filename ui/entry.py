"""The ``workbench`` console script: no command opens the desktop app, any
command runs headless through app.cli (which never imports Qt)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from app.cli.main import main as cli_main

        return cli_main(argv)
    from ui.app import run_app

    return run_app()
