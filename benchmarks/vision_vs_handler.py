"""Time to first token with an image: workbench's vision prefill against
llama-cpp-python's own Llava15ChatHandler (create_chat_completion), on the
demo VLM, same prompt layout (llava-1.5), same images, greedy.

    python benchmarks/vision_vs_handler.py [--rounds 5] [-t THREADS]

Reported per image size (medians): TTFT of a new image (ours, theirs), our
image encode and text-model prompt time, and TTFT of the same chat asked
again (ours keeps the encoded image in the KV cache; the handler re-encodes).
The prompt token counts of both paths are checked to be equal.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image as PILImage
from PIL import ImageDraw

from models.demo.mmproj import build_demo_vlm
from runtimes.events import Done
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Image, Sampling, TextRequest

PROMPT = "What is in the picture?"
SIZES = {"256px PNG": ((256, 256), "PNG"), "3000x2000 JPEG": ((3000, 2000), "JPEG")}


def picture(size: tuple[int, int], fmt: str, seed: int) -> bytes:
    im = PILImage.new("RGB", size, ((seed * 53) % 256, (seed * 97) % 256, 200))
    draw = ImageDraw.Draw(im)
    for i in range(12):
        x, y = (seed * 31 + i * 211) % size[0], (seed * 17 + i * 137) % size[1]
        draw.ellipse((x, y, x + size[0] // 6, y + size[1] // 6), fill=((i * 40) % 256, 120, (i * 70) % 256))
    buffer = io.BytesIO()
    im.save(buffer, fmt, quality=90) if fmt == "JPEG" else im.save(buffer, fmt)
    return buffer.getvalue()


def ours(session, data: bytes) -> Done:
    message = {"role": "user", "content": PROMPT, "images": [Image(data=data)]}
    events = list(session.run(TextRequest(messages=[message], sampling=Sampling(temperature=0, max_tokens=1))))
    assert isinstance(events[-1], Done), events[-1]
    return events[-1]


def theirs(llm, data: bytes, fmt: str) -> tuple[float, int]:
    url = f"data:image/{fmt.lower()};base64," + base64.b64encode(data).decode()
    parts = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": PROMPT}]
    t0 = time.perf_counter()
    stream = llm.create_chat_completion(messages=[{"role": "user", "content": parts}], max_tokens=1,
                                        temperature=0, stream=True)
    next(iter(stream))
    ttft = time.perf_counter() - t0
    for _ in stream:
        pass
    return ttft, llm.n_tokens  # the prompt: max_tokens=1 stops before the sampled token is evaluated


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("-t", "--threads", type=int, default=2)
    args = parser.parse_args()

    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Llava15ChatHandler

    files = dict(build_demo_vlm(Path(tempfile.mkdtemp(prefix="vision-bench-")), None))
    model, mmproj = files["vlm text model"], files["vlm mmproj"]
    options = LlamaLoadOptions(n_ctx=1024, n_threads=args.threads, mmproj=str(mmproj), chat_handler="llava-1.5")
    session = get_runtime("llama.cpp").open_session(model, options)
    handler = Llava15ChatHandler(clip_model_path=str(mmproj), verbose=False)
    llm = Llama(str(model), n_ctx=1024, n_threads=args.threads, chat_handler=handler, verbose=False)
    try:
        for label, (size, fmt) in SIZES.items():
            rows: dict[str, list[float]] = {k: [] for k in ("ours", "theirs", "encode", "prompt", "ours_again",
                                                            "theirs_again")}
            for seed in range(args.rounds):
                data = picture(size, fmt, seed)
                first = ours(session, data)
                again = ours(session, data)
                their_ttft, their_prompt = theirs(llm, data, fmt)
                their_again, _ = theirs(llm, data, fmt)
                if first.stats.n_prompt != their_prompt:
                    raise SystemExit(f"prompt sizes differ: ours {first.stats.n_prompt}, theirs {their_prompt}")
                rows["ours"].append(first.stats.ttft_s)
                rows["encode"].append(first.stats.image_encode_s)
                rows["prompt"].append(first.stats.prompt_s)
                rows["ours_again"].append(again.stats.ttft_s)
                rows["theirs"].append(their_ttft)
                rows["theirs_again"].append(their_again)
            medians = {f"{k}_ms": round(statistics.median(v) * 1000, 1) for k, v in rows.items()}
            print(json.dumps({"image": label, "n_prompt": first.stats.n_prompt, **medians}))
    finally:
        session.close()
        llm.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
