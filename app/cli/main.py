"""Headless ``workbench`` subcommands (``ui.shell.entry`` opens the app when none is given)."""

from __future__ import annotations

import argparse
import sys

from app.cli import (
    arena_cmd,
    bench_cmd,
    compare_cmd,
    demo_cmd,
    fit_cmd,
    generate_cmd,
    imatrix_cmd,
    infer_cmd,
    inspect_cmd,
    ls_cmd,
    pull_cmd,
    quantize_cmd,
    rpc_host_cmd,
    runtimes_cmd,
    selftest_cmd,
    serve_cmd,
    spec_bench_cmd,
    token_cmd,
    transcribe_cmd,
    voice_cmd,
)
from models.errors import WorkbenchError

COMMANDS = (
    generate_cmd,
    inspect_cmd,
    infer_cmd,
    bench_cmd,
    runtimes_cmd,
    demo_cmd,
    compare_cmd,
    arena_cmd,
    quantize_cmd,
    imatrix_cmd,
    pull_cmd,
    fit_cmd,
    rpc_host_cmd,
    selftest_cmd,
    token_cmd,
    spec_bench_cmd,
    voice_cmd,
    transcribe_cmd,
    serve_cmd,
    ls_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="On-device inference workbench. Run without a command to open the app.",
    )
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            build_parser().print_help()
            return 0
        return handler(args)
    except (WorkbenchError, ValueError, OSError) as exc:
        print(f"workbench: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
