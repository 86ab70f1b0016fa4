"""The GPU checks behind benchmarks/gpu_check.sh (run that, not this: it guards the no-GPU case).

Builds or reuses the CUDA llama.cpp, points the binding at it, and runs each GPU path of
Workbench once on a demo model, each against its reference: offload (-ngl), the device
list, VRAM from NVML against the fit estimate, a draft model on another device than its
target, bench against llama-bench, llama-server, RPC to a GPU, and the Vulkan build
where a Vulkan loader and glslc exist. Prints one table; exits 1 if a check failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from runtimes.llama_cpp import native_build  # noqa: E402

ROWS: list[tuple[str, str, str, float]] = []
CTX = 2048
PROMPT = "The history of the printing press begins"


def check(name: str):
    def wrap(function):
        started = time.monotonic()
        try:
            ok, detail = function()
            status = "PASS" if ok else "FAIL"
        except Exception as exc:  # every check reports, none stops the others
            status, detail = "FAIL", f"{type(exc).__name__}: {exc}"[:300]
        ROWS.append((name, status, detail, time.monotonic() - started))
        print(f"[{status}] {name}: {detail}", flush=True)
        return function
    return wrap


def load(model: Path, **options):
    from runtimes.llama_cpp.options import LlamaLoadOptions
    from runtimes.registry import get_runtime

    return get_runtime("llama.cpp").load(model, LlamaLoadOptions(n_ctx=CTX, **options))


def greedy(session, n: int = 64):
    from runtimes.events import Done, Token
    from runtimes.requests import Sampling, TextRequest

    events = list(session.run(TextRequest(prompt=PROMPT, sampling=Sampling(temperature=0, max_tokens=n))))
    assert isinstance(events[-1], Done), events[-1]
    return [e.token_id for e in events if isinstance(e, Token)], events[-1].stats


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    started = time.monotonic()
    jobs = os.cpu_count() or 4
    sdist = os.environ.get("WORKBENCH_SDIST_DIR")  # an unpacked sdist; else the cache's, else pip downloads it
    cuda = native_build.ensure_built("cuda", sdist_dir=Path(sdist) if sdist else None, jobs=jobs)
    record = json.loads((cuda / "build.json").read_text())
    ROWS.append(("CUDA build", "PASS", f"{cuda.name}, built in {record['seconds']} s on {jobs} cores", 0.0))
    os.environ["LLAMA_CPP_LIB_PATH"] = str(cuda / "bin")  # before llama_cpp loads, here and in workers
    from models.demo.factory import build_demo_models
    from models.gguf.fit_estimate import FitRequest, estimate, shape_from_file
    from runtimes.llama_cpp.backends import list_devices

    cache = Path(os.environ["WORKBENCH_LLAMA_CACHE"]).parent / "gpu-check-models"
    model = next(m.path for m in build_demo_models(cache, spec="small", quants=("Q4_K_M",)) if m.quant == "Q4_K_M")

    @check("devices listed")
    def _devices():
        gpus = [d for d in list_devices() if d.kind == "cuda"]
        return bool(gpus), "; ".join(f"{d.id}: {d.description}, {(d.memory_free or 0) / 2**30:.1f} GiB free"
                                     for d in gpus) or "no CUDA device in ggml's registry"

    state = {}

    @check("offload -ngl 99")
    def _offload():
        with load(model, n_gpu_layers=0) as cpu:
            cpu_ids, cpu_stats = greedy(cpu)
        state["cpu_ids"] = cpu_ids
        gpu = load(model, n_gpu_layers=99)
        state["gpu"] = gpu
        ids, stats = greedy(gpu)
        state["gpu_ids"] = ids
        placed = {dev for _, dev in gpu.info.get("layer_split", [])}
        same = sum(a == b for a, b in zip(ids, cpu_ids, strict=False))
        return placed == {"CUDA0"} and stats.gen_tps > cpu_stats.gen_tps, (
            f"layers on {sorted(placed)}; gen {stats.gen_tps:.0f} t/s vs CPU {cpu_stats.gen_tps:.0f} t/s; "
            f"{same}/{len(ids)} greedy tokens equal to the CPU run")

    @check("VRAM: NVML vs fit estimate")
    def _vram():
        measured = state["gpu"].stats.vram_bytes
        predicted = estimate(shape_from_file(model), FitRequest(CTX, "f16", 99)).vram_bytes
        if not measured:
            return False, "NVML reported no VRAM for the worker pid"
        return 0.5 <= measured / predicted <= 2.0, (
            f"worker {measured / 2**20:.0f} MiB (NVML, after a {CTX}-ctx load), estimate {predicted / 2**20:.0f} MiB")

    @check("draft on another device")
    def _draft():
        from runtimes.llama_cpp.speculative.options import SpeculativeOptions

        spec = SpeculativeOptions(draft_model=str(model), draft_device="cuda0", draft_n_gpu_layers=99)
        with load(model, n_gpu_layers=0, speculative=spec) as session:  # target on CPU, draft on CUDA0
            ids, stats = greedy(session)
        same = ids == state["cpu_ids"]  # speculative greedy output is the target's own greedy output
        return same, f"target CPU + draft CUDA0: {stats.gen_tps:.0f} t/s, greedy tokens " \
            f"{'identical to' if same else 'differ from'} the plain CPU run"

    @check("bench vs llama-bench (-ngl 99)")
    def _bench():
        from runtimes.llama_cpp.bench import BenchRequest

        ours = state["gpu"].run(BenchRequest((512,), (128,), 3))
        records = list(ours)[-1].result
        out = subprocess.run([str(cuda / "bin" / "llama-bench"), "-m", str(model), "-ngl", "99", "-p", "512",
                              "-n", "128", "-r", "3", "-o", "json"], capture_output=True, text=True, timeout=180)
        theirs = {(r["n_prompt"], r["n_gen"]): r["avg_ts"] for r in json.loads(out.stdout)}
        ratios = {k: r["avg_ts"] / theirs[(r["n_prompt"], r["n_gen"])] for r in records
                  for k in [(r["n_prompt"], r["n_gen"])]}
        return min(ratios.values()) >= 0.9, ", ".join(f"{'pp' if p else 'tg'}{p or g}: {v:.2f}x llama-bench"
                                                        for (p, g), v in ratios.items())

    @check("llama-server -ngl 99")
    def _serve():
        port = free_port()
        command = [str(cuda / "bin" / "llama-server"), "-m", str(model), "-ngl", "99", "--host", "127.0.0.1",
                   "--port", str(port)]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            body = json.dumps({"prompt": PROMPT, "n_predict": 16, "temperature": 0}).encode()
            for _ in range(120):
                try:
                    reply = urllib.request.urlopen(urllib.request.Request(
                        f"http://127.0.0.1:{port}/completion", body, {"Content-Type": "application/json"}), timeout=30)
                    result = json.loads(reply.read())
                    speed = result["timings"]["predicted_per_second"]
                    return result["tokens_predicted"] == 16, f"16 tokens, {speed:.0f} t/s"
                except OSError:
                    time.sleep(0.5)
            return False, "no answer in 60 s"
        finally:
            server.kill()

    @check("RPC to a GPU (loopback)")
    def _rpc():
        from app.rpc.supervisor import RpcHost, RpcHostConfig

        host = RpcHost(RpcHostConfig(port=free_port()), tool=cuda / "bin" / native_build.TOOL_ALIASES["rpc-server"])
        try:
            devices = host.start()
            with load(model, n_gpu_layers=99, rpc=(host.local_endpoint,)) as session:
                ids, stats = greedy(session)
                placed = session.info.get("layer_split")
        finally:
            host.stop()
        return ids == state["gpu_ids"], f"{len(devices)} remote device(s), {placed}, {stats.gen_tps:.0f} t/s, " \
            f"{'identical to' if ids == state['gpu_ids'] else 'differs from'} the local GPU run"

    state["gpu"].close()
    vulkan_ready = shutil.which("glslc") and "libvulkan.so.1" in subprocess.run(
        ["ldconfig", "-p"], capture_output=True, text=True).stdout
    if not vulkan_ready:
        ROWS.append(("Vulkan build", "SKIP", "no Vulkan loader (libvulkan.so.1) or no glslc", 0.0))
    elif time.monotonic() - started > 300:
        ROWS.append(("Vulkan build", "SKIP", "not enough of the 10 minutes left to build it", 0.0))
    else:
        @check("Vulkan build + devices")
        def _vulkan():
            import vulkan_check

            return vulkan_check.run(model, Path(sdist) if sdist else None, jobs)

    print("\n| check | result | detail | s |\n|---|---|---|---|")
    for name, status, detail, seconds in ROWS:
        print(f"| {name} | {status} | {detail} | {seconds:.0f} |")
    print(f"total {time.monotonic() - started:.0f} s")
    return 1 if any(status == "FAIL" for _, status, _, _ in ROWS) else 0


if __name__ == "__main__":
    raise SystemExit(main())
