"""``workbench rpc-host``: share this machine's devices with another machine's workbench."""

from __future__ import annotations

import argparse
import sys

from app.rpc.supervisor import RpcHost, RpcHostConfig
from runtimes.llama_cpp.rpc.endpoints import DEFAULT_PORT

HELP = "serve this machine's devices to other machines with llama.cpp's rpc-server"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("rpc-host", help=HELP, description=HELP + ". On the main machine: --rpc HOST:PORT.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--device", default="", help="comma-separated devices to share (default: all accelerators)")
    parser.add_argument("-t", "--threads", type=int, default=None, help="CPU threads when the CPU is shared")
    parser.add_argument("--cache", action="store_true", help="cache large tensors in a local file (faster reloads)")
    parser.add_argument("--allow-network", action="store_true",
                        help="confirm binding a non-loopback address: RPC is unauthenticated, trusted networks only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    devices = tuple(d.strip() for d in args.device.split(",") if d.strip())
    config = RpcHostConfig(args.host, args.port, devices, args.threads, args.cache, args.allow_network)
    host = RpcHost(config)  # refuses a non-loopback bind without --allow-network
    if host.warning:
        print(f"WARNING: {host.warning}", file=sys.stderr)
    try:
        for device in host.start():
            print(f"{device.name}\t{device.memory_free / 2**20:.0f} MiB free of {device.memory_total / 2**20:.0f} MiB")
        print(f"rpc-server listening on {config.endpoint} (pid {host.process.pid}); "
              f"on the main machine: --rpc {host.client_endpoint()}. Ctrl+C stops it.", flush=True)
        host.wait()
    finally:
        host.stop()
    return 0
