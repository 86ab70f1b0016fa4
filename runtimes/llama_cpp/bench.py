"""llama-bench's measurement, run inside the model's worker process.

Same procedure as llama.cpp's tools/llama-bench: random tokens, one warmup,
then ``reps`` timed runs; pp = one batched decode of n_prompt tokens, tg =
n_gen single-token decodes, each followed by a synchronize. Records carry
llama-bench's field names so both tools' JSON can be compared line by line,
plus the process CPU time per token (samples_cpu_ns, cpu_ms_per_token).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runtimes.base import CancelToken
from runtimes.events import Done, Error, Event, Metrics
from runtimes.llama_cpp.backends import build_info, list_devices
from runtimes.llama_cpp.options import LlamaLoadOptions


@dataclass
class BenchRequest:
    n_prompt: tuple[int, ...] = (512,)
    n_gen: tuple[int, ...] = (128,)
    reps: int = 5
    warmup: bool = True
    n_depth: int = 0  # llama-bench -d: tokens already in the KV cache before each test


def _decode(llama_cpp: Any, ctx: Any, tokens: list[int]) -> None:
    array = (llama_cpp.llama_token * len(tokens))(*tokens)
    if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(array, len(tokens))) != 0:
        raise RuntimeError("llama_decode failed")


def _test_prompt(llama_cpp: Any, llm: Any, n_prompt: int, rng: random.Random) -> None:
    n_vocab, n_batch = llm.n_vocab(), llm.n_batch
    vocab = llm._model.vocab
    done = 0
    while done < n_prompt:
        n = min(n_prompt - done, n_batch)
        first = llm.token_bos() if done == 0 and llama_cpp.llama_vocab_get_add_bos(vocab) else rng.randrange(n_vocab)
        _decode(llama_cpp, llm.ctx, [first] + [rng.randrange(n_vocab) for _ in range(n - 1)])
        done += n
    llama_cpp.llama_synchronize(llm.ctx)


def _test_gen(llama_cpp: Any, llm: Any, n_gen: int, rng: random.Random) -> None:
    n_vocab = llm.n_vocab()
    vocab = llm._model.vocab
    token = llm.token_bos() if llama_cpp.llama_vocab_get_add_bos(vocab) else rng.randrange(n_vocab)
    ctx = llm.ctx
    one = (llama_cpp.llama_token * 1)()
    for _ in range(n_gen):
        one[0] = token
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(one, 1)) != 0:
            raise RuntimeError("llama_decode failed")
        llama_cpp.llama_synchronize(ctx)
        token = rng.randrange(n_vocab)


def _fill_depth(llama_cpp: Any, llm: Any, n_depth: int, rng: random.Random) -> None:
    """llama-bench's -d: fill the cache (untimed) so the test runs at that context."""
    if n_depth:
        _test_prompt(llama_cpp, llm, n_depth, rng)


def _clear(llama_cpp: Any, llm: Any) -> None:
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm.ctx), False)


def run_bench(
    llm: Any, model: Path, options: LlamaLoadOptions, n_threads: int, request: BenchRequest, cancel: CancelToken | None
) -> Iterator[Event]:
    import llama_cpp

    tests = [(p, 0) for p in request.n_prompt if p > 0] + [(0, g) for g in request.n_gen if g > 0]
    needed = max((p + g for p, g in tests), default=0) + request.n_depth
    if needed > llm.n_ctx():
        yield Error(f"the test needs {needed} tokens of context but the session has {llm.n_ctx()}", "context")
        return
    llama_cpp.llama_set_n_threads(llm.ctx, n_threads, n_threads)
    rng = random.Random(0)
    records = []
    total = len(tests) * request.reps
    for index, (n_prompt, n_gen) in enumerate(tests):
        _clear(llama_cpp, llm)
        if request.warmup:
            _fill_depth(llama_cpp, llm, request.n_depth, rng)
            if n_prompt:
                _test_prompt(llama_cpp, llm, n_prompt, rng)
            if n_gen:
                _test_gen(llama_cpp, llm, 1, rng)
        samples, cpu_samples = [], []
        for rep in range(request.reps):
            if cancel is not None and cancel.cancelled:
                yield Done(result=records)
                return
            _clear(llama_cpp, llm)
            _fill_depth(llama_cpp, llm, request.n_depth, rng)
            c0, t0 = time.process_time_ns(), time.perf_counter_ns()
            if n_prompt:
                _test_prompt(llama_cpp, llm, n_prompt, rng)
            if n_gen:
                _test_gen(llama_cpp, llm, n_gen, rng)
            samples.append(time.perf_counter_ns() - t0)
            cpu_samples.append(time.process_time_ns() - c0)
            yield Metrics({"done": index * request.reps + rep + 1, "total": total})
        records.append({**_record(llm, model, options, n_threads, n_prompt, n_gen, samples, cpu_samples),
                        "n_depth": request.n_depth})
    yield Done(result=records)


def _record(
    llm: Any, model: Path, options: LlamaLoadOptions, n_threads: int, n_prompt: int, n_gen: int, samples: list[int],
    cpu_samples: list[int],
) -> dict[str, Any]:
    devices = list_devices()
    info = build_info()
    ts = [1e9 * (n_prompt + n_gen) / ns for ns in samples]
    gpu_kinds = {"gpu", "igpu", "cuda", "metal", "vulkan"}
    backends = [b for b in info.backends if b != "CPU" and not b.startswith("RPC")]
    backends += ["RPC"] if options.rpc else []  # llama-bench's get_backend(): "RPC" once servers have devices
    return {
        "build_commit": f"llama-cpp-python-{info.version}",
        "build_number": 0,
        "cpu_info": ", ".join(d.description for d in devices if d.kind in ("cpu", "accel")),
        "gpu_info": ", ".join(d.description for d in devices if d.kind in gpu_kinds),
        "backends": ",".join(backends) or "CPU",
        "model_filename": str(model),
        "model_type": llm._model.desc(),
        "model_size": llm._model.size(),
        "model_n_params": llm._model.n_params(),
        "n_batch": options.n_batch,
        "n_ubatch": options.n_ubatch,
        "n_threads": n_threads,
        "cpu_mask": "0x0",
        "cpu_strict": False,
        "poll": 50,
        "type_k": options.type_k,
        "type_v": options.type_v,
        "n_gpu_layers": options.n_gpu_layers,
        "n_cpu_moe": 0,
        "split_mode": "layer",
        "main_gpu": 0,
        "no_kv_offload": False,
        "flash_attn": int(options.flash_attn),
        "devices": "auto",
        "tensor_split": "0.00",
        "tensor_buft_overrides": "none",
        "use_mmap": options.use_mmap,
        "embeddings": False,
        "n_prompt": n_prompt,
        "n_gen": n_gen,
        "n_depth": 0,
        "test_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "avg_ns": int(statistics.fmean(samples)),
        "stddev_ns": int(statistics.stdev(samples)) if len(samples) > 1 else 0,
        "avg_ts": statistics.fmean(ts),
        "stddev_ts": statistics.stdev(ts) if len(ts) > 1 else 0.0,
        "samples_ns": samples,
        "samples_ts": ts,
        # Not in llama-bench's JSON: the worker process's CPU time (all threads) per token.
        "samples_cpu_ns": cpu_samples,
        "cpu_ms_per_token": statistics.fmean(cpu_samples) / 1e6 / (n_prompt + n_gen),
    }
