"""The scoring math against direct numpy definitions (no model needed)."""

from __future__ import annotations

import math

import numpy as np

from app.compare.results.metrics import mean_and_uncertainty, reference_perplexity, summarize
from runtimes.llama_cpp.scoring.token_scores import quantize_rows, score_rows


def _logits(seed: int, rows: int = 40, vocab: int = 50) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal((rows, vocab)) * 3).astype(np.float32)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))


def test_identical_logits_give_zero_kld_and_same_top() -> None:
    logits = _logits(0)
    targets = np.arange(logits.shape[0]) % logits.shape[1]
    rows, nll = quantize_rows(logits, targets)
    scores = score_rows(logits, rows, targets)
    assert np.all(scores.same_top)
    # Not exactly 0: the reference is stored in 16 bits over [max-16, max], as llama.cpp does.
    assert np.max(np.abs(scores.kld)) < 1e-4
    np.testing.assert_allclose(scores.nll, nll, rtol=1e-6)
    np.testing.assert_allclose(scores.nll_base, nll, atol=2e-4)  # 16-bit reference rows


def test_kld_matches_the_textbook_definition() -> None:
    ref, var = _logits(1), _logits(1) + _logits(2) * 0.3
    targets = np.arange(ref.shape[0]) % ref.shape[1]
    rows, _ = quantize_rows(ref, targets)
    scores = score_rows(var, rows, targets)
    lp, lq = _log_softmax(ref), _log_softmax(var)
    expected = (np.exp(lp) * (lp - lq)).sum(axis=1)
    np.testing.assert_allclose(scores.kld, expected, rtol=2e-3, atol=1e-4)
    np.testing.assert_array_equal(scores.same_top, ref.argmax(1) == var.argmax(1))
    rows_idx = np.arange(len(targets))
    np.testing.assert_allclose(scores.nll, -lq[rows_idx, targets], rtol=1e-5)
    p_diff = np.exp(lq[rows_idx, targets]) - np.exp(lp[rows_idx, targets])
    np.testing.assert_allclose(scores.p_diff, p_diff, atol=5e-4)


def test_summary_statistics() -> None:
    rng = np.random.default_rng(3)
    n = 101
    nll = rng.uniform(0.5, 4, n).astype(np.float32)
    kld = rng.exponential(0.05, n)
    p_diff = rng.normal(0, 0.02, n).astype(np.float32)
    same = rng.random(n) < 0.9
    s = summarize({"nll": nll, "nll_base": nll * 0.9, "kld": kld, "p_diff": p_diff, "same_top": same})
    assert math.isclose(s["ppl"], math.exp(nll.astype(np.float64).mean()), rel_tol=1e-6)
    assert math.isclose(s["ppl_err"], s["ppl"] * nll.astype(np.float64).std(ddof=0) / math.sqrt(n - 1), rel_tol=1e-4)
    assert math.isclose(s["kld_mean"], kld.mean(), rel_tol=1e-9)
    assert math.isclose(s["kld_median"], float(np.median(kld)), rel_tol=1e-6)
    assert math.isclose(s["kld_p99"], float(np.percentile(kld, 99)), rel_tol=1e-5)
    assert math.isclose(s["kld_max"], kld.max(), rel_tol=1e-6)
    assert math.isclose(s["same_top_pct"], 100 * same.mean())
    assert math.isclose(s["rms_dp_pct"], 100 * math.sqrt((p_diff.astype(np.float64) ** 2).mean()), rel_tol=1e-5)
    assert s["ln_ppl_ratio"] > 0  # the variant's NLL is larger than the "base" one


def test_reference_perplexity_and_uncertainty_edge_cases() -> None:
    ppl, err = reference_perplexity(np.array([1.0, 1.0, 1.0]))
    assert math.isclose(ppl, math.e) and err == 0.0
    assert mean_and_uncertainty(10.0, 30.0, 5) == (2.0, 0.0)  # too few values for an uncertainty
    mean, unc = mean_and_uncertainty(20.0, 60.0, 11)
    assert math.isclose(mean, 20 / 11) and unc > 0
