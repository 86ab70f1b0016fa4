"""Aggregate per-token scores into llama-perplexity's summary statistics.

Formulas and float/double choices follow tools/perplexity/perplexity.cpp
(``kl_divergence`` and ``perplexity``): sums in double, squares of float32
values taken in float32, uncertainties from ``mean_and_uncertainty``, and
percentiles interpolated in float32 over the sorted per-token values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_F32 = np.float32


def mean_and_uncertainty(total: float, total2: float, count: int) -> tuple[float, float]:
    """perplexity.cpp's lambda: mean and its standard error (0 for count <= 10)."""
    if count < 1:
        return 0.0, 0.0
    mean = total / count
    var = total2 / count - mean * mean
    return mean, math.sqrt(var / (count - 1)) if var > 0 and count > 10 else 0.0


def _covariance(sum_a: float, sum_b: float, sum_ab: float, count: int) -> float:
    if count < 10:
        return 0.0
    return (sum_ab / count - (sum_a / count) * (sum_b / count)) / (count - 1)


def _percentile(sorted_values: np.ndarray, fraction: float) -> float:
    values = sorted_values.astype(_F32)
    if fraction <= 0:
        return float(values[0])
    if fraction >= 1:
        return float(values[-1])
    p = _F32(fraction) * _F32(values.size - 1)
    ip = int(p)
    p = _F32(p - _F32(ip))
    upper = values[min(ip + 1, values.size - 1)]
    return float((_F32(1) - p) * values[ip] + p * upper)


def _median(sorted_values: np.ndarray) -> float:
    v, n = sorted_values.astype(_F32), sorted_values.size
    return float(_F32(0.5) * (v[n // 2] + v[n // 2 - 1])) if n % 2 == 0 else float(v[n // 2])


def reference_perplexity(nll: np.ndarray) -> tuple[float, float]:
    """PPL ± error of the reference, as ``perplexity()`` reports its final estimate."""
    nll = np.asarray(nll, dtype=np.float64)
    count = nll.size
    mean = float(nll.sum()) / count
    var = float((nll * nll).sum()) / count - mean * mean
    ppl = math.exp(mean)
    return ppl, ppl * math.sqrt(var / (count - 1)) if var > 0 and count > 1 else 0.0


def summarize(scores: dict[str, np.ndarray]) -> dict[str, Any]:
    """Summary of one variant from its per-token arrays (see TokenScores)."""
    nll = np.asarray(scores["nll"], dtype=_F32)
    nll_base = np.asarray(scores["nll_base"], dtype=_F32)
    kld = np.asarray(scores["kld"], dtype=np.float64)
    p_diff = np.asarray(scores["p_diff"], dtype=_F32)
    count = int(nll.size)
    if count == 0:
        raise ValueError("no scored tokens")
    f64 = np.float64
    sum_nll, sum_nll2 = float(nll.sum(dtype=f64)), float((nll * nll).sum(dtype=f64))
    sum_base, sum_base2 = float(nll_base.sum(dtype=f64)), float((nll_base * nll_base).sum(dtype=f64))
    sum_nll_base = float((nll * nll_base).sum(dtype=f64))
    p_diff2 = (p_diff * p_diff).astype(f64)

    log_ppl, log_ppl_unc = mean_and_uncertainty(sum_nll, sum_nll2, count)
    log_base, log_base_unc = mean_and_uncertainty(sum_base, sum_base2, count)
    cov = _covariance(sum_nll, sum_base, sum_nll_base, count)
    ratio_unc2 = log_ppl_unc**2 + log_base_unc**2 - 2.0 * cov
    kld_mean, kld_unc = mean_and_uncertainty(float(kld.sum()), float((kld * kld).sum()), count)
    mse, mse_unc = mean_and_uncertainty(float(p_diff2.sum()), float((p_diff2 * p_diff2).sum()), count)
    rms = math.sqrt(mse)
    same_top = float(np.count_nonzero(scores["same_top"])) / count
    kld_sorted = np.sort(kld.astype(_F32))
    ppl = math.exp(log_ppl)
    return {
        "n_tokens_scored": count,
        "ppl": ppl,
        "ppl_err": ppl * log_ppl_unc,
        "ppl_base": math.exp(log_base),
        "ln_ppl_ratio": log_ppl - log_base,
        "ln_ppl_ratio_err": math.sqrt(ratio_unc2) if ratio_unc2 > 0 else 0.0,
        "kld_mean": kld_mean,
        "kld_err": kld_unc,
        "kld_median": _median(kld_sorted),
        "kld_p99": _percentile(kld_sorted, 0.99),
        "kld_max": float(kld_sorted[-1]),
        "same_top_pct": 100.0 * same_top,
        "same_top_err": 100.0 * math.sqrt(same_top * (1 - same_top) / (count - 1)) if count > 1 else 0.0,
        "rms_dp_pct": 100.0 * rms,
        "rms_dp_err": 100.0 * 0.5 / rms * mse_unc if rms > 0 else 0.0,
    }
