"""workbench generate MODEL -p PROMPT: stream text, end with a stats line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.format import stats_line
from app.cli.load_args import add_load_args, add_sampling_args, load_options, sampling
from app.cli.spec_args import add_spec_args, warn_about_draft
from app.cli.vision_args import add_vision_args, images, report_vision, vision_options
from app.spec_report import spec_summary
from runtimes.base import CancelToken
from runtimes.events import Done, Error, Token
from runtimes.registry import get_runtime
from runtimes.requests import TextRequest

HELP = "generate text from a prompt"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF file")
    parser.add_argument("-p", "--prompt", required=True)
    parser.add_argument("--chat", action="store_true", help="send the prompt as a user message via the chat template")
    parser.add_argument("-sys", "--system-prompt", default=None, help="system message (implies --chat)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with text and stats")
    add_load_args(parser)
    add_sampling_args(parser)
    add_spec_args(parser)
    add_vision_args(parser)
    parser.set_defaults(handler=run)


def build_request(args: argparse.Namespace) -> TextRequest:
    if args.chat or args.system_prompt or args.image:
        messages = [{"role": "system", "content": args.system_prompt}] if args.system_prompt else []
        messages.append({"role": "user", "content": args.prompt, **({"images": images(args)} if args.image else {})})
        return TextRequest(messages=messages, sampling=sampling(args))
    return TextRequest(prompt=args.prompt, sampling=sampling(args))


def run(args: argparse.Namespace) -> int:
    request = build_request(args)
    warn_about_draft(args, str(args.model))
    cancel = CancelToken()
    pieces: list[str] = []
    done: Done | Error | None = None
    session = get_runtime("llama.cpp").load(args.model, vision_options(args, load_options(args)))
    report_vision(session.info, bool(args.image))
    try:
        events = session.run(request, cancel)
        try:
            for event in events:
                if isinstance(event, Token):
                    pieces.append(event.text)
                    if not args.json:
                        sys.stdout.write(event.text)
                        sys.stdout.flush()
                elif isinstance(event, Error):
                    print(f"\nworkbench: error: {event.message}", file=sys.stderr)
                    return 1
                elif isinstance(event, Done):
                    done = event
        except KeyboardInterrupt:
            cancel.cancel()
            done = next(e for e in events if isinstance(e, (Done, Error)))
        if not isinstance(done, Done):
            return 1
        stats = done.stats
        stats.load_s = session.stats.load_seconds
        if args.json:
            print(json.dumps({"text": "".join(pieces), "stats": stats.as_dict()}, indent=2))
        else:
            print(f"\n\n[{stats_line(stats)} | load {stats.load_s:.2f} s]", file=sys.stderr)
            if stats.speculative:
                print(f"[{spec_summary(stats.speculative)}]", file=sys.stderr)
        return 0
    finally:
        session.close()
