"""Which build of Workbench is running: a source install, or a frozen bundle
and the llama.cpp flavour (cpu/cuda/metal/vulkan) it was built with.

packaging/build.py writes ``assets/_build_flavour.json`` into the bundle; it
is read through importlib.resources so the same code works frozen or not. A
source checkout has no such file and reports flavour "source".
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from importlib.resources import files

STAMP_NAME = "_build_flavour.json"


@dataclass(frozen=True)
class BuildFlavour:
    flavour: str  # "source", or the build's "cpu" / "cuda" / "metal" / "vulkan"
    frozen: bool
    target: str = ""  # e.g. "linux-deb"; empty for a source install
    version: str = ""
    built_at: str = ""

    def describe(self) -> str:
        if not self.frozen and self.flavour == "source":
            return "source install"
        return f"{self.flavour} bundle" + (f" ({self.target}, built {self.built_at})" if self.target else "")


def read_flavour() -> BuildFlavour:
    frozen = bool(getattr(sys, "frozen", False))
    try:
        data = json.loads(files("assets").joinpath(STAMP_NAME).read_text(encoding="utf-8"))
    except (FileNotFoundError, OSError, ValueError):
        return BuildFlavour("source", frozen)
    return BuildFlavour(
        flavour=str(data.get("flavour", "unknown")),
        frozen=frozen,
        target=str(data.get("target", "")),
        version=str(data.get("version", "")),
        built_at=str(data.get("built_at", "")),
    )
