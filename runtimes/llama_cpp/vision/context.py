"""Vision input for a loaded llama.cpp model: the mtmd context of its mmproj
and the prompt prefill that puts images into the context.

The chosen llama-cpp-python handler opens the mtmd context (and frees it with
the model) and lays out the prompt; the chunks are then evaluated here rather
than by the handler's ``__call__`` so that image encoding (the vision
encoder) is timed apart from decoding (the text model), images are decoded by
Pillow (WebP, EXIF rotation, size checks), and a conversation's images are
not encoded again on every turn: chunks already in the KV cache are kept.
"""

from __future__ import annotations

import ctypes
import hashlib
import inspect
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.errors import WorkbenchError
from runtimes.base import CancelToken
from runtimes.errors import ContextFull, ImageError, LoadFailed, PrefillCancelled
from runtimes.events import Done, Error, Event, GenerationStats
from runtimes.image_input import PreparedImage, prepare_image, read_image_bytes
from runtimes.llama_cpp.generation import generate
from runtimes.llama_cpp.vision.handlers import handler_class
from runtimes.llama_cpp.vision.prompt import has_images, message_images, render_vision_prompt
from runtimes.memory import own_peak_rss
from runtimes.requests import Image, TextRequest

__all__ = ["VisionContext", "generate_with_images", "has_images", "open_vision"]

DECODED_CACHE = 6  # decoded pictures kept (at most 2048x2048 RGB each, ~12 MB)
IMAGE_TOKEN = -1  # written into llm.input_ids at image positions: never equal to a real token


@dataclass
class Prefilled:
    """A prompt already in the KV cache; ``tokens`` makes llm.generate start sampling."""

    tokens: list[int]
    n_prompt: int  # text + image tokens
    n_prompt_eval: int
    prompt_s: float
    n_images: int
    n_image_tokens: int
    image_encode_s: float

    def add_to(self, stats: GenerationStats) -> None:
        # Sampling started from the cache, so the prefill did all the prompt work.
        stats.n_prompt, stats.n_prompt_eval, stats.prompt_s = self.n_prompt, self.n_prompt_eval, self.prompt_s
        stats.n_images, stats.n_image_tokens = self.n_images, self.n_image_tokens
        stats.image_encode_s = self.image_encode_s


@dataclass(frozen=True)
class _Chunk:
    kind: str  # "text" or "image"
    n_tokens: int
    n_pos: int
    tokens: tuple[int, ...]  # text chunks
    key: tuple  # image chunks: identity for the cache
    ptr: Any


@dataclass
class _Timing:
    encode_s: float = 0.0  # vision encoder
    decode_s: float = 0.0  # text model: prompt text and image embeddings
    n_evaluated: int = 0

    def add_decode(self, n: int, seconds: float) -> None:
        self.n_evaluated += n
        self.decode_s += seconds


class VisionContext:
    def __init__(self, llm: Any, mmproj: Path, handler_name: str, use_gpu: bool, verbose: bool) -> None:
        import llama_cpp.mtmd_cpp as mtmd
        from llama_cpp._logger import llama_log_callback

        # mtmd logs to stderr on its own; route it like llama.cpp's (quiet unless verbose).
        mtmd.mtmd_log_set(llama_log_callback, None)
        mtmd.mtmd_helper_log_set(llama_log_callback, None)
        self.mtmd = mtmd
        self.handler_name = handler_name
        cls = handler_class(handler_name)
        # Only MTMDChatHandler takes use_gpu; the LLaVA family always asks for the GPU (a CPU build ignores it).
        kwargs = {"use_gpu": use_gpu} if "use_gpu" in inspect.signature(cls).parameters else {}
        try:
            self.handler = cls(clip_model_path=str(mmproj), verbose=verbose, **kwargs)
            self.handler._init_mtmd_context(llm)  # freed by the handler when the model closes
        except ValueError as exc:
            raise LoadFailed(f"mtmd could not load the projector {mmproj.name}: {exc} (see the worker log)") from exc
        self.ctx = self.handler.mtmd_ctx
        self.marker = mtmd.mtmd_default_marker().decode("utf-8")
        self._images_at: dict[int, tuple] = {}  # KV position -> image chunk key, for reuse
        self._decoded: OrderedDict[bytes, PreparedImage] = OrderedDict()  # a chat re-sends its pictures each turn

    # ------------------------------------------------------------- prefill

    def prefill(self, llm: Any, request: TextRequest, cancel: CancelToken | None) -> Prefilled:
        """Put the prompt with its images into the KV cache, reusing what is there."""
        images = [self._prepare(image) for image in message_images(request.messages or [])]
        text, add_special = render_vision_prompt(llm, self.handler, request.messages or [], self.marker,
                                                 request.chat_template)
        chunks_ptr = self._tokenize(text, add_special, images)
        try:
            chunks = self._chunks(chunks_ptr, images)
            n_prompt = sum(c.n_tokens for c in chunks)
            if n_prompt >= llm.n_ctx():
                raise ContextFull(f"the prompt is {n_prompt} tokens (images included) but the context holds "
                                  f"{llm.n_ctx()}; raise -c or send fewer images")
            if chunks[-1].kind != "text":
                raise WorkbenchError("the prompt must end with text after its images")
            timing = self._evaluate(llm, chunks, self._reusable(llm, chunks), cancel)
        finally:
            self.mtmd.mtmd_input_chunks_free(chunks_ptr)
        image_chunks = [c for c in chunks if c.kind == "image"]
        return Prefilled(
            tokens=llm.input_ids[: llm.n_tokens].tolist(), n_prompt=n_prompt,
            n_prompt_eval=timing.n_evaluated, prompt_s=timing.decode_s,
            n_images=len(images), n_image_tokens=sum(c.n_tokens for c in image_chunks),
            image_encode_s=timing.encode_s,
        )

    def _prepare(self, image: Image) -> PreparedImage:
        """Decode ``image`` (Pillow), or reuse the decode of the same bytes from an earlier turn."""
        name, data = read_image_bytes(image)
        key = hashlib.blake2b(data, digest_size=16).digest()
        if key in self._decoded:
            self._decoded.move_to_end(key)
            return self._decoded[key]
        prepared = prepare_image(Image(data=data, name=name))
        self._decoded[key] = prepared
        if len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)
        return prepared

    def _tokenize(self, text: str, add_special: bool, images: list[PreparedImage]) -> Any:
        mtmd = self.mtmd
        bitmaps = []
        try:
            for image in images:
                width, height = image.size
                buffer = (ctypes.c_uint8 * len(image.rgb)).from_buffer_copy(image.rgb)
                bitmap = mtmd.mtmd_bitmap_init(width, height, buffer)
                if not bitmap:
                    raise WorkbenchError(f"mtmd could not take {image.name}")
                bitmaps.append(bitmap)
                digest = hashlib.blake2b(image.rgb, digest_size=16, key=f"{width}x{height}".encode()).hexdigest()
                mtmd.mtmd_bitmap_set_id(bitmap, digest.encode())
            input_text = mtmd.mtmd_input_text()
            encoded = text.encode("utf-8")
            input_text.text, input_text.text_len = encoded, len(encoded)
            input_text.add_special, input_text.parse_special = add_special, True
            chunks = mtmd.mtmd_input_chunks_init()
            array = (mtmd.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
            rc = mtmd.mtmd_tokenize(self.ctx, chunks, ctypes.byref(input_text), array, len(bitmaps))
            if rc != 0:
                mtmd.mtmd_input_chunks_free(chunks)
                why = {1: "the number of images does not match the image markers in the prompt",
                       2: "the image could not be preprocessed"}.get(rc, f"error {rc}")
                raise WorkbenchError(f"mtmd could not tokenize the prompt: {why}")
            return chunks
        finally:
            for bitmap in bitmaps:
                mtmd.mtmd_bitmap_free(bitmap)

    def _chunks(self, chunks_ptr: Any, images: list[PreparedImage]) -> list[_Chunk]:
        mtmd = self.mtmd
        out = []
        for i in range(mtmd.mtmd_input_chunks_size(chunks_ptr)):
            chunk = mtmd.mtmd_input_chunks_get(chunks_ptr, i)
            n_tokens = mtmd.mtmd_input_chunk_get_n_tokens(chunk)
            n_pos = mtmd.mtmd_input_chunk_get_n_pos(chunk)
            if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                count = ctypes.c_size_t()
                ptr = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
                out.append(_Chunk("text", n_tokens, n_pos, tuple(ptr[j] for j in range(count.value)), (), chunk))
            else:
                key = (mtmd.mtmd_input_chunk_get_id(chunk), n_tokens, n_pos)
                out.append(_Chunk("image", n_tokens, n_pos, (), key, chunk))
        return out

    def _reusable(self, llm: Any, chunks: list[_Chunk]) -> int:
        """How many leading positions of the KV cache already hold this prompt."""
        cached, n_cached = llm.input_ids, llm.n_tokens
        pos = 0
        for chunk in chunks:
            if chunk.kind == "image":
                same = self._images_at.get(pos) == chunk.key and pos + chunk.n_pos <= n_cached
                if not same or any(t != IMAGE_TOKEN for t in cached[pos: pos + chunk.n_pos]):
                    return pos
                pos += chunk.n_pos
                continue
            for token in chunk.tokens:
                if pos >= n_cached or cached[pos] != token:
                    return pos
                pos += 1
        return pos - 1  # all cached: evaluate the last token again for fresh logits

    def _evaluate(self, llm: Any, chunks: list[_Chunk], keep: int, cancel: CancelToken | None) -> _Timing:
        """Evaluate every position from ``keep`` on, timing the vision encoder
        apart from the text model's decoding (llama.cpp's perf counters cannot
        tell them apart, and clamp zero counts to one)."""
        import llama_cpp

        mtmd = self.mtmd
        timing = _Timing()
        if keep <= 0 or not llm._ctx.kv_cache_seq_rm(-1, keep, -1):
            keep = 0
            llm.reset()
            llm._ctx.kv_cache_clear()
        llm.n_tokens = keep
        self._images_at = {p: k for p, k in self._images_at.items() if p < keep}
        pos = 0
        for chunk in chunks:
            if cancel is not None and cancel.cancelled:
                raise PrefillCancelled
            end = pos + (chunk.n_pos if chunk.kind == "image" else len(chunk.tokens))
            if end <= keep:
                pos = end
                continue
            t0 = time.perf_counter()
            if chunk.kind == "text":
                tokens = list(chunk.tokens[keep - pos if pos < keep else 0:])
                llm.eval(tokens)
                timing.add_decode(len(tokens), time.perf_counter() - t0)
            else:
                if mtmd.mtmd_encode_chunk(self.ctx, chunk.ptr) != 0:
                    raise WorkbenchError("the vision encoder failed on an image (see the worker log)")
                t1 = time.perf_counter()
                timing.encode_s += t1 - t0
                new_n_past = llama_cpp.llama_pos(0)
                rc = mtmd.mtmd_helper_decode_image_chunk(
                    self.ctx, llm._ctx.ctx, chunk.ptr, mtmd.mtmd_get_output_embd(self.ctx), llm.n_tokens, 0,
                    llm.n_batch, ctypes.byref(new_n_past), mtmd.mtmd_helper_post_decode_callback(), None)  # no callback
                if rc != 0:
                    raise WorkbenchError(f"decoding the image embeddings failed (error {rc})")
                timing.add_decode(chunk.n_tokens, time.perf_counter() - t1)
                llm.input_ids[llm.n_tokens: new_n_past.value] = IMAGE_TOKEN
                self._images_at[llm.n_tokens] = chunk.key
                llm.n_tokens = new_n_past.value
            pos = end
        return timing


def generate_with_images(llm: Any, vision: VisionContext | None, request: TextRequest,
                         cancel: CancelToken | None, blind_reason: str | None = None) -> Iterator[Event]:
    """Answer a chat whose messages carry images; refuses when no mmproj is loaded."""
    if vision is None:
        why = blind_reason or "this model was loaded without an mmproj (vision projector), so it cannot see images"
        yield Error(f"{why}; load it with its mmproj to send images", "vision")
        return
    try:
        yield from generate(llm, request, cancel, prefill=lambda: vision.prefill(llm, request, cancel))
    except ContextFull as exc:
        yield Error(str(exc), "context")
    except ImageError as exc:  # bad pictures are the user's input, not a crash: say which and why
        yield Error(str(exc), "image")
    except PrefillCancelled:
        yield Done(GenerationStats(stop_reason="cancelled"))
    except WorkbenchError as exc:
        yield Error(str(exc), "vision")


def open_vision(session: Any, plan: Any, verbose: bool) -> VisionContext | None:
    """Open ``plan``'s mmproj for a LlamaSession; its load time and memory count as the model's."""
    if plan is None:
        return None
    session.info.update(plan.info())
    if plan.mmproj is None:
        return None
    t0 = time.perf_counter()
    try:
        vision = VisionContext(session.llm, plan.mmproj.path, plan.handler,
                               use_gpu=session.options.n_gpu_layers != 0, verbose=verbose)
    except BaseException:
        session.close()
        raise
    session.stats.load_seconds += time.perf_counter() - t0
    session.stats.peak_rss_bytes = own_peak_rss()
    return vision
