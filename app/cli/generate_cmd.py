"""workbench generate MODEL -p PROMPT (or -f FILE): stream text, end with a stats line.

A plain prompt is tokenized as llama-cli does (special tokens parsed); --chat
renders it with the model's template, or --chat-template NAME (a llama.cpp
built-in); a model without a template gets the built-in for its architecture."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.cli.format import stats_line
from app.cli.load_args import add_load_args, add_sampling_args, load_options, sampling
from app.cli.spec_args import add_spec_args, warn_about_draft
from app.cli.vision_args import add_vision_args, images, report_vision, vision_options
from app.speculative.report import spec_summary
from runtimes.base import CancelToken
from runtimes.events import Done, Error, Token
from runtimes.llama_cpp.templates import check_template_name
from runtimes.registry import get_runtime
from runtimes.requests import TextRequest

HELP = "generate text from a prompt"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("generate", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="GGUF file")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("-p", "--prompt")
    source.add_argument("-f", "--file", type=Path, help="read the prompt from a file (UTF-8, as llama-cli -f)")
    parser.add_argument("--chat", action="store_true", help="send the prompt as a user message via the chat template")
    parser.add_argument(
        "--chat-template", metavar="NAME", default="",
        help="llama.cpp built-in chat template to use instead of the model's (implies --chat), e.g. chatml, gemma",
    )
    parser.add_argument("-sys", "--system-prompt", default=None, help="system message (implies --chat)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with text and stats")
    add_load_args(parser)
    add_sampling_args(parser)
    add_spec_args(parser)
    add_vision_args(parser)
    parser.set_defaults(handler=run)


def prompt_text(args: argparse.Namespace) -> str:
    if args.file is None:
        return args.prompt
    text = args.file.read_text(encoding="utf-8")
    return text[:-1] if text.endswith("\n") else text  # llama-cli drops one trailing newline too


def is_chat(args: argparse.Namespace) -> bool:
    return bool(args.chat or args.chat_template or args.system_prompt or args.image)


def build_request(args: argparse.Namespace) -> TextRequest:
    prompt = prompt_text(args)
    if is_chat(args):
        if args.chat_template:
            check_template_name(args.chat_template)  # before the model loads: a typo costs nothing
        messages = [{"role": "system", "content": args.system_prompt}] if args.system_prompt else []
        messages.append({"role": "user", "content": prompt, **({"images": images(args)} if args.image else {})})
        return TextRequest(messages=messages, sampling=sampling(args), chat_template=args.chat_template)
    return TextRequest(prompt=prompt, sampling=sampling(args))


def run(args: argparse.Namespace) -> int:
    request = build_request(args)
    warn_about_draft(args, str(args.model))
    cancel = CancelToken()
    pieces: list[str] = []
    done: Done | Error | None = None
    session = get_runtime("llama.cpp").load(args.model, vision_options(args, load_options(args)))
    report_vision(session.info, bool(args.image))
    if is_chat(args) and not args.chat_template and session.info.get("chat_template_note"):
        print(f"workbench: {session.info['chat_template_note']}", file=sys.stderr)
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
