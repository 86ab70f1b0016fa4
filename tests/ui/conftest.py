"""Fixtures shared by the UI tests."""

from __future__ import annotations

import pytest

from ui.shell.context import AppContext


@pytest.fixture
def ctx(request: pytest.FixtureRequest):
    """A fresh AppContext, shut down afterwards. Modules that set
    ``FEEDS_OWN_SAMPLES = True`` get it with the live metrics sampler stopped."""
    context = AppContext()
    if getattr(request.module, "FEEDS_OWN_SAMPLES", False):
        context.sampler.stop()
    yield context
    context.shutdown()
