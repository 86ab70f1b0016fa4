"""llama.cpp's ``--kl-divergence-base`` file format, read and written in numpy.

Layout (tools/perplexity/perplexity.cpp): b"_logits_", int32 n_ctx, int32
n_vocab, int32 n_chunk, int32 tokens[n_ctx * n_chunk], then per chunk
``n_ctx - 1 - n_ctx//2`` rows of ``nv = 2*((n_vocab+1)//2) + 4`` uint16: the
first 4 hold two float32 (scale, min_log_prob), then each token's log-prob
quantized to 16 bits over [max - 16, max]. Using llama.cpp's own format keeps
our KLD numbers identical to llama-perplexity's, and either tool can read a
file the other wrote.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"_logits_"
_HEADER_BYTES = len(MAGIC) + 3 * 4


def row_width(n_vocab: int) -> int:
    return 2 * ((n_vocab + 1) // 2) + 4


def rows_per_chunk(n_ctx: int) -> int:
    """Scored tokens per chunk: the second half of the window, minus the last
    position (it has no next token to predict)."""
    return n_ctx - 1 - n_ctx // 2


@dataclass(frozen=True)
class BaseHeader:
    n_ctx: int
    n_vocab: int
    n_chunk: int
    tokens: np.ndarray  # int32, n_ctx * n_chunk

    @property
    def data_offset(self) -> int:
        return _HEADER_BYTES + 4 * self.n_ctx * self.n_chunk

    def expected_size(self) -> int:
        return self.data_offset + 2 * self.n_chunk * rows_per_chunk(self.n_ctx) * row_width(self.n_vocab)


def read_header(path: str | os.PathLike[str]) -> BaseHeader:
    with open(path, "rb") as f:
        head = f.read(_HEADER_BYTES)
        if len(head) < _HEADER_BYTES or head[:8] != MAGIC:
            raise ValueError(f"{path} is not a llama.cpp KL-divergence base file")
        n_ctx, n_vocab, n_chunk = np.frombuffer(head[8:], dtype="<i4")
        tokens = np.fromfile(f, dtype="<i4", count=int(n_ctx) * int(n_chunk))
    if tokens.size != n_ctx * n_chunk:
        raise ValueError(f"{path} is truncated (token list)")
    return BaseHeader(int(n_ctx), int(n_vocab), int(n_chunk), tokens)


def open_chunks(path: str | os.PathLike[str]) -> tuple[BaseHeader, np.ndarray]:
    """Header and a read-only memmap of shape (n_chunk, rows, nv) uint16."""
    header = read_header(path)
    if Path(path).stat().st_size < header.expected_size():
        raise ValueError(f"{path} is truncated (log-probabilities)")
    shape = (header.n_chunk, rows_per_chunk(header.n_ctx), row_width(header.n_vocab))
    data = np.memmap(path, dtype="<u2", mode="r", offset=header.data_offset, shape=shape)
    return header, data


class BaseWriter:
    """Writes the header, then one chunk of quantized rows at a time."""

    def __init__(self, path: str | os.PathLike[str], n_ctx: int, n_vocab: int, tokens: np.ndarray) -> None:
        n_chunk = tokens.size // n_ctx
        self._file = open(path, "wb")  # noqa: SIM115 (closed in close())
        self._file.write(MAGIC)
        self._file.write(np.array([n_ctx, n_vocab, n_chunk], dtype="<i4").tobytes())
        self._file.write(np.ascontiguousarray(tokens[: n_chunk * n_ctx], dtype="<i4").tobytes())

    def write_chunk(self, rows: np.ndarray) -> None:
        self._file.write(np.ascontiguousarray(rows, dtype="<u2").tobytes())

    def close(self) -> None:
        self._file.close()
