"""Compare `workbench bench` with llama.cpp's own llama-bench on the same model and settings.

    python benchmarks/bench_vs_llama_bench.py [--model PATH | --spec tiny|small|tiny,small]
        [-p 512] [-n 128] [-r 5] [-t THREADS] [--rounds K]

llama-bench is built from the llama.cpp inside the pinned llama-cpp-python sdist (see
llama_tools.py). The two tools are run alternately for --rounds rounds (the order flips
every round) and the medians of their avg_ts are compared; the target is
workbench >= 0.97 x llama-bench for every test. Exit status 1 if any test misses it.
"""

from __future__ import annotations

import argparse
import json
import os
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
TOOLS = ("llama-bench", "workbench")


def workbench_command() -> list[str]:
    script = Path(sys.executable).with_name("workbench")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "app.cli.main"]


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


def run_tool(tool: str, llama_bench: Path, model: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    common = f"-p {args.n_prompt} -n {args.n_gen} -r {args.reps} -t {args.threads} -ngl 0 -o json".split()
    if tool == "llama-bench":
        cmd = [str(llama_bench), "-m", str(model), *common, "-fa", "0"]
    else:
        cmd = [*workbench_command(), "bench", str(model), *common]
    proc = subprocess.run(cmd, cwd=llama_tools.REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout)


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
    # speeds[test][tool] = avg_ts of each round; samples[test][tool] = every timed repetition
    speeds: dict[str, dict[str, list[float]]] = {}
    samples: dict[str, dict[str, list[float]]] = {}
    raw: list[dict[str, Any]] = []
    for round_index in range(args.rounds):
        order = TOOLS if round_index % 2 == 0 else TOOLS[::-1]
        for tool in order:
            wait_for_idle(args.idle_wait)
            started = time.monotonic()
            records = run_tool(tool, llama_bench, model, args)
            for record in records:
                speeds.setdefault(bench_test_name(record), {t: [] for t in TOOLS})[tool].append(record["avg_ts"])
                samples.setdefault(bench_test_name(record), {t: [] for t in TOOLS})[tool].extend(record["samples_ts"])
            raw.append({"round": round_index, "tool": tool, "records": records})
            summary = ", ".join(f"{bench_test_name(r)} {r['avg_ts']:.2f} t/s" for r in records)
            print(
                f"  round {round_index + 1}/{args.rounds} {tool:<11} {summary}  ({time.monotonic() - started:.0f} s)",
                flush=True,
            )

    print(f"\n{model.name}  threads={args.threads}  reps={args.reps}  rounds={args.rounds}")
    header = (
        f"{'test':<8} {'llama-bench t/s':>16} {'workbench t/s':>14} {'ratio':>7} {'best':>6}"
        f"  {'per-round ratios':<28} result"
    )
    print(header)
    print("-" * len(header))
    ok = True
    for test, by_tool in speeds.items():
        ref, ours = statistics.median(by_tool["llama-bench"]), statistics.median(by_tool["workbench"])
        ratio = ours / ref
        best = max(samples[test]["workbench"]) / max(samples[test]["llama-bench"])
        per_round = " ".join(f"{w / r:.3f}" for r, w in zip(by_tool["llama-bench"], by_tool["workbench"], strict=True))
        passed = ratio >= TARGET
        ok &= passed
        print(
            f"{test:<8} {ref:>16.2f} {ours:>14.2f} {ratio:>7.3f} {best:>6.3f}  {per_round:<28}"
            f" {'PASS' if passed else 'FAIL'}"
        )
    print("t/s and ratio: medians over rounds of each run's avg_ts; best: fastest single repetition of each tool")
    return ok, {"model": str(model), "threads": args.threads, "speeds": speeds, "runs": raw}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--model", type=Path, help="GGUF file to benchmark")
    source.add_argument("--spec", default="small", help="demo model spec(s): tiny, small or tiny,small")
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

    models = [args.model] if args.model else [demo_model(s.strip()) for s in args.spec.split(",") if s.strip()]
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
