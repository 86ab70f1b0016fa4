"""workbench serve [MODEL ...]: serve the library over OpenAI- and Anthropic-compatible HTTP.

llama.cpp's llama-server (router mode) answers every request; this command names the models,
starts and supervises it, enforces the memory budget and prints its request log."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from app.cli.format import mib
from app.cli.load_args import rpc_endpoints_arg
from app.server.config import DEFAULT_HOST, DEFAULT_PORT, KEY_ENV, ServeConfig, exposure_warning, resolve_api_key
from app.server.library import models_to_serve
from app.server.process import ServerEvent
from app.server.session import ServeSession
from app.server.state import clear_state, write_state

HELP = "serve library models to other programs (OpenAI and Anthropic APIs, via llama-server)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("serve", help=HELP, description=HELP)
    parser.add_argument("models", nargs="*", metavar="MODEL",
                        help="library names (see `workbench ls`) or GGUF files; none: the whole library")
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--api-key", default=None, help=f"client key (default: ${KEY_ENV}, else a new one)")
    parser.add_argument("--parallel", type=int, default=4, help="slots per model: concurrent requests batched")
    parser.add_argument("-c", "--ctx", type=int, default=8192, help="context per model, shared by its slots")
    parser.add_argument("--models-max", type=int, default=4, help="most models loaded at once (memory also bounds)")
    parser.add_argument("--idle-unload", type=int, default=600, metavar="SECONDS",
                        help="unload a model after this long without requests (0: never)")
    parser.add_argument("--embeddings", action="store_true", help="enable /v1/embeddings (slows prompt processing)")
    parser.add_argument("-t", "--threads", type=int, default=None, help="CPU threads per model")
    parser.add_argument("--chat-template-file", type=Path, default=None,
                        help="Jinja chat template for every served model (e.g. one that supports tools)")
    parser.add_argument("-ngl", "--n-gpu-layers", type=int, default=None, help="layers to offload per model")
    parser.add_argument("--rpc", type=rpc_endpoints_arg, default=(), metavar="HOST:PORT,...",
                        help="rpc-server endpoints whose devices take offloaded layers (see workbench rpc-host)")
    parser.add_argument("--workdir", type=Path, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    key, generated = resolve_api_key(args.api_key)
    config = ServeConfig(key, args.host, args.port, args.parallel, args.ctx, args.models_max, args.idle_unload,
                         args.embeddings, args.threads, args.chat_template_file,
                         tuple(args.models), args.rpc, args.n_gpu_layers)
    if warning := exposure_warning(config.host):
        print(warning, file=sys.stderr)
    session = ServeSession(config, models_to_serve(list(args.models)), args.workdir, on_event=_print_event)
    for name in session.budget.too_big():
        print(f"warning: {name} needs more memory than is free ({mib(session.budget.estimates[name])}); "
              "loading it will fail", file=sys.stderr)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl+C
    session.start()
    write_state(session.workdir, config.root_url, session.process.pid or 0)
    _print_banner(session, generated)
    try:
        while True:
            time.sleep(1.0)
            snapshot = session.poll()
            for record in snapshot.requests:
                print(f"  {record.model}: prompt {record.prompt_tokens} tok in {record.prompt_ms:.0f} ms, "
                      f"generated {record.generated_tokens} tok at {record.tokens_per_second:.1f} t/s "
                      f"[{record.status}]", flush=True)
            for name in snapshot.unloaded_for_memory:
                print(f"  unloaded {name}: the loaded models would exceed the memory budget", flush=True)
    except KeyboardInterrupt:
        print("stopping…", file=sys.stderr)
    finally:
        session.stop()
        clear_state(session.workdir)
    return 0


def _print_banner(session: ServeSession, generated: bool) -> None:
    config = session.config
    print(f"Serving {len(session.models)} model(s) at {config.base_url}  (llama-server pid {session.process.pid})")
    if generated:
        print(f"API key (shown once; set {KEY_ENV} to choose your own): {config.api_key}")
    print(f"Log: {session.log_path}")
    print("Names (`model` in requests):")
    for m in session.models:
        print(f"  {m.name}  ({m.quant}, {mib(m.size_bytes)}, needs ~{mib(session.budget.estimates[m.name])})")
    print("Ctrl+C stops the server.", flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_event(event: ServerEvent) -> None:
    if event.kind != "started":
        print(f"[{event.kind}] {event.message}", file=sys.stderr, flush=True)
