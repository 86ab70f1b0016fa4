"""Does a batched decode give one-token decoding's logits on this model and backend?

Speculative decoding verifies the drafted tokens in one batch, so its output is
plain decoding's only where every batch row's logits equal what a one-token
decode of that position gives. llama.cpp does not promise that (its server
README: logits are "not guaranteed to be bit-for-bit identical for different
batch sizes"), and llama-speculative-simple simply takes the batch's logits as
the truth. On Gemma 3 270M Q4_K_M on CPU the gap is large: up to ~2.4 logits,
with an F16 or F32 KV cache, with or without weight repacking, so greedy
output drifts within a few dozen tokens (see TOLERANCE for why quantized
models amplify a last-bit difference). Measuring the gap once at load tells
the speculator whether it can promise plain decoding's output.
"""

from __future__ import annotations

from typing import Any

PROBE_TEXT = "The quick brown fox jumps over the lazy dog.\ndef add(a, b):\n    return a + b\n"
PROBE_TOKENS = 24
# F32 models show reordered-sum noise (~7e-4 on the demo pair); quantized ones show ~1 (Gemma 3
# 270M Q4_K_M 1.45, SmolLM2 135M Q4_1 0.83): each matmul re-quantizes activations to 8 bits, so a
# last-bit difference that flips one rounding grows layer by layer.
TOLERANCE = 1e-2


def _row(llm: Any, i: int) -> Any:
    import llama_cpp
    import numpy as np

    n_vocab = llm.n_vocab()
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, i), shape=(n_vocab,)).copy()


def batch_logit_gap(llm: Any, kv: Any) -> float:
    """Largest |logit| difference between decoding a few tokens one by one and
    as one batch after the same cached prefix. Leaves the cache empty."""
    import numpy as np

    tokens = llm.tokenize(PROBE_TEXT.encode("utf-8"), add_bos=True)[: min(PROBE_TOKENS, llm.n_ctx())]
    half = len(tokens) // 2
    n = min(len(tokens) - half, kv.n_batch)
    kv.truncate(0)
    kv.append(tokens[:half])
    singles = []
    for token in tokens[half : half + n]:
        kv.append([token])
        singles.append(_row(llm, -1))
    kv.truncate(half)
    kv.append(tokens[half : half + n], all_logits=True)
    gap = max(float(np.abs(_row(llm, i) - single).max()) for i, single in enumerate(singles))
    kv.truncate(0)
    return gap


def inexact_reason(gap: float) -> str | None:
    """Why speculation cannot promise plain decoding's output, or None when it can."""
    if gap <= TOLERANCE:
        return None
    return (f"batched verification is not exact on this model: its logits differ from one-token decoding "
            f"by up to {gap:.2g} (llama.cpp's kernels take other paths for a batch), so the output would "
            f"drift from plain decoding")
