"""``workbench quantize --imatrix`` against llama.cpp's llama-quantize --imatrix.

Builds (or reuses) llama-imatrix and llama-quantize from the pinned sdist
(benchmarks/llama_tools.py), computes a real importance matrix for the demo
F32 model in both file formats llama-imatrix writes (GGUF and legacy .dat),
quantizes with both tools and reports whether the outputs are byte-identical.

    .venv/bin/python benchmarks/quantize_imatrix_vs_llama.py [--types Q4_K_M,IQ4_XS,Q2_K] [--spec tiny]
"""

from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def _run(args: list[str]) -> None:
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed:\n{proc.stderr[-2000:]}")


def _imatrix_tool(quantize: Path) -> Path:
    """llama-imatrix, built next to llama-quantize in the same build folder."""
    path = quantize.parent / "llama-imatrix"
    if not path.is_file():
        _run(["cmake", "--build", quantize.parent.parent, "--target", "llama-imatrix", "-j", "2"])
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--types", default="Q4_K_M,IQ4_XS,Q2_K")
    parser.add_argument("--spec", default="tiny", choices=("tiny", "small"))
    args = parser.parse_args()

    from llama_tools import tool_path

    from app.quantize.job import quantize_many
    from models.demo.factory import build_demo_models

    quantize = tool_path("llama-quantize")
    imatrix_tool = _imatrix_tool(quantize)
    work = Path(tempfile.mkdtemp(prefix="imatrix-bench-"))
    source = next(m.path for m in build_demo_models(work / "models", spec=args.spec, seed=0) if m.quant == "F32")
    text = REPO / "assets" / "compare-default.txt"
    print("| imatrix format | type | llama-quantize vs workbench |")
    print("| --- | --- | --- |")
    failures = 0
    for fmt in ("gguf", "dat"):
        imatrix = work / f"imatrix.{fmt}"
        _run([imatrix_tool, "-m", source, "-f", text, "-c", "128", "--chunks", "6", "-t", "2",
              "--output-format", fmt, "-o", imatrix])
        for target in args.types.split(","):
            theirs = work / f"llama-{fmt}-{target}.gguf"
            _run([quantize, "--imatrix", imatrix, source, theirs, target, "2"])
            (ours,) = quantize_many(source, [target], work / f"ours-{fmt}", n_threads=2, imatrix=imatrix)
            same = filecmp.cmp(theirs, ours, shallow=False)
            failures += not same
            print(f"| {fmt} | {target} | {'byte-identical' if same else 'DIFFERENT'} |")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
