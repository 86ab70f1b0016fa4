"""Fidelity of ``workbench compare`` against llama.cpp's llama-perplexity, on any model.

Reference model: ``--model`` (default: the Gemma 3 270M Q4_K_M real-model file when
present, else the demo ladder's F32). Variants: ``--variants`` files, or made from the
reference with llama-quantize (``--quants``; ``--allow-requantize`` when the reference
is itself quantized: the output says so). Then, on the same text, chunk size, chunk
count and threads, with llama-perplexity's own defaults for everything else:

    llama-perplexity -m REF -f TEXT -c CTX --chunks N -t T --kl-divergence-base BASE
    llama-perplexity -m VARIANT -c CTX -t T --kl-divergence-base BASE --kl-divergence
    workbench compare (CompareRunner, fresh data folder so nothing is cached, no speed test)

and prints PPL, mean KLD and same-top % of both, their ratios, and pass/fail (PPL and
KLD within 1 %, same top within 0.2 points). Both tools run flash attention as
llama-perplexity's default (-fa auto) picks it on CPU (on); ``--flash-attn off`` passes
-fa off to llama-perplexity and turns it off in Workbench.

    .venv/bin/python benchmarks/compare_vs_llama_perplexity.py --chunks 4 -t 2      # Gemma when installed
    .venv/bin/python benchmarks/compare_vs_llama_perplexity.py --model demo --chunks 4
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

GEMMA = Path.home() / ".cache" / "workbench" / "real-models" / "gemma-3-270m-q4_k_m.gguf"
VARIANT_DIR = REPO / ".cache" / "compare-bench"
_WALL: list[float] = []  # wall seconds of each llama-perplexity process


def _llama(tool: Path, args: list[str]) -> str:
    t0 = time.perf_counter()
    proc = subprocess.run([str(tool), *args], capture_output=True, text=True)
    _WALL.append(time.perf_counter() - t0)
    if proc.returncode != 0:
        raise RuntimeError(f"{tool.name} failed:\n{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if not match:
        raise RuntimeError(f"pattern {pattern!r} not found in llama-perplexity output")
    return float(match.group(1))


def parse_reference(out: str) -> dict[str, float]:
    return {"ppl": _number(r"Final estimate: PPL = ([\d.]+)", out), "kld_mean": 0.0, "same_top_pct": 100.0}


def parse_variant(out: str) -> dict[str, float]:
    return {"ppl": _number(r"Mean PPL\(Q\)\s*:\s*([\d.]+)", out),
            "kld_mean": _number(r"Mean\s+KLD:\s*([\d.]+)", out),
            "same_top_pct": _number(r"Same top p:\s*([\d.]+)", out)}


def make_variants(reference: Path, quants: list[str]) -> tuple[dict[str, Path], str]:
    """Variants of ``reference`` by llama-quantize (cached by name); returns them and how they were made."""
    from llama_tools import tool_path

    from models.gguf.info import read_gguf_info

    source_type = read_gguf_info(reference).file_type_name or "?"
    requant = source_type.upper() not in ("F32", "F16", "BF16")
    VARIANT_DIR.mkdir(parents=True, exist_ok=True)
    made = {}
    for q in quants:
        out = VARIANT_DIR / f"{reference.stem}-{q}.gguf"
        if not out.is_file():
            flags = ["--allow-requantize"] if requant else []
            _run_quiet([str(tool_path("llama-quantize")), *flags, str(reference), str(out), q])
        made[q] = out
    how = (f"variants {', '.join(quants)} re-quantized from the {source_type} reference with llama-quantize "
           "--allow-requantize (the only real file here), so they carry its quantization error too"
           if requant else f"variants {', '.join(quants)} quantized from the {source_type} reference")
    return made, how


def _run_quiet(command: list[str]) -> None:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed:\n{proc.stderr[-2000:]}")


def _models(args: argparse.Namespace) -> tuple[Path, dict[str, Path], str]:
    quants = args.quants.split(",")
    if args.model == "demo" or (args.model is None and not GEMMA.is_file()):
        from models.demo.factory import build_demo_models

        ladder = {m.quant: m.path for m in build_demo_models(REPO / ".cache" / "demo-models" / args.spec,
                                                              spec=args.spec, quants=["F32", *quants])}
        return ladder["F32"], {q: ladder[q] for q in quants}, f"demo ladder ({args.spec}), F32 reference"
    reference = Path(args.model) if args.model else GEMMA
    if args.variants:
        return reference, {Path(v).stem: Path(v) for v in args.variants}, "variants given"
    variants, how = make_variants(reference, quants)
    return reference, variants, how


def _ratio(ours: float, theirs: float) -> str:
    return "1.0000" if ours == theirs else (f"{ours / theirs:.4f}" if theirs else "–")


def _points(delta: float) -> str:
    return f"{round(delta, 3) + 0.0:+.3f}"  # no "-0.000"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="reference GGUF, or 'demo' (default: the Gemma real-model file if present)")
    parser.add_argument("--variants", nargs="*", help="variant GGUFs (default: made from the reference by --quants)")
    parser.add_argument("--quants", default="Q8_0,Q2_K")
    parser.add_argument("--spec", default="small", choices=("tiny", "small"), help="demo ladder size")
    parser.add_argument("--ctx", type=int, default=512)
    parser.add_argument("--chunks", type=int, default=4)
    parser.add_argument("-t", "--threads", type=int, default=2)
    parser.add_argument("--flash-attn", choices=("on", "off"), default="on")
    parser.add_argument("--text", type=Path, default=REPO / "assets" / "compare-default.txt")
    parser.add_argument("--parallel", type=int, default=1,
                        help="variants at once in workbench (default 1: one model at a time, as llama-perplexity)")
    args = parser.parse_args()

    from llama_tools import tool_path

    reference, variants, how = _models(args)
    perplexity = tool_path("llama-perplexity")
    common = ["-c", str(args.ctx), "-t", str(args.threads)] + (["-fa", "off"] if args.flash_attn == "off" else [])
    names = ["reference", *variants]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "llama.kld-base"
        ref_args = ["-m", str(reference), "-f", str(args.text), "--chunks", str(args.chunks),
                    "--kl-divergence-base", str(base), *common]
        llama = {"reference": parse_reference(_llama(perplexity, ref_args))}
        for name, path in variants.items():
            out = _llama(perplexity, ["-m", str(path), "--kl-divergence-base", str(base), "--kl-divergence", *common])
            llama[name] = parse_variant(out)

        os.environ["WORKBENCH_HOME"] = str(Path(tmp) / "home")  # nothing cached from earlier runs
        from app.cli.compare_cmd import read_text
        from app.compare.runner import CompareConfig, CompareRunner

        text, text_name = read_text(args.text)
        spec = CompareConfig(reference, list(variants.values()), text, text_name, args.ctx, args.chunks, args.threads,
                           flash_attn=args.flash_attn == "on", speed=False, max_parallel=args.parallel)
        t0 = time.perf_counter()
        records = CompareRunner(spec).run().records
        ours_wall = time.perf_counter() - t0
        ours = dict(zip(names, records, strict=True))

    print(f"reference {reference.name}; {how}")
    print(f"text={args.text.name} ctx={args.ctx} chunks={args.chunks} threads={args.threads} "
          f"flash-attn={args.flash_attn}")
    print(f"llama-perplexity flags: {' '.join(common)} (everything else at its defaults)\n")
    print("| model | PPL llama | PPL ours | ratio | KLD llama | KLD ours | ratio | same top llama | same top ours "
          "| Δ points | pass |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    all_ok = True
    for name in names:
        a, b = llama[name], ours[name]
        label = f"{reference.name} (ref)" if name == "reference" else Path(variants[name]).name
        ok = abs(b["ppl"] - a["ppl"]) <= 0.01 * a["ppl"]
        ok &= abs(b["kld_mean"] - a["kld_mean"]) <= 0.01 * a["kld_mean"] + 1e-9
        ok &= abs(b["same_top_pct"] - a["same_top_pct"]) <= 0.2
        all_ok &= ok
        print(f"| {label} | {a['ppl']:.4f} | {b['ppl']:.4f} | {_ratio(round(b['ppl'], 4), a['ppl'])}"
              f" | {a['kld_mean']:.6f} | {b['kld_mean']:.6f} | {_ratio(round(b['kld_mean'], 6), a['kld_mean'])}"
              f" | {a['same_top_pct']:.3f} | {b['same_top_pct']:.3f} | {_points(b['same_top_pct'] - a['same_top_pct'])}"
              f" | {'PASS' if ok else 'FAIL'} |")
    tokens = len(names) * args.chunks * args.ctx
    llama_tps, ours_tps = tokens / sum(_WALL), tokens / ours_wall
    print(f"\nnumbers: {'PASS' if all_ok else 'FAIL'} (ours rounded to llama-perplexity's printed digits for ratios)")
    print(f"end-to-end eval tokens/s (load + tokenize + all chunks, {len(names)} models): "
          f"llama-perplexity {llama_tps:.1f}, workbench {ours_tps:.1f}, ratio {ours_tps / llama_tps:.2f}")
    # llama-perplexity prints no llama_perf timings in this build, so whole-process wall time it is.
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
