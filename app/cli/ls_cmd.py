"""workbench ls: the library under the names `workbench serve` answers to, with size and quant,
marking what a running server has loaded (as `lms ls` and `ollama list` do)."""

from __future__ import annotations

import argparse
import json

from app.cli.format import mib
from app.server.library import library_models
from app.server.session import default_workdir
from app.server.state import running_server

HELP = "list library models by their served names; mark those loaded in `workbench serve`"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("ls", help=HELP, description=HELP)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    models = library_models()
    statuses = _server_statuses()
    rows = [{"name": m.name, "size_bytes": m.size_bytes, "quant": m.quant, "source": m.source,
             "path": str(m.path), "status": (statuses or {}).get(m.name, "")} for m in models]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("The library is empty: download a model (workbench pull) or put GGUF files in the models folder.")
        return 0
    width = max(len(r["name"]) for r in rows)
    print(f"{'NAME':<{width}}  {'SIZE':>9}  {'QUANT':<8}  {'SOURCE':<11}  SERVER")
    for r in rows:
        print(f"{r['name']:<{width}}  {mib(r['size_bytes']):>9}  {r['quant']:<8}  {r['source']:<11}  {r['status']}")
    if statuses is None:
        print("(no server running: `workbench serve`)")
    return 0


def _server_statuses() -> dict[str, str] | None:
    found = running_server(default_workdir())
    if found is None:
        return None
    import httpx

    from app.server.control import RouterClient

    client = RouterClient(*found)
    try:
        return {m.name: m.status for m in client.models() if m.status != "unloaded"}
    except httpx.HTTPError:
        return None
    finally:
        client.close()
