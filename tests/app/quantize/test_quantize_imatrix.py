"""workbench quantize --imatrix: both imatrix formats read and normalized as
llama-quantize does, handed to libllama, and recorded in the output's metadata."""

from __future__ import annotations

import struct
from pathlib import Path

import gguf
import numpy as np
import pytest

from app.cli.main import main
from app.errors import ImatrixError
from app.quantize.imatrix_file import load_imatrix
from app.quantize.job import quantize_many


def weight_columns(model: Path) -> dict[str, int]:
    """The matrices the quantizer weighs with an imatrix: every 2-D weight but the embeddings."""
    reader = gguf.GGUFReader(model)
    return {t.name: int(t.shape[0]) for t in reader.tensors
            if len(t.shape) == 2 and t.name != "token_embd.weight"}


def write_gguf_imatrix(path: Path, sums: dict[str, np.ndarray], counts: dict[str, np.ndarray]) -> None:
    """The layout llama-imatrix writes (tools/imatrix/imatrix.cpp save_imatrix)."""
    writer = gguf.GGUFWriter(path, arch="")
    writer.add_string("general.type", "imatrix")
    writer.add_array("imatrix.datasets", ["calibration.txt"])
    writer.add_uint32("imatrix.chunk_count", 7)
    writer.add_uint32("imatrix.chunk_size", 512)
    for name in sorted(sums):
        n_mat = counts[name].size
        writer.add_tensor(f"{name}.in_sum2", sums[name].reshape(n_mat, -1).astype(np.float32))
        writer.add_tensor(f"{name}.counts", counts[name].reshape(n_mat, 1).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def write_legacy_imatrix(path: Path, values: dict[str, np.ndarray], ncall: int) -> None:
    """llama-imatrix's old .dat: sums already divided by the token count, times ncall."""
    out = [struct.pack("<i", len(values))]
    for name, v in values.items():
        raw = name.encode()
        out += [struct.pack("<i", len(raw)), raw, struct.pack("<ii", ncall, v.size),
                (v.astype("<f4") * np.float32(ncall)).tobytes()]
    out += [struct.pack("<i", 3), struct.pack("<i", 8), b"wiki.txt"]
    path.write_bytes(b"".join(out))


@pytest.fixture(scope="module")
def imatrix_sums(demo_ladder) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    columns = weight_columns(demo_ladder["F32"])
    # Strongly uneven importance, so the quantizer's choices visibly change.
    sums = {n: (rng.pareto(1.5, c) * 100 + 1).astype(np.float32) for n, c in columns.items()}
    counts = {n: np.array([100.0], dtype=np.float32) for n in columns}
    return sums, counts


def test_gguf_imatrix_is_normalized_per_expert(tmp_path):
    sums = {"blk.0.ffn_up.weight": np.arange(1, 13, dtype=np.float32)}
    counts = {"blk.0.ffn_up.weight": np.array([2.0, 0.0, 4.0], dtype=np.float32)}  # 3 experts of 4 columns
    path = tmp_path / "experts.gguf"
    write_gguf_imatrix(path, sums, counts)
    imatrix = load_imatrix(path)
    want = np.concatenate([np.arange(1, 5) / 2, np.ones(4), np.arange(9, 13) / 4]).astype(np.float32)
    np.testing.assert_array_equal(imatrix.entries["blk.0.ffn_up.weight"], want)
    assert imatrix.datasets == ["calibration.txt"] and imatrix.chunk_count == 7 and not imatrix.legacy


def test_legacy_and_gguf_imatrix_give_the_same_values(tmp_path, imatrix_sums):
    sums, counts = imatrix_sums
    write_gguf_imatrix(tmp_path / "m.gguf", sums, counts)
    values = {n: s / np.float32(100) for n, s in sums.items()}
    write_legacy_imatrix(tmp_path / "m.dat", values, ncall=5)
    a, b = load_imatrix(tmp_path / "m.gguf"), load_imatrix(tmp_path / "m.dat")
    assert b.legacy and b.chunk_count == 3 and b.datasets == ["wiki.txt"]
    assert a.entries.keys() == b.entries.keys()
    for name in a.entries:
        np.testing.assert_allclose(a.entries[name], b.entries[name], rtol=1e-6)


def test_quantizing_with_an_imatrix_changes_the_weights_and_records_it(demo_ladder, tmp_path, imatrix_sums):
    path = tmp_path / "demo.imatrix.gguf"
    write_gguf_imatrix(path, *imatrix_sums)
    plain, = quantize_many(demo_ladder["F32"], ["Q3_K_S"], tmp_path / "plain")
    weighted, = quantize_many(demo_ladder["F32"], ["Q3_K_S"], tmp_path / "weighted", imatrix=path)
    a, b = gguf.GGUFReader(plain), gguf.GGUFReader(weighted)
    changed = [t.name for t, u in zip(a.tensors, b.tensors, strict=True) if not np.array_equal(t.data, u.data)]
    assert "blk.0.ffn_down.weight" in changed and "token_embd.weight" not in changed
    meta = {k: b.get_field(k).contents() for k in ("quantize.imatrix.file", "quantize.imatrix.dataset",
                                                   "quantize.imatrix.entries_count", "quantize.imatrix.chunks_count")}
    assert meta == {"quantize.imatrix.file": str(path), "quantize.imatrix.dataset": "calibration.txt",
                    "quantize.imatrix.entries_count": len(imatrix_sums[0]), "quantize.imatrix.chunks_count": 7}
    assert a.get_field("quantize.imatrix.file") is None


def test_cli_quantize_with_imatrix(demo_ladder, tmp_path, imatrix_sums, capsys):
    values = {n: s / np.float32(100) for n, s in imatrix_sums[0].items()}
    write_legacy_imatrix(tmp_path / "m.dat", values, ncall=1)
    assert main(["quantize", str(demo_ladder["F32"]), "--to", "IQ4_XS", "--imatrix", str(tmp_path / "m.dat"),
                 "-o", str(tmp_path / "out")]) == 0
    (written,) = (tmp_path / "out").glob("*.gguf")
    assert capsys.readouterr().out.strip() == str(written)
    assert gguf.GGUFReader(written).get_field("quantize.imatrix.entries_count").contents() == len(values)


@pytest.mark.parametrize("content,problem", [
    (b"", "not an imatrix file"),
    (b"hello world, not an imatrix", "not an imatrix file"),
    (struct.pack("<i", 1) + struct.pack("<i", 3) + b"abc" + struct.pack("<ii", 1, 1000) + b"\0" * 8, "cut short"),
])
def test_bad_imatrix_files_are_named_before_quantizing(demo_ladder, tmp_path, content, problem):
    bad = tmp_path / "bad.dat"
    bad.write_bytes(content)
    with pytest.raises(ImatrixError, match=problem):
        quantize_many(demo_ladder["F32"], ["Q4_K_M"], tmp_path / "out", imatrix=bad)
    assert not (tmp_path / "out").exists()


def test_gguf_without_imatrix_metadata_is_refused(demo_ladder, tmp_path):
    with pytest.raises(ImatrixError, match="missing imatrix metadata"):
        load_imatrix(demo_ladder["F32"])  # a model, not an importance matrix
    with pytest.raises(ImatrixError, match="cannot read"):
        load_imatrix(tmp_path / "missing.dat")


def test_non_finite_values_are_refused(tmp_path):
    name = "blk.0.attn_q.weight"
    write_gguf_imatrix(tmp_path / "nan.gguf", {name: np.array([1.0, np.nan], np.float32)},
                       {name: np.array([1.0], np.float32)})
    with pytest.raises(ImatrixError, match="non-finite"):
        load_imatrix(tmp_path / "nan.gguf")
