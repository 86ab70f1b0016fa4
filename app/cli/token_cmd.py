"""workbench hf-token status|set|clear: the Hugging Face token for gated repositories.

``set`` reads the token from a hidden prompt (or stdin when piped), never from
the command line, so it stays out of shell history and process listings.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from models.hub.token import delete_token, store_token, token_status

HELP = "show, store (OS keyring) or remove the Hugging Face token"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hf-token", help=HELP, description=HELP)
    parser.add_argument("action", choices=("status", "set", "clear"), nargs="?", default="status")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "set":
        token = getpass.getpass("Hugging Face token: ") if sys.stdin.isatty() else sys.stdin.readline()
        store_token(token)
        print("token stored in the OS keyring")
    elif args.action == "clear":
        print("token removed from the OS keyring" if delete_token() else "no token in the OS keyring")
    status = token_status()
    where = {"keyring": "OS keyring", "huggingface_hub": "HF_TOKEN or the hf login file"}.get(status.source)
    print(f"token: {status.redacted}" + (f" (from the {where})" if where else ""))
    print(f"keyring: {status.keyring_backend or 'unavailable - ' + status.keyring_reason}")
    return 0
