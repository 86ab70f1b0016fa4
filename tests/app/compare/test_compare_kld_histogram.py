"""Log-binned per-token KLD histogram: every token lands in exactly one bin."""

from __future__ import annotations

import numpy as np
import pytest

from app.compare.results.kld_histogram import FLOOR, log_histogram


def test_bins_are_half_decades_and_keep_every_token():
    values = np.array([0.0, 5e-7, 1e-6, 2e-6, 4e-6, 1e-3, 0.5, 2.0])
    hist = log_histogram(values)
    assert hist.edges[0] == pytest.approx(FLOOR) and hist.edges[2] == pytest.approx(1e-5)
    assert hist.edges[-1] >= 2.0 and sum(hist.counts) == values.size == hist.n_tokens
    assert hist.counts[0] == 2  # 0 and 5e-7 are below the floor
    assert hist.counts[1] == 2  # [1e-6, 3.16e-6): 1e-6 and 2e-6
    assert hist.counts[2] == 1  # 4e-6
    assert hist.counts[-1] == 1  # 2.0 sits in the last bin
    assert len(hist.labels()) == len(hist.counts)
    assert hist.labels()[:3] == ["<1e-6", "1e-6", "3.2e-6"]


def test_bins_start_where_the_values_are():
    values = np.geomspace(0.1, 5.0, 200)
    hist = log_histogram(values)
    assert hist.edges[0] == pytest.approx(0.1) and hist.counts[0] == 0
    assert len(hist.counts) == 1 + 4  # 0.1 .. 10 in half decades
    assert sum(hist.counts) == 200


def test_all_zero_divergence_still_draws():
    hist = log_histogram(np.zeros(10))
    assert hist.counts[0] == 10 and sum(hist.counts) == 10


def test_empty_input_is_refused():
    with pytest.raises(ValueError):
        log_histogram(np.array([]))
