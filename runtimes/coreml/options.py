"""Load options for the Core ML runtime: which compute units predict."""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.base import LoadOptions
from runtimes.coreml.platform_support import COMPUTE_UNITS

# LoadOptions.device values other callers use, mapped to a compute unit.
_DEVICE_ALIASES = {"cpu": "CPU_ONLY", "gpu": "CPU_AND_GPU", "ane": "CPU_AND_NE", "auto": "ALL"}


def compute_unit_name(text: str) -> str:
    """"cpu_and_ne" / "CPU_AND_NE" / "ane" -> "CPU_AND_NE"; ValueError names the choices."""
    name = _DEVICE_ALIASES.get(text.strip().lower(), text.strip().upper())
    if name not in COMPUTE_UNITS:
        raise ValueError(f"unknown Core ML compute unit {text!r}; choose from {', '.join(COMPUTE_UNITS)}")
    return name


@dataclass
class CoreMLLoadOptions(LoadOptions):
    compute_units: str = "ALL"

    def __post_init__(self) -> None:
        self.compute_units = compute_unit_name(self.compute_units)


def compute_units_of(options: LoadOptions) -> str:
    """The compute unit any LoadOptions asks for: CoreMLLoadOptions.compute_units,
    else ``extra["compute_units"]``, else ``device`` ("cpu" -> CPU_ONLY, or a unit name)."""
    if isinstance(options, CoreMLLoadOptions):
        return options.compute_units
    if isinstance(options, LoadOptions):
        return compute_unit_name(str(options.extra.get("compute_units") or options.device))
    raise TypeError(f"the coreml runtime takes CoreMLLoadOptions or LoadOptions, not {type(options).__name__}")
