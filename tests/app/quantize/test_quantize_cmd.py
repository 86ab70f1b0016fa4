"""workbench quantize: llama.cpp's quantizer from the CLI."""

from __future__ import annotations

import pytest

from app.cli.main import main
from app.quantize.job import quantize_many
from models.errors import WorkbenchError
from models.gguf.info import read_gguf_info
from runtimes.base import CancelToken


def test_quantize_writes_each_requested_type(demo_ladder, tmp_path, capsys):
    assert main(["quantize", str(demo_ladder["F32"]), "--to", "Q4_K_S,Q5_K_S", "-o", str(tmp_path)]) == 0
    written = sorted(tmp_path.glob("*.gguf"))
    assert [read_gguf_info(p).file_type_name for p in written] == ["Q4_K_S", "Q5_K_S"]
    assert not list(tmp_path.glob("*.part"))


def test_refuses_an_already_quantized_source(demo_ladder, tmp_path):
    with pytest.raises(WorkbenchError, match="quantize from"):
        quantize_many(demo_ladder["Q8_0"], ["Q4_K_M"], tmp_path)


def test_unknown_type_is_named(demo_ladder, tmp_path):
    with pytest.raises(WorkbenchError, match="Q9_X"):
        quantize_many(demo_ladder["F32"], ["Q9_X"], tmp_path)


def test_cancel_before_start_leaves_no_files(demo_ladder, tmp_path):
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(WorkbenchError):
        quantize_many(demo_ladder["F32"], ["Q4_K_M", "Q2_K"], tmp_path, cancel=cancel)
    assert not list(tmp_path.iterdir())
