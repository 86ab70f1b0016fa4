"""Load options for the ONNX Runtime runtime."""

from __future__ import annotations

from dataclasses import dataclass

from runtimes.base import LoadOptions

# onnxruntime.GraphOptimizationLevel member for each name the options accept.
GRAPH_OPTIMIZATION = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


@dataclass
class OnnxLoadOptions(LoadOptions):
    """``providers`` in priority order (names as runtimes.onnx.providers accepts
    them); empty means ``device`` alone. The CPU provider is always appended as
    the fallback for operators a GPU provider lacks, as onnxruntime advises.
    ``n_threads`` sets intra-op threads (None: onnxruntime's default)."""

    providers: tuple[str, ...] = ()
    graph_optimization: str = "all"

    def __post_init__(self) -> None:
        if self.graph_optimization not in GRAPH_OPTIMIZATION:
            raise ValueError(
                f"unknown graph optimization {self.graph_optimization!r}; choose from {', '.join(GRAPH_OPTIMIZATION)}"
            )
        if self.n_threads is not None and self.n_threads < 1:
            raise ValueError("n_threads must be >= 1")
        self.providers = tuple(self.providers)

    @property
    def provider_names(self) -> tuple[str, ...]:
        return self.providers or (self.device,)


def onnx_options(options: LoadOptions) -> OnnxLoadOptions:
    """OnnxLoadOptions as they are; a plain LoadOptions (what generic callers
    such as ``workbench infer`` pass) by its device, threads and
    ``extra["providers"]``."""
    if isinstance(options, OnnxLoadOptions):
        return options
    if isinstance(options, LoadOptions):
        extra = dict(options.extra)
        providers = tuple(extra.pop("providers", ()) or ())
        graph_optimization = extra.pop("graph_optimization", "all")
        return OnnxLoadOptions(options.device, options.n_threads, extra, providers, graph_optimization)
    raise TypeError(f"the onnxruntime runtime takes OnnxLoadOptions or LoadOptions, not {type(options).__name__}")
