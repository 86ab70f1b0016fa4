"""workbench infer MODEL: run a tensor model (.onnx, .mlpackage, ...) once.

Inputs come from .npy files (``--input name=file.npy``); the rest are made
up (``--fill random|zeros``). The runtime that claims the file runs it in a
worker on ``--device`` (an ONNX execution provider, a Core ML compute unit:
see ``workbench runtimes``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy and the runner load only when the command runs: `workbench` starts fast
    import numpy as np

    from app.tensors.run import TensorOutcome

HELP = "run a tensor model (ONNX, Core ML) once on .npy, random or zero inputs"
JSON_VALUES_LIMIT = 10_000  # larger outputs are summarised in --json; use --save for the arrays
PREVIEW = 8


def _input_arg(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=FILE.npy, got {text!r}")
    return name, Path(path)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("infer", help=HELP, description=HELP)
    parser.add_argument("model", type=Path, help=".onnx, .mlpackage or .mlmodel")
    parser.add_argument("-i", "--input", dest="inputs", type=_input_arg, action="append", default=[],
                        metavar="NAME=FILE.npy", help="an input from a .npy file (repeatable)")
    parser.add_argument("--fill", choices=("random", "zeros"), default="random",
                        help="what inputs without a file hold (default: random)")
    parser.add_argument("--seed", type=int, default=0, help="seed for random inputs")
    parser.add_argument("--device", "--provider", dest="device", default="cpu",
                        help="ONNX execution provider (cpu, cuda, ...) or Core ML compute unit (default: cpu)")
    parser.add_argument("-t", "--threads", type=int, default=None)
    parser.add_argument("--save", type=Path, default=None, metavar="DIR", help="write each output to DIR/NAME.npy")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from app.tensors.run import read_npy, run_tensor

    if args.threads is not None and args.threads < 1:
        raise ValueError("-t must be at least 1")
    inputs: dict[str, np.ndarray] = {}
    for name, path in args.inputs:
        if name in inputs:
            raise ValueError(f"input {name!r} is given twice")
        inputs[name] = read_npy(path)
    outcome = run_tensor(args.model, inputs, args.fill, args.seed, args.device, args.threads)
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)
        for name, array in outcome.outputs.items():
            np.save(args.save / f"{_safe(name)}.npy", np.asarray(array))
    given = {name: str(path) for name, path in args.inputs}
    print(json.dumps(as_json(args.model, outcome, given, args.fill), indent=2) if args.json
          else render(args.model, outcome, given, args.fill))
    return 0


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "output"


def render(model: Path, outcome: TensorOutcome, given: dict[str, str], fill: str) -> str:
    from app.tensors.run import outcome_lines

    *outputs, timing = outcome_lines(outcome, PREVIEW)
    lines = [f"model    {model} ({outcome.runtime}, {outcome.device})"]
    lines.append("inputs   " + (", ".join(f"{n} from {p}" for n, p in given.items()) or "none given")
                 + f"; others {fill}")
    lines.append("outputs")
    lines.extend(f"  {line}" for line in outputs)
    lines.append(f"timing   {timing}")
    return "\n".join(lines)


def as_json(model: Path, outcome: TensorOutcome, given: dict[str, str], fill: str) -> dict[str, Any]:
    import numpy as np

    outputs = {}
    for name, value in outcome.outputs.items():
        array = np.asarray(value)
        entry: dict[str, Any] = {"shape": list(array.shape), "dtype": array.dtype.name}
        if array.size <= JSON_VALUES_LIMIT:
            entry["values"] = array.tolist()
        else:
            entry["values_omitted"] = f"{array.size} values; use --save DIR for the array"
        outputs[name] = entry
    return {
        "model": str(model),
        "runtime": outcome.runtime,
        "device": outcome.device,
        "inputs_from_files": given,
        "fill": fill,
        "outputs": outputs,
        "metrics": outcome.metrics,
        "load_s": outcome.load_s,
        "peak_rss_bytes": outcome.peak_rss_bytes,
    }
