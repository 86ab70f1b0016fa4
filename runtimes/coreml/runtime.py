"""The Core ML runtime (coremltools), registered as "coreml".

Inspection and conversion work on every OS, so the runtime is available
wherever coremltools imports. Predictions and benchmarks need macOS: off
macOS availability()'s note says so, every compute unit is listed
unavailable with that reason, and loading or benchmarking refuses with it
(NotSupported) before any worker starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runtimes.base import Availability, BenchRun, BenchSpec, Capability, Device, LoadOptions, Runtime, Session
from runtimes.errors import NotSupported
from runtimes.registry import register_runtime


@register_runtime
class CoreMLRuntime(Runtime):
    name = "coreml"
    capabilities = frozenset({Capability.TENSOR_INFERENCE})
    model_suffixes = (".mlpackage", ".mlmodel")
    bench_columns = (
        "compute_units", "n_runs", "load_s", "first_run_ms",
        "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "throughput_rps",
    )  # fmt: skip

    def availability(self) -> Availability:
        """Ok wherever coremltools imports: inspection and conversion work on
        every OS. Whether predictions run is in the note (off macOS: why not),
        and each compute unit in devices() is unavailable with that reason."""
        from runtimes.coreml.ct_import import INSTALL_HINT, coremltools_version
        from runtimes.coreml.platform_support import prediction_support

        if coremltools_version() is None:
            return Availability.no(f"coremltools is not installed; {INSTALL_HINT}")
        support = prediction_support()
        return Availability(True, support.reason, "" if support.ok else "Inspect only (predict needs macOS)")

    def devices(self) -> list[Device]:
        from runtimes.coreml.platform_support import compute_unit_devices

        return compute_unit_devices()

    def describe_model(self, model: Path) -> dict[str, Any]:
        from runtimes.coreml.model_description import describe
        from runtimes.coreml.package_check import open_coreml

        return describe(open_coreml(Path(model)))

    def validate(self, model: Path, options: LoadOptions) -> None:
        """Check the file, the options and the platform before a worker is spawned."""
        from runtimes.coreml.options import compute_units_of
        from runtimes.coreml.package_check import open_coreml

        open_coreml(Path(model))
        self._require_unit(compute_units_of(options))

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.coreml.options import compute_units_of
        from runtimes.coreml.package_check import open_coreml
        from runtimes.coreml.session import CoreMLSession

        units = compute_units_of(options)
        model_file = open_coreml(Path(model))
        self._require_unit(units)
        return CoreMLSession(model_file, units)

    def bench_runs(self, model: Path, spec: BenchSpec) -> list[BenchRun]:
        from runtimes.coreml.bench import CoreMLBenchRequest
        from runtimes.coreml.options import CoreMLLoadOptions, compute_unit_name
        from runtimes.coreml.platform_support import prediction_support

        support = prediction_support()
        if not support.ok:
            raise NotSupported(f"cannot benchmark {Path(model).name}: {support.reason}")
        # "compute_units" from the CLI's --compute-units, "devices" (device ids) from the UI.
        asked = spec.params.get("compute_units") or spec.params.get("devices")
        if asked:
            units = [compute_unit_name(u) for u in asked]
        else:  # every unit this Mac has, CPU_ONLY first as the baseline
            units = [d.id for d in self.devices() if d.available]
        request = CoreMLBenchRequest(spec.repetitions, spec.warmup, fill=spec.params.get("fill") or "random")
        name = Path(model).name
        return [BenchRun(f"{name} on {unit}", CoreMLLoadOptions(compute_units=unit), request) for unit in units]

    def bench_markdown(self, records: list[dict[str, Any]]) -> str:
        from runtimes.coreml.bench import bench_table

        return bench_table(records, self.bench_columns)

    def _require_unit(self, units: str) -> None:
        device = next(d for d in self.devices() if d.id == units)
        if not device.available:
            raise NotSupported(f"Core ML cannot predict on {units}: {device.reason}")
