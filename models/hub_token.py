"""The Hugging Face token: the OS keyring when available, else huggingface_hub's own lookup.

The token is never logged or printed; callers pass it straight to request headers.
"""

from __future__ import annotations

KEYRING_SERVICE = "workbench"
KEYRING_USER = "huggingface-token"


def _keyring():
    try:
        import keyring  # optional dependency

        keyring.get_keyring()
        return keyring
    except Exception:  # noqa: BLE001 - missing package or no usable backend
        return None


def get_token() -> str | None:
    """Keyring first, then HF_TOKEN / the huggingface-cli login file."""
    kr = _keyring()
    if kr is not None:
        try:
            token = kr.get_password(KEYRING_SERVICE, KEYRING_USER)
            if token:
                return token
        except Exception:  # noqa: BLE001 - a locked or broken keyring is not fatal
            pass
    from huggingface_hub import get_token as hf_get_token

    return hf_get_token()


def store_token(token: str) -> bool:
    """Save to the OS keyring; False when no keyring is available (nothing is written elsewhere)."""
    kr = _keyring()
    if kr is None:
        return False
    try:
        kr.set_password(KEYRING_SERVICE, KEYRING_USER, token)
        return True
    except Exception:  # noqa: BLE001
        return False


def redact(token: str | None) -> str:
    """For display only: never shows more than the 4-character prefix."""
    return "(none)" if not token else token[:3] + "…"
