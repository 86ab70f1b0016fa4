"""workbench imatrix MODEL.gguf -f TEXT [-c 512] [--chunks N] [-o imatrix.gguf]: llama.cpp's llama-imatrix."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.progress import progress_bar
from app.errors import ImatrixCancelled
from app.quantize.imatrix_job import ImatrixRequest, is_default_text, run_imatrix
from runtimes.base import CancelToken

HELP = "compute an importance matrix from your own text (llama-imatrix), for quantize --imatrix"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("imatrix", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help="the GGUF to measure (ideally the F32/F16/BF16 you will quantize)")
    parser.add_argument("-f", "--text", type=Path, default=None,
                        help="text to compute it on (default: the bundled evaluation text)")
    parser.add_argument("-c", "--ctx", type=int, default=512, help="chunk size in tokens (llama-imatrix -c)")
    parser.add_argument("--chunks", type=int, default=None, help="at most this many chunks (default: all)")
    parser.add_argument("-o", "--output", type=Path, default=Path("imatrix.gguf"),
                        help="output file; .dat writes llama.cpp's legacy format (default: imatrix.gguf)")
    parser.add_argument("-t", "--threads", type=int, default=None)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    request = ImatrixRequest(args.model, args.text, args.output, args.ctx, args.chunks, args.threads)
    if is_default_text(args.text):
        print("workbench: note: this is the text Compare scores on by default; a quant tuned on it will look "
              "better there than on other text", file=sys.stderr)
    update, close = progress_bar(unit="chunk")
    cancel = CancelToken()

    def report(done: int, total: int, left: float | None) -> None:
        update(done, total, "imatrix" if left is None else f"imatrix, ETA {left:.0f} s")

    try:
        out = run_imatrix(request, report, cancel)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    except ImatrixCancelled:
        return 130
    finally:
        close()
    print(out)
    return 0
