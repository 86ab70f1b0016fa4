"""Does streaming tokens out of the worker process cost tokens/s?

Generates the same greedy tokens in-process and through a worker process,
alternating for several rounds, and prints the median generation t/s of each
and their ratio (target: worker >= 0.97x in-process).

    .venv/bin/python benchmarks/worker_streaming.py [--spec tiny|small] [-n 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.demo.factory import build_demo_models  # noqa: E402
from runtimes.events import Done  # noqa: E402
from runtimes.llama_cpp.options import LlamaLoadOptions  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import Sampling, TextRequest  # noqa: E402


def gen_tps(session, n: int) -> float:
    request = TextRequest(prompt="Once upon a time", sampling=Sampling(temperature=0, max_tokens=n))
    done = [e for e in session.run(request) if isinstance(e, Done)][-1]
    assert done.stats.n_gen == n, done.stats
    return done.stats.gen_tps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default="tiny")
    parser.add_argument("-n", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-t", "--threads", type=int, default=None)
    args = parser.parse_args()
    out = Path(tempfile.gettempdir()) / "workbench-bench-models"
    model = next(m.path for m in build_demo_models(out, spec=args.spec, quants=("Q4_K_M",)) if m.quant == "Q4_K_M")
    options = LlamaLoadOptions(n_ctx=args.n + 64, n_threads=args.threads)
    runtime = get_runtime("llama.cpp")
    in_process, worker = [], []
    with runtime.open_session(model, options) as local, runtime.load(model, options) as remote:
        gen_tps(local, 16), gen_tps(remote, 16)  # warm up both
        for _ in range(args.rounds):
            in_process.append(gen_tps(local, args.n))
            worker.append(gen_tps(remote, args.n))
    a, b = statistics.median(in_process), statistics.median(worker)
    print(f"model {model.name}, {args.n} tokens, {args.rounds} rounds (median gen t/s)")
    verdict = "PASS" if b / a >= 0.97 else "FAIL"
    print(f"in-process {a:8.1f} t/s\nworker     {b:8.1f} t/s\nratio      {b / a:8.3f}  ({verdict} vs 0.97)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
