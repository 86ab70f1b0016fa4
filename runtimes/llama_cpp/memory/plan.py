"""llama.cpp's own memory accounting for a model and context, without allocating it.

llama.cpp's --fit loads a model with ``no_alloc`` ("only load metadata and simulate
memory allocations") and reads ``llama_get_memory_breakdown``: bytes per buffer type
for the model (weights, repacked copies included), the context (KV cache) and the
compute buffers. This module does the same through the binding's libllama, in a short
spawned process (``plan_memory``): llama.cpp aborts on some bad files, and the caller
(the GUI, the CLI) must survive that.

llama_get_memory_breakdown is C++ (it returns a std::map), so it is read through
ctypes where that ABI is known (``breakdown_abi``); elsewhere the plan falls back to
the C API and the log: llama_model_size for the weights (no repack split), and the
KV and compute sizes llama.cpp prints.

Two compute figures: the buffer llama.cpp reserves (a prompt batch that returns
logits for every token: n_ubatch x n_vocab floats) and the one a run that only wants
the last token's logits uses (n_outputs_max = 1), which is what the worker touches.

    python -m runtimes.llama_cpp.memory.plan MODEL --ctx N [--kv-type T] [--flash-attn]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from runtimes.child_process import die_with_parent, in_spawner
from runtimes.errors import PlanFailed

_SIZE = re.compile(r"^(\w+): +(\S+) +(model|compute|output|KV) buffer size = +([\d.]+) MiB")
_KV_SIZE = re.compile(r"^llama_kv_cache: size = +([\d.]+) MiB")
MiB = 1 << 20


@dataclass(frozen=True)
class BufferUse:
    """Bytes llama.cpp would allocate in one buffer type."""

    buffer_type: str  # ggml's name: CPU, CPU_REPACK, AMX, CUDA0, CUDA_Host ...
    is_host: bool
    in_ram: bool  # host memory or a CPU-device buffer (repacked weights); False: a GPU's memory
    model: int = 0
    context: int = 0
    compute: int = 0


@dataclass(frozen=True)
class MemoryPlan:
    model_bytes: int  # all weights, in every buffer type (repacked copies at their repacked size)
    file_weights_bytes: int  # llama_model_size: the weights as stored in the file
    kv_bytes: int
    output_bytes: int  # the host output buffer (logits, embeddings)
    compute_bytes: int  # as reserved: logits for a whole prompt batch
    compute_last_token_bytes: int  # what a run that reads only the last token's logits uses
    swa_cells: int | None  # cells of the sliding-window cache, None without SWA
    buffers: tuple[BufferUse, ...] = ()  # empty where the breakdown could not be read
    source: str = "breakdown"  # or "log": the C API and the load log only
    log: list[str] = field(default_factory=list, repr=False)

    @property
    def repack_bytes(self) -> int:
        """Weights in the CPU's extra buffer types (CPU_REPACK, AMX...): copies made at load."""
        return sum(b.model for b in self.buffers if b.in_ram and not b.is_host)

    def device_bytes(self, kind: str) -> int:
        """Bytes of one kind (model, context, compute) in GPU memory."""
        return sum(getattr(b, kind) for b in self.buffers if not b.in_ram)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("log")
        return data


def plan_memory(model: str | Path, n_ctx: int, kv_type: str = "f16", flash_attn: bool = False,
                n_gpu_layers: int = 0, n_batch: int = 2048, n_ubatch: int = 512, swa_full: bool = True,
                timeout: float = 120.0) -> MemoryPlan:
    """Run the simulation in a spawned process (as the model worker is: this works frozen too);
    PlanFailed if llama.cpp refuses, aborts or hangs."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    args = (str(model), n_ctx, kv_type, flash_attn, n_gpu_layers, n_batch, n_ubatch, swa_full)
    process = ctx.Process(target=_child, args=(sender, args), daemon=True, name="llama.cpp memory plan")
    in_spawner(process.start)
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise PlanFailed(f"llama.cpp's memory simulation took over {timeout:.0f} s")
        ok, data = receiver.recv()
    except EOFError:
        process.join(5)
        raise PlanFailed(f"llama.cpp aborted while simulating {Path(model).name} "
                         f"(exit status {process.exitcode})") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join(5)
    if not ok:
        raise PlanFailed(data)
    data["buffers"] = tuple(BufferUse(**b) for b in data["buffers"])
    return MemoryPlan(**data)


def _child(sender, args: tuple) -> None:
    die_with_parent()
    from runtimes.llama_cpp.memory.probe import simulate

    try:
        result = (True, simulate(*args).to_dict())
    except (PlanFailed, OSError, ValueError) as exc:
        result = (False, str(exc))
    sender.send(result)
    sender.close()


def parse_log(lines: list[str]) -> dict[str, float]:
    """Sizes (bytes) llama.cpp printed: model/compute/output/KV buffers by kind, and the KV cache total."""
    sizes = {"model": 0.0, "compute": 0.0, "output": 0.0, "KV": 0.0, "kv_total": 0.0}
    for line in lines:
        if m := _SIZE.match(line.strip()):
            sizes[m.group(3)] += float(m.group(4)) * MiB
        elif m := _KV_SIZE.match(line.strip()):
            sizes["kv_total"] += float(m.group(1)) * MiB
    return sizes


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--ctx", type=int, required=True)
    parser.add_argument("--kv-type", default="f16")
    parser.add_argument("--flash-attn", action="store_true")
    parser.add_argument("--swa-window", action="store_true", help="window-sized SWA cache (swa_full off)")
    parser.add_argument("-ngl", type=int, default=0)
    parser.add_argument("--batch", type=int, default=2048)
    parser.add_argument("--ubatch", type=int, default=512)
    args = parser.parse_args(argv)
    from runtimes.llama_cpp.memory.probe import simulate

    plan = simulate(args.model, args.ctx, args.kv_type, args.flash_attn, args.ngl, args.batch, args.ubatch,
                    not args.swa_window)
    print(json.dumps(plan.to_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
