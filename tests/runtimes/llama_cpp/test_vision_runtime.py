"""Vision input on the llama.cpp runtime, with the demo VLM (random weights)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.demo.mmproj import MmprojSpec, write_mmproj
from models.errors import MmprojMismatch, ModelFileError
from models.library.mmproj_pairing import read_mmproj
from runtimes.events import Done, Error, Token
from runtimes.llama_cpp.options import LlamaLoadOptions
from runtimes.registry import get_runtime
from runtimes.requests import Image, Sampling, TextRequest
from tests.support.vision_fixtures import demo_vlm, picture, png_header_only  # noqa: F401 (fixture)

GREEDY = Sampling(temperature=0, max_tokens=8, seed=1)
RED, BLUE = picture((220, 20, 20)), picture((20, 20, 220))


def ask(session, *images: bytes, text: str = "What is in the picture?"):
    message = {"role": "user", "content": text, "images": [Image(data=d) for d in images]}
    events = list(session.run(TextRequest(messages=[message], sampling=GREEDY)))
    return "".join(e.text for e in events if isinstance(e, Token)), events[-1]


@pytest.fixture(scope="module")
def session(demo_vlm):  # noqa: F811
    options = LlamaLoadOptions(n_ctx=1024, n_threads=2, mmproj="auto")
    with get_runtime("llama.cpp").open_session(demo_vlm["model"], options) as s:
        yield s


def test_auto_pairing_and_session_info(session, demo_vlm):  # noqa: F811
    vision = session.info["vision"]
    assert vision["mmproj"] == str(demo_vlm["mmproj"])
    assert vision["projector"] == "mlp" and vision["handler"] == "mtmd"
    assert "name matches" in vision["pairing"]
    assert "vision_warning" not in session.info


def test_an_image_adds_the_encoders_patch_count_to_the_prompt(session, demo_vlm):  # noqa: F811
    # The expected count comes from the hyperparameters written in the mmproj file.
    info = read_mmproj(demo_vlm["mmproj"])
    patches = (info.image_size // info.patch_size) ** 2
    assert patches == MmprojSpec().n_patches == 64

    _, plain = ask(session)
    _, one = ask(session, RED)
    _, two = ask(session, RED, BLUE)
    assert isinstance(plain, Done) and isinstance(one, Done) and isinstance(two, Done)
    assert one.stats.n_prompt - plain.stats.n_prompt == patches
    assert two.stats.n_prompt - plain.stats.n_prompt == 2 * patches
    assert (one.stats.n_images, one.stats.n_image_tokens) == (1, patches)
    assert (two.stats.n_images, two.stats.n_image_tokens) == (2, 2 * patches)
    assert plain.stats.n_image_tokens == 0 and plain.stats.image_encode_s == 0
    # The encoder really ran, and generation went on after the image.
    assert two.stats.image_encode_s > 0 and two.stats.n_gen == GREEDY.max_tokens
    assert one.stats.ttft_s >= one.stats.image_encode_s


def test_the_picture_reaches_the_model(session):
    red, _ = ask(session, RED)
    blue, _ = ask(session, BLUE)
    assert red == ask(session, RED)[0]  # greedy: same picture, same reply
    assert red != blue  # different pixels, different embeddings, different reply


def test_a_repeated_prompt_reuses_the_encoded_images(session):
    ask(session, RED, BLUE)
    _, again = ask(session, RED, BLUE)
    assert again.stats.image_encode_s == 0  # nothing encoded again
    assert again.stats.n_prompt_eval == 1  # only the last token, for fresh logits
    _, swapped = ask(session, BLUE, RED)
    assert swapped.stats.image_encode_s > 0 and swapped.stats.n_prompt_eval > 2 * 64


@pytest.mark.parametrize(
    ("data", "words"),
    [(b"not an image at all", "not a PNG, JPEG or WebP"), (png_header_only(0, 0), "no pixels"),
     (png_header_only(20000, 20000), "too large"), (RED[: len(RED) // 2], "corrupt or truncated")],
    ids=["not-image", "zero", "bomb", "truncated"],
)
def test_bad_images_give_an_error_and_the_session_goes_on(session, data: bytes, words: str):
    _, event = ask(session, data)
    assert isinstance(event, Error) and words in event.message
    _, done = ask(session, RED)
    assert isinstance(done, Done) and done.stats.n_image_tokens == 64


def test_llava_handler_override(demo_vlm):  # noqa: F811
    options = LlamaLoadOptions(n_ctx=1024, n_threads=2, mmproj=str(demo_vlm["mmproj"]), chat_handler="llava-1.5")
    with get_runtime("llama.cpp").open_session(demo_vlm["model"], options) as s:
        assert s.info["vision"]["handler"] == "llava-1.5" and s.info["vision"]["pairing"] == "chosen by hand"
        _, done = ask(s, RED)
        assert isinstance(done, Done) and done.stats.n_image_tokens == 64 and done.stats.n_gen > 0


def test_mismatched_mmproj_is_refused_before_load_with_both_widths(demo_vlm, tmp_path: Path):  # noqa: F811
    other = write_mmproj(tmp_path / "mmproj-other-model-F32.gguf", MmprojSpec(projection_dim=512, mm_hidden=512))
    options = LlamaLoadOptions(n_ctx=512, mmproj=str(other))
    with pytest.raises(MmprojMismatch) as caught:
        get_runtime("llama.cpp").load(demo_vlm["model"], options)  # validate runs before any worker starts
    message = str(caught.value)
    assert "512" in message and "256" in message and other.name in message
    assert (caught.value.model_width, caught.value.mmproj_width) == (256, 512)


def test_truncated_mmproj_is_refused_before_load(demo_vlm, tmp_path: Path):  # noqa: F811
    data = demo_vlm["mmproj"].read_bytes()
    cut = tmp_path / "mmproj-cut.gguf"
    cut.write_bytes(data[: len(data) - 4096])
    with pytest.raises(ModelFileError, match="cannot be used as the mmproj.*past end of file"):
        get_runtime("llama.cpp").load(demo_vlm["model"], LlamaLoadOptions(n_ctx=512, mmproj=str(cut)))


def test_an_mmproj_is_not_loaded_as_a_model(demo_vlm):  # noqa: F811
    with pytest.raises(ModelFileError, match="this is an mmproj"):
        get_runtime("llama.cpp").load(demo_vlm["mmproj"], LlamaLoadOptions(n_ctx=512))


def test_vision_model_without_mmproj_says_so(demo_vlm):  # noqa: F811
    options = LlamaLoadOptions(n_ctx=512, n_threads=2)  # mmproj None: text only
    with get_runtime("llama.cpp").open_session(demo_vlm["model"], options) as s:
        warning = s.info["vision_warning"]
        assert "looks like a vision model" in warning and "VLM" in warning
        _, event = ask(s, RED)
        assert isinstance(event, Error) and event.kind == "vision" and "mmproj" in event.message
        _, done = ask(s)  # text still works
        assert isinstance(done, Done)


def test_images_cross_the_worker_pipe(demo_vlm, tmp_path: Path):  # noqa: F811
    path = tmp_path / "blue.jpg"
    path.write_bytes(picture((0, 0, 255), fmt="JPEG"))
    options = LlamaLoadOptions(n_ctx=512, n_threads=2, mmproj="auto")
    with get_runtime("llama.cpp").load(demo_vlm["model"], options) as s:
        assert s.info["vision"]["image_tokens"] == 64
        message = {"role": "user", "content": "and this?", "images": [Image(path=str(path)), Image(data=RED)]}
        done = list(s.run(TextRequest(messages=[message], sampling=GREEDY)))[-1]
        assert isinstance(done, Done) and done.stats.n_image_tokens == 128 and done.stats.n_gen > 0


def test_prompt_size_matches_llama_cpp_pythons_own_handler(demo_vlm):  # noqa: F811
    """Cross-check the prefill against Llava15ChatHandler.__call__ on the same chat."""
    import base64

    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Llava15ChatHandler

    handler = Llava15ChatHandler(clip_model_path=str(demo_vlm["mmproj"]), verbose=False)
    llm = Llama(str(demo_vlm["model"]), n_ctx=1024, n_threads=2, chat_handler=handler, verbose=False)
    try:
        url = "data:image/png;base64," + base64.b64encode(RED).decode()
        parts = [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": "What is in the picture?"}]
        theirs = llm.create_chat_completion(messages=[{"role": "user", "content": parts}], max_tokens=1)
    finally:
        llm.close()
    options = LlamaLoadOptions(n_ctx=1024, n_threads=2, mmproj=str(demo_vlm["mmproj"]), chat_handler="llava-1.5")
    with get_runtime("llama.cpp").open_session(demo_vlm["model"], options) as s:
        _, ours = ask(s, RED)
    assert ours.stats.n_prompt == theirs["usage"]["prompt_tokens"]
    assert ours.stats.n_prompt > 64
