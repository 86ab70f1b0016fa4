"""Speculative-decoding flags, named as llama.cpp's tools name them where they can be."""

from __future__ import annotations

import argparse

from runtimes.llama_cpp.speculative.options import SpeculativeOptions


def add_spec_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("speculative decoding")
    group.add_argument("--draft", "-md", "--model-draft", dest="draft", default=None, metavar="DRAFT",
                       help="draft model GGUF: same tokenizer as the model, much smaller")
    group.add_argument("--lookup", action="store_true", help="prompt-lookup (n-gram) decoding; needs no draft model")
    group.add_argument("--draft-max", type=int, default=8, help="tokens drafted per round (the ceiling when adaptive)")
    group.add_argument("--draft-min", type=int, default=1, help="the floor of the adaptive draft length")
    group.add_argument("--draft-fixed", action="store_true", help="always draft --draft-max tokens (no adapting)")
    group.add_argument("-ngld", "--n-gpu-layers-draft", type=int, default=0, help="draft layers to offload (-1 = all)")
    group.add_argument("-devd", "--device-draft", default="cpu", help="the draft's device: cpu, cuda0, vulkan1, ...")
    group.add_argument("--spec-inexact", action="store_true",
                       help="speculate even where batched verification is not exact on this model "
                            "(faster; the output may differ from plain decoding)")
    group.add_argument("-td", "--threads-draft", type=int, default=None, help="the draft's CPU threads")


def spec_options(args: argparse.Namespace, mode: str | None = None) -> SpeculativeOptions | None:
    """The options the flags ask for; None without --draft/--lookup. ``mode``
    picks one when a command accepts both flags at once."""
    if mode is None:
        if args.draft and args.lookup:
            raise ValueError("give --draft or --lookup, not both")
        mode = "draft" if args.draft else "lookup" if args.lookup else None
    if mode is None:
        return None
    return SpeculativeOptions(
        mode=mode,
        draft_model=str(args.draft) if mode == "draft" else None,
        draft_max=args.draft_max,
        draft_min=min(args.draft_min, args.draft_max),
        adaptive=not args.draft_fixed,
        draft_device=args.device_draft,
        draft_n_gpu_layers=args.n_gpu_layers_draft,
        draft_n_threads=args.threads_draft,
        require_exact=not getattr(args, "spec_inexact", False),
    )


def warn_about_draft(args: argparse.Namespace, model: str) -> None:
    """Print check_speculative's warnings (e.g. a draft barely smaller than the model)."""
    import sys

    from runtimes.llama_cpp.speculative.options import check_speculative

    for warning in check_speculative(model, spec_options(args)):
        print(f"workbench: warning: {warning}", file=sys.stderr)
