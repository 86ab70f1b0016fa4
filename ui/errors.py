"""Every error the ui layer raises, each a WorkbenchError (models/errors.py
holds the root). Kept in one module, as in the other layers."""

from __future__ import annotations

from models.errors import WorkbenchError


class NotATensorModel(WorkbenchError):
    """The file picked on the Tensors page belongs to a runtime that does not run tensors."""
