"""The HF token lives in the OS keyring and is never shown in full."""

from __future__ import annotations

import io

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from app.cli.main import main
from models.errors import TokenStoreUnavailable
from models.hub.token import delete_token, get_token, store_token, token_status

SECRET = "hf_SECRETsecretSECRET123"


class MemoryKeyring(KeyringBackend):
    """An in-process keyring backend with keyring's own interface."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        del self.items[(service, username)]


@pytest.fixture
def memory_keyring(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")  # no login file either
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", "/nonexistent-hf-home")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_store_read_and_delete_through_the_keyring(memory_keyring):
    store_token(f"  {SECRET}\n")
    assert memory_keyring.items == {("workbench", "huggingface-token"): SECRET}
    assert get_token() == SECRET
    status = token_status()
    assert (status.source, status.redacted, status.keyring_backend) == ("keyring", "hf_…", "MemoryKeyring")
    assert delete_token() is True
    assert get_token() is None and delete_token() is False


def test_environment_token_is_used_when_the_keyring_has_none(memory_keyring, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    assert get_token() == SECRET
    assert token_status().source == "huggingface_hub"


def test_without_a_keyring_nothing_is_written_and_the_reason_is_given(no_keyring):
    with pytest.raises(TokenStoreUnavailable, match="no OS keyring backend.*HF_TOKEN"):
        store_token(SECRET)
    assert "no OS keyring" in token_status().keyring_reason


@pytest.mark.parametrize("bad", ["", "   ", "hf_abc def"])
def test_malformed_tokens_are_refused(memory_keyring, bad):
    with pytest.raises(ValueError):
        store_token(bad)
    assert memory_keyring.items == {}


def test_cli_reads_the_token_from_stdin_and_never_prints_it(memory_keyring, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["hf-token", "set"]) == 0
    out = capsys.readouterr().out
    assert "stored in the OS keyring" in out and "hf_…" in out
    assert SECRET not in out and SECRET[3:] not in out
    assert main(["hf-token", "clear"]) == 0
    assert "removed" in capsys.readouterr().out
    assert memory_keyring.items == {}
