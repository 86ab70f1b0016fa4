"""workbench runtimes: what is registered, available, and on which devices."""

from __future__ import annotations

import argparse
import json

from app.build_flavour import read_flavour
from runtimes.registry import all_runtimes

HELP = "list runtimes with their availability, devices and capabilities"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("runtimes", help=HELP, description=HELP)
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def describe() -> list[dict]:
    result = []
    for runtime in all_runtimes():
        availability = runtime.availability()
        devices = runtime.devices() if availability.ok else []
        result.append(
            {
                "name": runtime.name,
                "available": availability.ok,
                "reason": availability.reason,
                "capabilities": sorted(c.value for c in runtime.capabilities),
                "devices": [
                    {
                        "id": d.id,
                        "kind": d.kind,
                        "description": d.description,
                        "memory_total": d.memory_total,
                        "available": d.available,
                        "reason": d.reason,
                    }
                    for d in devices
                ],
            }
        )
    return result


def run(args: argparse.Namespace) -> int:
    runtimes = describe()
    if args.json:
        print(json.dumps(runtimes, indent=2))
        return 0
    print(f"build: {read_flavour().describe()}")
    for r in runtimes:
        state = "available" if r["available"] else "unavailable"
        print(f"{r['name']}: {state} - {r['reason']}")
        print(f"  capabilities: {', '.join(r['capabilities'])}")
        for d in r["devices"]:
            # A device the runtime knows but cannot use here says why (once, when the runtime already did).
            reason = "see above" if d["reason"] == r["reason"] else d["reason"]
            why = "" if d["available"] else f" - unavailable: {reason}"
            memory = f", {d['memory_total'] / 2**20:.0f} MiB" if d["memory_total"] else ""
            print(f"  device {d['id']} ({d['kind']}): {d['description']}{memory}{why}")
    return 0
