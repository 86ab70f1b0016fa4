"""A llama.cpp model loaded in the current process."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.dispatch import RequestHandlers
from runtimes.errors import LoadFailed
from runtimes.events import Event
from runtimes.llama_cpp.bench import BenchRequest, run_bench
from runtimes.llama_cpp.generation import generate
from runtimes.llama_cpp.model_params import extra_model_params
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.llama_cpp.rpc.devices import add_rpc_servers, offload_devices
from runtimes.llama_cpp.rpc.layer_split import layer_devices, summarize
from runtimes.llama_cpp.scoring.logits_eval import LogitsEvalRequest, run_logits_eval
from runtimes.llama_cpp.speculative.decoding import open_speculator
from runtimes.llama_cpp.speculative.options import PlainRequest
from runtimes.llama_cpp.templates import template_info
from runtimes.llama_cpp.vision.context import generate_with_images, has_images, open_vision
from runtimes.requests import TextRequest


def default_threads() -> int:
    """Physical cores, as llama.cpp's own default (cpu_get_num_math) uses."""
    import psutil

    return psutil.cpu_count(logical=False) or os.cpu_count() or 1


def _ggml_type(name: str) -> int:
    import llama_cpp

    return getattr(llama_cpp, f"GGML_TYPE_{name.upper()}")


class LlamaSession(Session):
    def __init__(self, model: Path, options: LlamaLoadOptions, verbose: bool, vision: Any = None) -> None:
        from llama_cpp import Llama, llama_model_n_layer

        self.model = model
        self.options = options
        self.n_threads = options.n_threads or default_threads()
        t0 = time.perf_counter()
        # Remote devices first: llama.cpp places layers on every registered device.
        remote = add_rpc_servers(options.rpc) if options.rpc else []
        if remote:  # a lost server aborts in ggml; keep its message the log's last line, not a gdb backtrace
            os.environ["GGML_NO_BACKTRACE"] = "1"
        try:
            with extra_model_params(use_extra_bufts=options.repack):
                self.llm = Llama(
                    str(model),
                    n_ctx=options.n_ctx,
                    n_batch=options.n_batch,
                    n_ubatch=options.n_ubatch,
                    n_threads=self.n_threads,
                    n_threads_batch=options.n_threads_batch or self.n_threads,
                    n_gpu_layers=options.n_gpu_layers,
                    flash_attn=options.flash_attn,
                    type_k=_ggml_type(options.type_k),
                    type_v=_ggml_type(options.type_v),
                    use_mmap=options.use_mmap,
                    use_mlock=options.use_mlock,
                    tensor_split=list(options.tensor_split) if options.tensor_split else None,
                    swa_full=options.swa_full,
                    verbose=verbose,
                )
        except (ValueError, RuntimeError) as exc:
            raise LoadFailed(f"llama.cpp could not load {model.name}: {exc}") from exc
        self.stats = SessionStats.after_load(t0)
        self.info: dict[str, Any] = {
            "model": str(model),
            "description": self.llm._model.desc(),
            "n_ctx": self.llm.n_ctx(),
            "n_ctx_train": self.llm._model.n_ctx_train(),
            "n_threads": self.n_threads,
            "n_gpu_layers": options.n_gpu_layers,
            "has_chat_template": bool(self.llm.metadata.get("tokenizer.chat_template")),
            **template_info(self.llm),
        }
        if remote:
            self.info["rpc_devices"] = [(d.name, d.endpoint, d.memory_free) for d in remote]
        if remote or options.n_gpu_layers:
            n_layers = llama_model_n_layer(self.llm._model.model)
            names = layer_devices(n_layers, options.n_gpu_layers, offload_devices(), options.tensor_split)
            self.info["layer_split"] = summarize(names)
        # Speculative decoding: a draft model (or prompt lookup) next to the target; None when plain.
        self.speculator = open_speculator(self.llm, options.speculative, self.n_threads, verbose)
        if self.speculator is not None:
            self.info.update(self.speculator.info())
        self.vision = open_vision(self, vision, verbose)  # None: text only

    def _text(self, request: TextRequest, cancel: CancelToken | None) -> Iterator[Event]:
        if has_images(request.messages):
            return generate_with_images(self.llm, self.vision, request, cancel, self.info.get("vision_warning"))
        if self.speculator is not None:
            return self.speculator.generate(request, cancel)
        return generate(self.llm, request, cancel)

    def _plain(self, request: PlainRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return generate(self.llm, request.request, cancel)

    def _bench(self, request: BenchRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return run_bench(self.llm, self.model, self.options, self.n_threads, request, cancel)

    def _logits_eval(self, request: LogitsEvalRequest, cancel: CancelToken | None) -> Iterator[Event]:
        return run_logits_eval(self.llm, self.n_threads, request, cancel)

    handlers = RequestHandlers("the llama.cpp runtime", {
        TextRequest: _text,
        PlainRequest: _plain,
        BenchRequest: _bench,
        LogitsEvalRequest: _logits_eval,
    })

    def close(self) -> None:
        speculator, self.speculator = getattr(self, "speculator", None), None
        if speculator is not None:
            speculator.close()
        llm, self.llm = getattr(self, "llm", None), None
        if llm is not None:
            llm.close()
