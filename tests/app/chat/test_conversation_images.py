"""Pictures in chat messages: sent to the model, saved with the chat, shared bytes stored once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from app.chat.conversation import ChatConversation
from app.chat.store import ConversationStore
from runtimes.requests import Image
from tests.support.vision_fixtures import picture

RED, BLUE = picture((255, 0, 0)), picture((0, 0, 255))


def test_images_go_with_their_message_into_the_request():
    chat = ChatConversation()
    chat.add_user("what is this?", [Image(data=RED, name="red.png")])
    chat.begin_reply()
    chat.add_to_reply("red")
    chat.end_reply(None)
    chat.add_user("and now?")
    messages = chat.request().messages
    assert [len(m.get("images", [])) for m in messages] == [1, 0, 0]
    assert messages[0]["images"][0].data == RED


def test_a_message_may_be_only_images_and_names_the_chat():
    chat = ChatConversation()
    chat.add_user("", [Image(data=RED, name="red.png")])
    assert chat.title == "Image: red.png"
    with pytest.raises(ValueError):
        chat.add_user("  ")


def test_images_are_saved_reloaded_and_stored_once(tmp_path: Path):
    store = ConversationStore(tmp_path / "chats.db")
    file = tmp_path / "blue.png"
    file.write_bytes(BLUE)
    chat = ChatConversation()
    chat.add_user("two", [Image(data=RED, name="red.png"), Image(path=str(file))])
    chat.add_user("again", [Image(data=RED, name="red.png")])
    store.save(chat)
    store.save(chat)  # saved again after a reply: no duplicate bytes
    file.unlink()  # the chat keeps its own copy

    loaded = store.load(chat.id)
    assert [[i.data for i in m.images] for m in loaded.messages] == [[RED, BLUE], [RED]]
    assert loaded.messages[0].images[0].name == "red.png"
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 2

    store.delete(chat.id)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM images").fetchone()[0] == 0
