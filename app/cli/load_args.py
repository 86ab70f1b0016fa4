"""Model-loading and sampling flags, named as llama-cli names them."""

from __future__ import annotations

import argparse

from app.cli.spec_args import spec_options
from runtimes.errors import RpcEndpointError
from runtimes.llama_cpp.options import KV_CACHE_TYPES, LlamaLoadOptions
from runtimes.llama_cpp.rpc.endpoints import parse_endpoints
from runtimes.requests import Sampling


def add_load_args(parser: argparse.ArgumentParser, n_ctx_default: int = 4096) -> None:
    group = parser.add_argument_group("loading")
    group.add_argument("-c", "--ctx-size", type=int, default=n_ctx_default, help="context size (0 = model's own)")
    group.add_argument("-t", "--threads", type=int, default=None, help="CPU threads (default: physical cores)")
    group.add_argument("-ngl", "--n-gpu-layers", type=int, default=0, help="layers to offload to the GPU (-1 = all)")
    group.add_argument("-b", "--batch-size", type=int, default=2048)
    group.add_argument("-ub", "--ubatch-size", type=int, default=512)
    group.add_argument("-fa", "--flash-attn", action="store_true", help="use flash attention")
    group.add_argument("-ctk", "--cache-type-k", default="f16", choices=KV_CACHE_TYPES)
    group.add_argument("-ctv", "--cache-type-v", default="f16", choices=KV_CACHE_TYPES)
    group.add_argument("--no-mmap", action="store_true", help="read the model into memory instead of mapping it")
    group.add_argument("--mlock", action="store_true", help="lock the model in RAM")
    add_device_args(group)


def add_device_args(group: argparse._ArgumentGroup | argparse.ArgumentParser) -> None:
    """Remote devices and the split across devices, as llama.cpp's --rpc/--tensor-split/--no-repack."""
    group.add_argument("--rpc", type=rpc_endpoints_arg, default=(), metavar="HOST:PORT,...",
                       help="rpc-server endpoints whose devices take offloaded layers (see workbench rpc-host)")
    group.add_argument("-ts", "--tensor-split", type=_proportions, default=None, metavar="N0,N1,...",
                       help="share of the offloaded layers per device, in llama.cpp's order (RPC first), e.g. 3,1")
    group.add_argument("-nr", "--no-repack", action="store_true", help="keep CPU weights in the file's layout")


def rpc_endpoints_arg(text: str) -> tuple[str, ...]:
    try:
        return parse_endpoints(text)
    except RpcEndpointError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _proportions(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in text.replace("/", ",").split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad --tensor-split {text!r}: write proportions like 3,1") from None


def load_options(args: argparse.Namespace, n_ctx: int | None = None) -> LlamaLoadOptions:
    return LlamaLoadOptions(
        n_ctx=args.ctx_size if n_ctx is None else n_ctx,
        n_threads=args.threads,
        n_gpu_layers=args.n_gpu_layers,
        n_batch=args.batch_size,
        n_ubatch=args.ubatch_size,
        flash_attn=args.flash_attn,
        type_k=args.cache_type_k,
        type_v=args.cache_type_v,
        use_mmap=not args.no_mmap,
        use_mlock=args.mlock,
        rpc=getattr(args, "rpc", ()),
        tensor_split=getattr(args, "tensor_split", None),
        repack=not getattr(args, "no_repack", False),
        # Commands with the speculative flags (app.cli.spec_args) load a draft or prompt lookup too.
        speculative=spec_options(args) if hasattr(args, "lookup") else None,
    )


def add_sampling_args(parser: argparse.ArgumentParser) -> None:
    defaults = Sampling()
    group = parser.add_argument_group("sampling")
    group.add_argument("-n", "--n-predict", type=int, default=defaults.max_tokens, help="tokens to generate")
    group.add_argument("--temp", type=float, default=defaults.temperature)
    group.add_argument("--top-k", type=int, default=defaults.top_k)
    group.add_argument("--top-p", type=float, default=defaults.top_p)
    group.add_argument("--min-p", type=float, default=defaults.min_p)
    group.add_argument("--repeat-penalty", type=float, default=defaults.repeat_penalty)
    group.add_argument("-s", "--seed", type=int, default=defaults.seed, help="RNG seed (default: random)")
    group.add_argument(
        "-r", "--reverse-prompt", "--stop", dest="stop", action="append", default=[], help="stop string (repeatable)"
    )


def sampling(args: argparse.Namespace) -> Sampling:
    return Sampling(
        temperature=args.temp,
        top_k=args.top_k,
        top_p=args.top_p,
        min_p=args.min_p,
        repeat_penalty=args.repeat_penalty,
        seed=args.seed,
        max_tokens=args.n_predict,
        stop=list(args.stop),
    )
