"""Read a GGUF's tokenizer: the token list, token types, merges and special ids.

``validate_gguf`` deliberately skips vocabularies (they can hold 250k
strings), so this reads just the ``tokenizer.*`` keys of an already
validated file. The header is streamed once; other values are skipped.
Results are cached by (path, size, mtime), since library scans ask again.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import gguf

from models.gguf.validate import SCALAR_FORMATS, SCALAR_SIZES, validate_gguf

_VT = gguf.GGUFValueType
# Special-token ids llama.cpp reads; speculative decoding needs them equal.
SPECIAL_KEYS = ("bos", "eos", "eot", "eom", "unk", "sep", "pad", "mask")
_LIST_KEYS = ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.merges")


@dataclass(frozen=True)
class Vocab:
    path: str
    model: str | None  # tokenizer.ggml.model: "gpt2", "llama", ...
    pre: str | None  # tokenizer.ggml.pre: the pre-tokenizer regex family
    tokens: tuple[bytes, ...]
    token_types: tuple[int, ...]
    merges_sha256: str
    special_ids: dict[str, int] = field(default_factory=dict)  # "bos" -> id, only those present
    add_bos: bool | None = None
    add_eos: bool | None = None
    file_size: int = 0

    @property
    def size(self) -> int:
        return len(self.tokens)

    @property
    def tokens_sha256(self) -> str:
        digest = hashlib.sha256()
        for token in self.tokens:
            digest.update(len(token).to_bytes(4, "little"))
            digest.update(token)
        return digest.hexdigest()


def read_vocab(path: str | os.PathLike[str]) -> Vocab:
    """The tokenizer of ``path``; raises ModelFileError for a bad file."""
    path = Path(path)
    st = path.stat() if path.is_file() else None
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns) if st else (str(path), 0, 0)
    return _read_vocab_cached(*key)


@lru_cache(maxsize=64)
def _read_vocab_cached(path: str, _size: int, _mtime: int) -> Vocab:
    header = validate_gguf(path)  # bounds every length below
    values: dict[str, Any] = {}
    with open(path, "rb") as f:
        f.seek(4 + 4 + 8 + 8)  # magic, version, tensor count, kv count
        for _ in range(header.kv_count):
            name = _string(f).decode("utf-8", errors="replace")
            vtype = _VT(_u32(f))
            if name.startswith("tokenizer.") and name != "tokenizer.chat_template":
                values[name] = _value(f, vtype, keep=True)
            else:
                _value(f, vtype, keep=False)
    meta = header.metadata
    specials = {k: meta[f"tokenizer.ggml.{k}_token_id"] for k in SPECIAL_KEYS
                if isinstance(meta.get(f"tokenizer.ggml.{k}_token_id"), int)}
    merges = hashlib.sha256(b"\n".join(values.get("tokenizer.ggml.merges") or ())).hexdigest()
    return Vocab(
        path=path,
        model=_text(meta.get("tokenizer.ggml.model")),
        pre=_text(meta.get("tokenizer.ggml.pre")),
        tokens=tuple(values.get("tokenizer.ggml.tokens") or ()),
        token_types=tuple(values.get("tokenizer.ggml.token_type") or ()),
        merges_sha256=merges,
        special_ids=specials,
        add_bos=_flag(meta.get("tokenizer.ggml.add_bos_token")),
        add_eos=_flag(meta.get("tokenizer.ggml.add_eos_token")),
        file_size=header.file_size,
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _u32(f: BinaryIO) -> int:
    return struct.unpack("<I", f.read(4))[0]


def _u64(f: BinaryIO) -> int:
    return struct.unpack("<Q", f.read(8))[0]


def _string(f: BinaryIO) -> bytes:
    return f.read(_u64(f))


def _value(f: BinaryIO, vtype: gguf.GGUFValueType, keep: bool) -> Any:
    fmt = SCALAR_FORMATS.get(vtype)
    if fmt is not None:
        data = f.read(SCALAR_SIZES[vtype])
        return struct.unpack("<" + fmt, data)[0] if keep else None
    if vtype == _VT.STRING:
        n = _u64(f)
        if keep:
            return f.read(n)
        f.seek(n, os.SEEK_CUR)
        return None
    item_type = _VT(_u32(f))
    n = _u64(f)
    size = SCALAR_SIZES.get(item_type)
    if size is not None:
        if not keep:
            f.seek(n * size, os.SEEK_CUR)
            return None
        return struct.unpack(f"<{n}{SCALAR_FORMATS[item_type]}", f.read(n * size))
    items = [_value(f, item_type, keep) for _ in range(n)]
    return items if keep else None
