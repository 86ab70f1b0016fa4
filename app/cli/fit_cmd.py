"""workbench fit MODEL --ctx N: will this model fit in this machine's RAM/VRAM?

MODEL is a local GGUF, or REPO:FILE on Hugging Face (only the header is read,
with HTTP Range requests). For a local file the figure is llama.cpp's own accounting
(its no_alloc simulation, runtimes.llama_cpp.memory.estimate); for a remote one the
header formula (models.gguf.fit_estimate). Either predicts the worker's peak RSS once a
prompt has filled most of the context."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.cli.load_args import add_device_args
from app.rpc.plan import offload_devices_for, plan_lines, plan_split
from models.gguf.fit_estimate import (
    KV_BYTES_PER_ELEMENT,
    FitRequest,
    MemoryEstimate,
    ModelShape,
    judge,
    machine_memory,
    shape_from_file,
    shape_from_header,
)

HELP = "estimate RAM/VRAM for a model and context, and whether it fits here"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("fit", help=HELP, description=HELP)
    parser.add_argument("model", help="GGUF file, or owner/name:file.gguf on Hugging Face")
    parser.add_argument("--ctx", type=int, default=4096, help="context length (default 4096)")
    parser.add_argument("--kv-type", choices=tuple(KV_BYTES_PER_ELEMENT), default="f16")
    parser.add_argument("-ngl", "--n-gpu-layers", type=int, default=-1, help="GPU layers (-1 = all, the default)")
    parser.add_argument("--json", action="store_true")
    add_device_args(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    shape, local = _shape(args.model)
    machine = machine_memory()
    # Without a GPU llama.cpp keeps every layer on the CPU, whatever -ngl says.
    ngl = args.n_gpu_layers if machine.free_vram else 0
    req = FitRequest(args.ctx, args.kv_type, ngl)
    measured, note = _measure(args.model, req) if local else (None, "header formula (remote file)")
    verdict = judge(shape, req, machine, measured)
    if args.json:
        print(json.dumps({**verdict.to_dict(), "source": note}, indent=2))
        return 0
    e = verdict.estimate
    mib = 2**20
    print(f"{args.model}: {shape.architecture}, {shape.n_layers} layers, ctx {args.ctx}, KV {args.kv_type}")
    print(f"  RAM  {e.ram_bytes / mib:9.1f} MiB  (weights {e.weights_ram / mib:.1f} + repack {e.repack_bytes / mib:.1f}"
          f" + KV {e.kv_ram / mib:.1f} + compute {e.compute_ram / mib:.1f}"
          f" + process, tokenizer, output {e.overhead_bytes / mib:.1f})")
    if machine.free_vram:
        print(f"  VRAM {e.vram_bytes / mib:9.1f} MiB  (weights {e.weights_vram / mib:.1f} + KV {e.kv_vram / mib:.1f}"
              f" + compute {e.compute_vram / mib:.1f})")
    print(f"  predicts the worker's peak RSS once a prompt fills the context; from {note}")
    print(f"  {verdict.reason}")
    print(f"  suggested: -ngl {verdict.suggested_gpu_layers} --ctx {verdict.suggested_ctx}")
    if args.rpc or args.tensor_split:
        devices = offload_devices_for(args.rpc)
        request = FitRequest(args.ctx, args.kv_type, args.n_gpu_layers)
        split = f", --tensor-split {','.join(f'{x:g}' for x in args.tensor_split)}" if args.tensor_split else ""
        print(f"  split across devices (-ngl {args.n_gpu_layers}{split}; RPC devices first, as llama.cpp orders them):")
        print("\n".join(plan_lines(plan_split(shape, request, devices, machine_memory().free_ram, args.tensor_split))))
    return 0


def _measure(model: str, req: FitRequest) -> tuple[MemoryEstimate | None, str]:
    """llama.cpp's own accounting for a local file; the formula (and why) where it fails."""
    from runtimes.errors import PlanFailed
    from runtimes.llama_cpp.memory.estimate import estimate_local

    try:
        return estimate_local(model, req), "llama.cpp's own accounting (no_alloc)"
    except (PlanFailed, OSError, ValueError) as exc:
        return None, f"header formula ({exc})"


def _shape(model: str) -> tuple[ModelShape, bool]:
    """The model's shape, and whether it is a local file."""
    if Path(model).exists() or ":" not in model:
        return shape_from_file(model), True
    from models.hub.client import HubClient
    from models.hub.header import read_remote_header
    from models.hub.token import get_token

    repo_id, filename = model.split(":", 1)
    client = HubClient(token=get_token())
    files = {f.path: f for f in client.repo_files(repo_id).files}
    if filename not in files:
        raise ValueError(f"{repo_id} has no file {filename!r}")
    return shape_from_header(read_remote_header(client, repo_id, filename, files[filename].size)), False
