"""Images attached to chat messages, kept in the conversation database.

The picture's bytes are stored once per content hash, so saving a whole
conversation again after every reply never rewrites them, and a chat still
shows its pictures after the original files are moved or deleted.
"""

from __future__ import annotations

import hashlib
import sqlite3

from app.chat.conversation import ChatConversation
from runtimes.requests import Image

SCHEMA = """
CREATE TABLE IF NOT EXISTS images (
    sha256 TEXT PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS message_images (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL REFERENCES images(sha256),
    PRIMARY KEY (conversation_id, position, idx)
);
"""


def image_bytes(image: Image) -> bytes | None:
    """The picture's file bytes (None when its file has gone)."""
    if image.data is not None:
        return bytes(image.data)
    try:
        with open(image.path or "", "rb") as f:
            return f.read()
    except OSError:
        return None


def save_images(conn: sqlite3.Connection, conversation: ChatConversation) -> None:
    """Replace the conversation's image rows (call inside the save transaction)."""
    conn.execute("DELETE FROM message_images WHERE conversation_id = ?", (conversation.id,))
    for position, message in enumerate(conversation.messages):
        for idx, image in enumerate(message.images):
            data = image_bytes(image)
            if data is None:
                continue
            digest = hashlib.sha256(data).hexdigest()
            conn.execute("INSERT OR IGNORE INTO images (sha256, data) VALUES (?, ?)", (digest, data))
            conn.execute(
                "INSERT INTO message_images (conversation_id, position, idx, name, sha256) VALUES (?, ?, ?, ?, ?)",
                (conversation.id, position, idx, image.name or "", digest),
            )
    drop_unused(conn)


def load_images(conn: sqlite3.Connection, conversation: ChatConversation) -> None:
    """Attach the stored images to ``conversation``'s messages."""
    rows = conn.execute(
        "SELECT mi.position, mi.name, i.data FROM message_images mi JOIN images i ON i.sha256 = mi.sha256 "
        "WHERE mi.conversation_id = ? ORDER BY mi.position, mi.idx",
        (conversation.id,),
    ).fetchall()
    for position, name, data in rows:
        if 0 <= position < len(conversation.messages):
            conversation.messages[position].images.append(Image(data=bytes(data), name=name))


def drop_unused(conn: sqlite3.Connection) -> None:
    """Delete picture bytes no message refers to any more."""
    conn.execute("DELETE FROM images WHERE sha256 NOT IN (SELECT sha256 FROM message_images)")
