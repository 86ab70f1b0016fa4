"""Sessions run requests through one table per class (runtimes.dispatch): a request
type they lack gets a TypeError that names the types they run, in-process and
from a worker, and the table's types are exactly those of runtimes.requests.Request."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from runtimes.base import CancelToken, Session, SessionStats
from runtimes.coreml.session import CoreMLSession
from runtimes.dispatch import RequestHandlers
from runtimes.errors import UnsupportedRequest
from runtimes.events import Done, Error, Event
from runtimes.llama_cpp.session import LlamaSession
from runtimes.onnx.options import OnnxLoadOptions
from runtimes.onnx.session import OnnxSession
from runtimes.registry import get_runtime
from runtimes.requests import Audio, Request, SynthesisRequest, TensorRequest, TextRequest, TranscribeRequest
from runtimes.tts.espeak.session import EspeakSession
from runtimes.tts.kokoro.session import KokoroSession
from runtimes.tts.piper.session import PiperSession
from runtimes.whisper_cpp.session import WhisperSession
from tests.support.onnx_models import relu_model

ONNX_RUNS = "TensorRequest, OnnxBenchRequest, VadRequest"
RELU_INPUT = TensorRequest(inputs={"x": np.ones((1, 4), np.float32)})


@pytest.fixture(scope="module")
def relu(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return relu_model(tmp_path_factory.mktemp("dispatch") / "relu.onnx", opset=17)


def test_an_unsupported_request_names_the_types_the_session_runs(relu):
    session = get_runtime("onnxruntime").open_session(relu, OnnxLoadOptions(n_threads=1))
    try:
        with pytest.raises(UnsupportedRequest) as info:
            session.run(SynthesisRequest("hello"))
        assert str(info.value) == f"the ONNX runtime cannot run a SynthesisRequest; it runs {ONNX_RUNS}"
        assert isinstance(info.value, TypeError)  # what callers caught before the table
        assert isinstance(list(session.run(RELU_INPUT))[-1], Done)  # and the session is still usable
    finally:
        session.close()


def test_a_worker_answers_an_unsupported_request_with_an_error_event_and_runs_the_next(relu):
    with get_runtime("onnxruntime").load(relu, OnnxLoadOptions(n_threads=1)) as session:
        events = list(session.run(TranscribeRequest(Audio(samples=bytes(64)))))
        assert events == [Error(f"the ONNX runtime cannot run a TranscribeRequest; it runs {ONNX_RUNS}",
                                "UnsupportedRequest")]
        assert isinstance(list(session.run(RELU_INPUT))[-1], Done)


@dataclass
class LoudText(TextRequest):
    pass


class Echo(Session):
    def __init__(self) -> None:
        self.stats, self.info = SessionStats(), {}

    def _text(self, request: TextRequest, cancel: CancelToken | None) -> Iterator[Event]:
        yield Done(result=request.prompt)

    handlers = RequestHandlers("the echo session", {TextRequest: _text})

    def close(self) -> None:
        pass


def test_a_subclass_of_a_handled_type_runs_as_isinstance_would_match_it():
    assert list(Echo().run(LoudText(prompt="hi"))) == [Done(result="hi")]
    with pytest.raises(UnsupportedRequest, match="^the echo session cannot run a TensorRequest; it runs TextRequest$"):
        Echo().run(TensorRequest())


def test_a_session_without_a_table_runs_nothing_and_says_so():
    class Bare(Echo):
        handlers = Session.handlers

    with pytest.raises(UnsupportedRequest, match="^this session cannot run a TextRequest; it runs no requests$"):
        Bare().run(TextRequest(prompt="hi"))


def test_the_request_union_is_exactly_what_the_sessions_run():
    sessions = (LlamaSession, WhisperSession, OnnxSession, CoreMLSession, PiperSession, EspeakSession, KokoroSession)
    handled = {t.__name__ for s in sessions for t in s.handlers.types}
    union = {a.__forward_arg__ if isinstance(a, typing.ForwardRef) else a.__name__ for a in typing.get_args(Request)}
    assert handled == union
