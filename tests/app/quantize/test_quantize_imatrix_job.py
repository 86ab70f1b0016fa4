"""workbench imatrix: llama-imatrix run as a child with progress, ETA and cancel."""

from __future__ import annotations

from importlib.resources import files

import pytest

from app.cli.main import main
from app.errors import ImatrixCancelled, ImatrixError
from app.quantize import imatrix_job
from app.quantize.imatrix_file import load_imatrix
from app.quantize.imatrix_job import ImatrixRequest, ProgressParser, is_default_text, run_imatrix
from runtimes.base import CancelToken
from runtimes.llama_cpp.native_build import find_tool


def test_progress_parser_follows_chunks_split_across_reads():
    parser = ProgressParser()
    assert parser.feed(b"compute_imatrix: computing over 12 ch") == []
    assert parser.feed(b"unks, n_ctx=128, batch_size=128, n_seq=1\n") == []
    assert parser.total == 12 and parser.done == 0
    assert parser.feed(b"[1]5.1234,[2]4.9") == [1]
    assert parser.feed(b"876,[3]nan,[4]7.1,") == [2, 3, 4]  # several chunks in one read: each is reported
    assert parser.done == 4


def test_default_text_is_recognised(tmp_path):
    copy = tmp_path / "copy.txt"
    copy.write_bytes(files("assets").joinpath(imatrix_job.DEFAULT_TEXT_NAME).read_bytes())
    other = tmp_path / "other.txt"
    other.write_text("something else")
    assert is_default_text(None) and is_default_text(copy)
    assert not is_default_text(other)


def test_missing_tool_is_explained(monkeypatch, demo_ladder, tmp_path):
    import runtimes.llama_cpp.native_build as native_build

    monkeypatch.setattr(native_build, "find_tool", lambda name, *a, **k: None)
    with pytest.raises(ImatrixError, match="llama-imatrix, which is not built"):
        run_imatrix(ImatrixRequest(demo_ladder["F32"], out=tmp_path / "m.gguf"))


def test_bad_input_is_named(tmp_path):
    with pytest.raises(ImatrixError, match="model not found"):
        run_imatrix(ImatrixRequest(tmp_path / "none.gguf"))


@pytest.fixture(scope="module")
def imatrix_tool():
    if find_tool("llama-imatrix") is None:
        pytest.skip("needs llama.cpp's llama-imatrix (scripts/setup.sh builds it)")


def test_computes_a_matrix_with_progress(imatrix_tool, demo_ladder, tmp_path):
    text = tmp_path / "mine.txt"
    text.write_text("The quick brown fox jumps over the lazy dog. " * 400)
    seen = []
    out = run_imatrix(ImatrixRequest(demo_ladder["F32"], text, tmp_path / "m.gguf", n_ctx=64, chunks=4),
                      lambda done, total, left: seen.append((done, total, left)))
    assert [s[:2] for s in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert all(left is not None and left >= 0 for _, _, left in seen) and seen[-1][2] == 0
    matrix = load_imatrix(out)
    assert matrix.chunk_count == 4 and matrix.datasets == [str(text)]
    assert "blk.0.ffn_down.weight" in matrix.entries
    assert not list(tmp_path.glob("*.part"))


def test_cancel_stops_the_tool_and_keeps_nothing(imatrix_tool, demo_ladder, tmp_path):
    cancel = CancelToken()
    out = tmp_path / "m.gguf"
    with pytest.raises(ImatrixCancelled):
        run_imatrix(ImatrixRequest(demo_ladder["F32"], None, out, n_ctx=64, chunks=50),
                    lambda done, total, left: cancel.cancel(), cancel)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_cli_writes_the_legacy_format_by_suffix(imatrix_tool, demo_ladder, tmp_path, capsys):
    out = tmp_path / "m.dat"
    assert main(["imatrix", str(demo_ladder["F32"]), "-c", "64", "--chunks", "2", "-o", str(out)]) == 0
    assert load_imatrix(out).legacy
    assert "Compare scores on" in capsys.readouterr().err
