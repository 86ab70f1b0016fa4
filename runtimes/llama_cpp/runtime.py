"""The llama.cpp runtime (llama-cpp-python), registered as "llama.cpp"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from runtimes.base import Availability, BenchRun, BenchSpec, Capability, Device, LoadOptions, Runtime, Session
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import register_runtime

if TYPE_CHECKING:
    from runtimes.llama_cpp.vision.setup import VisionPlan


@register_runtime
class LlamaCppRuntime(Runtime):
    name = "llama.cpp"
    capabilities = frozenset({Capability.TEXT_GENERATION, Capability.VISION_INPUT})
    model_suffixes = (".gguf",)

    def availability(self) -> Availability:
        try:
            from runtimes.llama_cpp.backends import build_info

            info = build_info()
        except (ImportError, OSError) as exc:
            return Availability.no(f"llama-cpp-python is not usable: {exc}")
        return Availability.yes(f"llama-cpp-python {info.version}, backends: {', '.join(info.backends)}")

    def devices(self) -> list[Device]:
        from runtimes.llama_cpp.backends import list_devices

        return list_devices()

    def validate(self, model: Path, options: LoadOptions) -> None:
        self._vision_plan(model, options)

    def _vision_plan(self, model: Path, options: LoadOptions) -> VisionPlan | None:
        """Check the model (and its mmproj) before a worker starts; returns the VisionPlan."""
        from models.gguf.validate import validate_gguf  # lazy: gguf+numpy cost ~0.2 s at startup
        from runtimes.llama_cpp.speculative.options import check_speculative
        from runtimes.llama_cpp.vision.setup import plan_vision

        header = validate_gguf(model)
        llama = LlamaLoadOptions.required(options, self.name)
        check_speculative(str(model), llama.speculative)  # a mismatched draft is refused here
        return plan_vision(model, header, llama.mmproj, llama.chat_handler)

    def open_session(self, model: Path, options: LoadOptions) -> Session:
        from runtimes.llama_cpp.session import LlamaSession
        from runtimes.worker import child

        model = Path(model)
        vision = self._vision_plan(model, options)
        # In a worker all output goes to its log file, so let llama.cpp talk.
        return LlamaSession(model, LlamaLoadOptions.required(options, self.name), verbose=child.IN_WORKER,
                            vision=vision)

    def bench_runs(self, model: Path, spec: BenchSpec) -> list[BenchRun]:
        from runtimes.llama_cpp.bench import BenchRequest

        n_prompt = tuple(spec.params.get("n_prompt") or (512,))
        n_gen = tuple(spec.params.get("n_gen") or (128,))
        # llama-bench gives every test its own context of exactly n_prompt + n_gen tokens with a
        # window-sized SWA cache; a bigger KV cache makes each decode attend over more cells.
        tests = [(p, 0) for p in n_prompt if p > 0] + [(0, g) for g in n_gen if g > 0]
        runs = []
        for p, g in tests:
            options = LlamaLoadOptions.from_params(spec.params, n_ctx=p + g, n_threads=spec.n_threads)
            options.swa_full = False
            request = BenchRequest((p,), (g,), spec.repetitions, spec.warmup)
            runs.append(BenchRun(f"{model.name} {'pp' if p else 'tg'}{p or g}", options, request))
        return runs

    def bench_markdown(self, records: list[dict[str, Any]]) -> str:
        from runtimes.llama_cpp.bench_table import bench_markdown

        return bench_markdown(records)
