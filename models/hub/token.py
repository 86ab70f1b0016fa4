"""The Hugging Face token: the OS keyring when available, else huggingface_hub's own lookup.

The token is never logged or printed; callers pass it straight to request
headers and show it only through ``redact``. Without a usable keyring backend
(a headless Linux box has none) Workbench stores nothing itself: the user can
still set ``HF_TOKEN`` or run ``hf auth login``, which huggingface_hub reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import TokenStoreUnavailable

KEYRING_SERVICE = "workbench"
KEYRING_USER = "huggingface-token"


@dataclass(frozen=True)
class TokenStatus:
    source: str  # "keyring", "huggingface_hub" (HF_TOKEN or its login file) or "" for none
    redacted: str
    keyring_backend: str  # the backend's name, or "" when there is no usable keyring
    keyring_reason: str = ""  # why the keyring cannot be used


def _keyring():
    """(module, "") when a real backend is usable, else (None, reason)."""
    try:
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None, "the keyring package is not installed"
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # noqa: BLE001 - a broken configuration is reported, not raised
        return None, f"the keyring could not be opened: {exc}"
    if isinstance(backend, fail.Keyring):
        return None, "no OS keyring backend is available (e.g. no Secret Service on this desktop)"
    return keyring, ""


def _keyring_token() -> str | None:
    kr, _ = _keyring()
    if kr is None:
        return None
    try:
        return kr.get_password(KEYRING_SERVICE, KEYRING_USER) or None
    except Exception:  # noqa: BLE001 - a locked or broken keyring is not fatal
        return None


def get_token() -> str | None:
    """Keyring first, then HF_TOKEN / the huggingface-cli login file."""
    token = _keyring_token()
    if token:
        return token
    from huggingface_hub import get_token as hf_get_token

    return hf_get_token()


def token_status() -> TokenStatus:
    kr, reason = _keyring()
    backend = type(kr.get_keyring()).__name__ if kr is not None else ""
    token = _keyring_token()
    if token:
        return TokenStatus("keyring", redact(token), backend, reason)
    from huggingface_hub import get_token as hf_get_token

    token = hf_get_token()
    return TokenStatus("huggingface_hub" if token else "", redact(token), backend, reason)


def store_token(token: str) -> None:
    """Save to the OS keyring; raises TokenStoreUnavailable (writing nothing) without one."""
    token = token.strip()
    if not token:
        raise ValueError("the token is empty")
    if any(c.isspace() for c in token):
        raise ValueError("a Hugging Face token has no spaces or line breaks")
    kr, reason = _keyring()
    if kr is None:
        raise TokenStoreUnavailable(f"cannot store the token: {reason}; set HF_TOKEN instead")
    try:
        kr.set_password(KEYRING_SERVICE, KEYRING_USER, token)
    except Exception as exc:  # noqa: BLE001 - the backend's own error, without the token
        raise TokenStoreUnavailable(f"the keyring refused the token: {type(exc).__name__}") from None


def delete_token() -> bool:
    """Remove Workbench's keyring entry; False when there was none."""
    kr, _ = _keyring()
    if kr is None or _keyring_token() is None:
        return False
    kr.delete_password(KEYRING_SERVICE, KEYRING_USER)
    return True


def redact(token: str | None) -> str:
    """For display only: never shows more than the 3-character prefix."""
    return "(none)" if not token else token[:3] + "…"
