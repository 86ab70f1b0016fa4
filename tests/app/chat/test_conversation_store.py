"""The SQLite conversation store: round trips, listing, rename, delete."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from app.chat.conversation import ChatConversation
from app.chat.store import ConversationStore
from app.errors import ConversationNotFound
from app.paths import conversations_db
from models.errors import WorkbenchError
from runtimes.requests import Sampling


def sample_chat() -> ChatConversation:
    chat = ChatConversation(system_prompt="You are terse.", sampling=Sampling(temperature=0.3, top_k=7, seed=42))
    chat.add_user("What is **2+2**?")
    chat.begin_reply()
    chat.add_to_reply("4\n\n```python\nprint(4)\n```")
    chat.end_reply({"n_gen": 9, "ttft_s": 0.05, "gen_tps": 120.5, "stop_reason": "eos"})
    return chat


def test_defaults_to_the_app_database_under_workbench_home():
    store = ConversationStore()
    assert store.path == conversations_db()
    store.save(sample_chat())
    assert conversations_db().is_file()


def test_save_and_load_round_trip_through_a_fresh_store(tmp_path):
    chat = sample_chat()
    ConversationStore(tmp_path / "c.sqlite3").save(chat)
    again = ConversationStore(tmp_path / "c.sqlite3").load(chat.id)
    assert again.title == "What is **2+2**?"
    assert again.system_prompt == "You are terse."
    assert again.sampling == Sampling(temperature=0.3, top_k=7, seed=42)
    assert [(m.role, m.content, m.stats) for m in again.messages] == [
        (m.role, m.content, m.stats) for m in chat.messages
    ]
    assert [m.created_at for m in again.messages] == [m.created_at for m in chat.messages]
    assert again.created_at == chat.created_at


def test_saving_again_replaces_messages(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    chat = sample_chat()
    store.save(chat)
    chat.regenerate()
    store.save(chat)
    assert [m.role for m in store.load(chat.id).messages] == ["user"]


def test_list_is_newest_first_with_message_counts(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    old = store.create(title="old")
    new = sample_chat()
    new.updated_at = old.updated_at + 10
    store.save(new)
    summaries = store.list()
    assert [(s.id, s.title, s.n_messages) for s in summaries] == [(new.id, new.title, 2), (old.id, "old", 0)]


def test_rename_and_delete(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    chat = sample_chat()
    store.save(chat)
    store.rename(chat.id, "  Arithmetic \n help ")
    assert store.load(chat.id).title == "Arithmetic help"
    with pytest.raises(ValueError):
        store.rename(chat.id, "  ")
    store.delete(chat.id)
    assert store.list() == []
    with pytest.raises(ConversationNotFound):
        store.load(chat.id)
    with pytest.raises(ConversationNotFound):
        store.rename(chat.id, "gone")
    with sqlite3.connect(store.path) as conn:  # the messages went with it
        assert conn.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)


def test_unknown_sampling_keys_from_another_version_are_ignored(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    chat = sample_chat()
    store.save(chat)
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE conversations SET sampling = ?", ('{"temperature": 0.9, "mirostat": 2}',))
    assert store.load(chat.id).sampling == Sampling(temperature=0.9)


def test_the_store_works_from_several_threads(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite3")
    chats = [sample_chat() for _ in range(6)]
    errors = []

    def save(chat):
        try:
            store.save(chat)
        except Exception as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(c,)) for c in chats]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {s.id for s in store.list()} == {c.id for c in chats}


def test_an_unusable_database_gives_a_readable_error(tmp_path):
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WorkbenchError, match="could not be used"):
        ConversationStore(bad).list()
