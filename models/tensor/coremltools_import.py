"""Import coremltools lazily and quietly (conversion and the Core ML runtime share this).

coremltools costs ~0.6 s to import, so only the code paths that need it do.
Off macOS it logs a "Failed to load _MLModelProxy" warning per native proxy
(its prediction library only ships for macOS); the Core ML runtime reports
that fact itself through availability(), so those lines are muted here and
every other coremltools warning still shows.
"""

from __future__ import annotations

import logging
from types import ModuleType

from models.errors import MissingCoremltools

INSTALL_HINT = "pip install 'coremltools>=9,<10'"


class _MuteMissingNativeProxies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "libcoremlpython" not in record.getMessage()


def import_coremltools() -> ModuleType:
    logger = logging.getLogger("coremltools")
    if not any(isinstance(f, _MuteMissingNativeProxies) for f in logger.filters):
        logger.addFilter(_MuteMissingNativeProxies())
    try:
        import coremltools
    except ImportError as exc:
        raise MissingCoremltools(f"coremltools is not installed ({exc}); {INSTALL_HINT}") from exc
    return coremltools
