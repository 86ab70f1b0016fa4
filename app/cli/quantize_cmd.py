"""workbench quantize SRC --to Q4_K_M,Q5_K_M [-o DIR]: llama.cpp's quantizer."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.progress import progress_bar
from app.quantize_job import TARGETS, quantize_many
from runtimes.base import CancelToken

HELP = "quantize an F32/F16/BF16 GGUF to K-quants (Q8_0 ... Q2_K, IQ4_XS)"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("quantize", help=HELP, description=HELP)
    parser.add_argument("source", type=Path, help="F32, F16 or BF16 GGUF")
    parser.add_argument("--to", required=True, help=f"comma-separated types: {','.join(TARGETS)}")
    parser.add_argument("--imatrix", type=Path,
                        help="importance matrix from llama-imatrix (GGUF or legacy .dat), as llama-quantize --imatrix")
    parser.add_argument("-o", "--out-dir", type=Path, default=None, help="output folder (default: next to SRC)")
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    targets = [t.strip().upper() for t in args.to.split(",") if t.strip()]
    update, close = progress_bar(unit="file")
    cancel = CancelToken()
    try:
        outputs = quantize_many(args.source, targets, args.out_dir or args.source.parent, args.threads,
                                update, cancel, imatrix=args.imatrix)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        close()
    for path in outputs:
        print(path)
    return 0
