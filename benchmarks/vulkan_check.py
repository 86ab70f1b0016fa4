"""The Vulkan build's check: a Vulkan device listed, -ngl 99 placed on it, greedy tokens vs CPU.

gpu_checks.py runs it as its "Vulkan build" row; it also runs alone, where no NVIDIA GPU is
(e.g. on Mesa's software device lavapipe, which ggml lists only with GGML_VK_VISIBLE_DEVICES=0):

    GGML_VK_VISIBLE_DEVICES=0 python benchmarks/vulkan_check.py [MODEL.gguf]

Each run needs its own process: the binding loads one llama.cpp build per process
(LLAMA_CPP_LIB_PATH). The CPU reference is the same build with every Vulkan device hidden
(GGML_VK_VISIBLE_DEVICES=""), so the only difference is where the layers run. Token equality
is reported, not required: Vulkan and CPU kernels may round differently (K-quants on the CPU
multiply against Q8_K-quantised activations).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtimes.llama_cpp import native_build  # noqa: E402

PROMPT = "The history of the printing press begins"
HIDDEN_HINT = "a CPU-type Vulkan device (lavapipe/llvmpipe) is listed only with GGML_VK_VISIBLE_DEVICES=0"


def vulkan_devices(folder: Path, env: dict[str, str]) -> list[dict]:
    """Vulkan devices as `workbench runtimes --json` reports them with this build's libraries."""
    env = {**env, "LLAMA_CPP_LIB_PATH": str(folder / "bin")}
    out = subprocess.run([sys.executable, "-m", "app.cli.main", "runtimes", "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120).stdout
    llama = next((r for r in json.loads(out) if r["name"] == "llama.cpp"), {"devices": []})
    return [d for d in llama["devices"] if d["kind"] == "vulkan"]


def greedy_run(folder: Path, model: Path, n_gpu_layers: int, env: dict[str, str], n: int = 32) -> dict:
    env = {**env, "LLAMA_CPP_LIB_PATH": str(folder / "bin")}
    out = subprocess.run([sys.executable, __file__, "--greedy", str(model), str(n_gpu_layers), str(n)], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["no output"])[-1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(reference: list[int], ids: list[int]) -> str:
    if ids == reference:
        return f"greedy tokens identical to the CPU run ({len(ids)})"
    first = next((i for i, (a, b) in enumerate(zip(reference, ids, strict=False)) if a != b), min(len(ids),
                                                                                                len(reference)))
    return f"greedy tokens equal to the CPU run up to token {first} of {len(reference)}"


def run(model: Path, sdist: Path | None = None, jobs: int | None = None) -> tuple[bool, str]:
    """(passed, detail): the build, its Vulkan devices, and -ngl 99 on the first of them."""
    folder = native_build.ensure_built("vulkan", sdist_dir=sdist, jobs=jobs)
    env = dict(os.environ)
    devices = vulkan_devices(folder, env)
    if not devices:
        return False, f"{folder.name}: no Vulkan device in ggml's registry ({HIDDEN_HINT})"
    listed = " / ".join(f"{d['id']}: {d['description']}" for d in devices)
    gpu = greedy_run(folder, model, 99, env)
    cpu = greedy_run(folder, model, 0, {**env, "GGML_VK_VISIBLE_DEVICES": ""})
    placed = {dev for _, dev in gpu["split"]}
    ok = bool(placed) and all(dev.startswith("Vulkan") for dev in placed) and len(gpu["ids"]) > 0
    return ok, (f"{listed}; -ngl 99 layers on {sorted(placed)}: gen {gpu['gen_tps']:.1f} t/s vs CPU "
                f"{cpu['gen_tps']:.1f} t/s; {compare(cpu['ids'], gpu['ids'])}")


def _greedy(model: str, n_gpu_layers: int, n: int) -> None:
    """Child process: greedy tokens through Workbench's llama.cpp runtime, as one JSON line."""
    from runtimes.events import Done, Token
    from runtimes.llama_cpp.options import LlamaLoadOptions
    from runtimes.registry import get_runtime
    from runtimes.requests import Sampling, TextRequest

    with get_runtime("llama.cpp").load(Path(model), LlamaLoadOptions(n_ctx=2048, n_gpu_layers=n_gpu_layers)) as s:
        events = list(s.run(TextRequest(prompt=PROMPT, sampling=Sampling(temperature=0, max_tokens=n))))
        assert isinstance(events[-1], Done), events[-1]
        split = [list(part) for part in s.info.get("layer_split", [])]
    print(json.dumps({"ids": [e.token_id for e in events if isinstance(e, Token)],
                      "gen_tps": events[-1].stats.gen_tps, "split": split}))


def main(argv: list[str]) -> int:
    if argv[:1] == ["--greedy"]:
        _greedy(argv[1], int(argv[2]), int(argv[3]))
        return 0
    if argv:
        model = Path(argv[0])
    else:
        from models.demo.factory import build_demo_models

        made = build_demo_models(native_build.default_cache() / "vulkan-check-models", spec="tiny", quants=("Q8_0",))
        model = next(m.path for m in made if m.quant == "Q8_0")
    sdist = os.environ.get("WORKBENCH_SDIST_DIR")
    ok, detail = run(model, Path(sdist) if sdist else None)
    print(f"[{'PASS' if ok else 'FAIL'}] Vulkan build: {detail}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
