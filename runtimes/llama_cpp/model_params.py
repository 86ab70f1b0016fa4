"""llama_model_params fields that llama-cpp-python's Llama() does not take as arguments.

Llama.__init__ starts from llama_model_default_params(); swapping that function for the
duration of one load sets the extra fields without forking the binding. Loads run one at
a time in a worker process, so the swap cannot leak into another load.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def extra_model_params(**fields: Any) -> Iterator[None]:
    from llama_cpp import llama_cpp as binding

    original = binding.llama_model_default_params

    def with_fields() -> Any:
        params = original()
        for name, value in fields.items():
            setattr(params, name, value)
        return params

    binding.llama_model_default_params = with_fields
    try:
        yield
    finally:
        binding.llama_model_default_params = original
