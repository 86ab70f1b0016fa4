"""Per-token scores of llama.cpp's perplexity/KL-divergence tool, vectorized.

Each function mirrors one ``log_softmax`` overload in
tools/perplexity/perplexity.cpp, including where it computes in float32 and
where in double, so our numbers agree with llama-perplexity's to rounding.
Rows are processed in blocks to keep temporaries bounded for large vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtimes.llama_cpp.scoring.kld_base_file import row_width

_BLOCK_ROWS = 32
_F32 = np.float32


def _log_sum_exp(logits: np.ndarray, max_logit: np.ndarray) -> np.ndarray:
    # expf in float32, summed in double, log stored back as float.
    sum_exp = np.exp(logits - max_logit[:, None]).sum(axis=1, dtype=np.float64)
    return np.log(sum_exp).astype(_F32)


def quantize_rows(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference rows for the base file, and each token's NLL (float64).

    ``logits`` is (rows, n_vocab) float32; ``targets`` the next token per row.
    """
    n_rows, n_vocab = logits.shape
    out = np.zeros((n_rows, row_width(n_vocab)), dtype="<u2")
    nll = np.empty(n_rows, dtype=np.float64)
    for lo in range(0, n_rows, _BLOCK_ROWS):
        block = np.asarray(logits[lo : lo + _BLOCK_ROWS], dtype=_F32)
        rows = np.arange(block.shape[0])
        max_logit = block.max(axis=1)
        min_logit = np.maximum(block.min(axis=1), max_logit - _F32(16))
        lse = _log_sum_exp(block, max_logit)
        min_log_prob = (min_logit - max_logit - lse).astype(_F32)
        scale = ((max_logit - min_logit) / _F32(65535)).astype(_F32)
        with np.errstate(divide="ignore"):
            inv_scale = np.where(scale != 0, _F32(1) / scale, _F32(0)).astype(_F32)
        q = np.rint(inv_scale[:, None] * (block - min_logit[:, None]))  # nearest_int: ties to even
        q = np.where(block > min_logit[:, None], q, 0)
        out[lo : lo + len(rows), 4 : 4 + n_vocab] = q.astype("<u2")
        out[lo : lo + len(rows), :4] = np.stack([scale, min_log_prob], axis=1).astype("<f4").view("<u2")
        nll[lo : lo + len(rows)] = (max_logit + lse - block[rows, targets[lo : lo + len(rows)]]).astype(_F32)
    return out, nll


@dataclass
class TokenScores:
    """One entry per scored token, with perplexity.cpp's precisions."""

    nll: np.ndarray  # float32, the variant's -log p(next token)
    nll_base: np.ndarray  # float32, the reference's
    kld: np.ndarray  # float64, KL(reference || variant) over the full vocabulary
    p_diff: np.ndarray  # float32, p_variant(next) - p_reference(next)
    same_top: np.ndarray  # bool, both rank the same token first

    @classmethod
    def concat(cls, parts: list[TokenScores]) -> TokenScores:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__))

    def as_arrays(self) -> dict[str, np.ndarray]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def score_rows(logits: np.ndarray, base_rows: np.ndarray, targets: np.ndarray) -> TokenScores:
    """Score a variant's logits against reference rows from the base file."""
    n_rows, n_vocab = logits.shape
    parts = []
    for lo in range(0, n_rows, _BLOCK_ROWS):
        block = np.asarray(logits[lo : lo + _BLOCK_ROWS], dtype=_F32)
        base = np.asarray(base_rows[lo : lo + _BLOCK_ROWS])
        tok = np.asarray(targets[lo : lo + _BLOCK_ROWS])
        rows = np.arange(block.shape[0])
        imax = block.argmax(axis=1)  # first maximum, like the C loop's strict >
        max_logit = block[rows, imax]
        lse = _log_sum_exp(block, max_logit)
        header = np.ascontiguousarray(base[:, :4]).view("<f4")
        scale, min_log_prob = header[:, 0], header[:, 1]
        q = base[:, 4 : 4 + n_vocab]
        nll = (max_logit + lse - block[rows, tok]).astype(_F32)
        nll_base = (-(scale * q[rows, tok].astype(_F32) + min_log_prob)).astype(_F32)
        p_log_base = (scale[:, None] * q.astype(_F32) + min_log_prob[:, None]).astype(_F32)
        imax_base = p_log_base.argmax(axis=1)
        full_lse = (max_logit + lse).astype(_F32)
        terms = np.exp(p_log_base) * ((p_log_base - block) + full_lse[:, None])
        kld = np.where(p_log_base > _F32(-16), terms, _F32(0)).sum(axis=1, dtype=np.float64)
        p_diff = (np.exp(-nll) - np.exp(-nll_base)).astype(_F32)
        parts.append(TokenScores(nll, nll_base, kld, p_diff, imax == imax_base))
    return TokenScores.concat(parts)
