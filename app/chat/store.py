"""Conversations on disk, in SQLite (``app.paths.conversations_db()``).

Each call opens its own short-lived connection, so the store may be used
from any thread (the UI calls it from a background queue, never the GUI
thread). ``save`` writes a whole conversation in one transaction: a crash
leaves either the old or the new version, never half of one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from app.chat.conversation import ChatConversation, ChatMessage
from app.chat.images import SCHEMA as IMAGES_SCHEMA
from app.chat.images import drop_unused, load_images, save_images
from app.errors import ConversationNotFound
from app.paths import conversations_db
from models.errors import WorkbenchError
from runtimes.requests import Sampling

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    system_prompt TEXT NOT NULL DEFAULT '',
    sampling TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    stats TEXT,
    created_at REAL NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
"""


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    updated_at: float
    n_messages: int


def _sampling_from_json(text: str) -> Sampling:
    # Keys a newer or older version wrote but this one lacks are ignored.
    try:
        data = json.loads(text)
    except ValueError:
        return Sampling()
    known = {f.name for f in fields(Sampling)}
    try:
        return Sampling(**{k: v for k, v in data.items() if k in known})
    except TypeError:
        return Sampling()


class ConversationStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path else conversations_db()
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with closing(sqlite3.connect(self.path, timeout=10.0)) as conn:
                conn.execute("PRAGMA foreign_keys = ON")
                if not self._ready:
                    conn.executescript(_SCHEMA + IMAGES_SCHEMA)
                    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    self._ready = True
                with conn:  # one transaction: commit on success, roll back on error
                    yield conn
        except sqlite3.Error as exc:
            raise WorkbenchError(f"the conversation database {self.path} could not be used: {exc}") from exc

    def create(self, title: str = "", system_prompt: str = "", sampling: Sampling | None = None) -> ChatConversation:
        conversation = ChatConversation(title=title, system_prompt=system_prompt, sampling=sampling or Sampling())
        self.save(conversation)
        return conversation

    def list(self) -> list[ConversationSummary]:
        """Newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT c.id, c.title, c.updated_at, COUNT(m.position) FROM conversations c "
                "LEFT JOIN messages m ON m.conversation_id = c.id "
                "GROUP BY c.id ORDER BY c.updated_at DESC, c.created_at DESC"
            ).fetchall()
        return [ConversationSummary(*row) for row in rows]

    def load(self, conversation_id: str) -> ChatConversation:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT title, system_prompt, sampling, created_at, updated_at FROM conversations WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise ConversationNotFound(conversation_id)
            messages = conn.execute(
                "SELECT role, content, stats, created_at FROM messages WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        title, system_prompt, sampling, created_at, updated_at = row
        conversation = ChatConversation(
            id=conversation_id,
            title=title,
            system_prompt=system_prompt,
            sampling=_sampling_from_json(sampling),
            messages=[
                ChatMessage(role, content, json.loads(stats) if stats else None, created)
                for role, content, stats, created in messages
            ],
            created_at=created_at,
            updated_at=updated_at,
        )
        with self._connect() as conn:
            load_images(conn, conversation)
        return conversation

    def save(self, conversation: ChatConversation) -> None:
        """Insert or replace the conversation and all its messages."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO conversations (id, title, system_prompt, sampling, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                "system_prompt = excluded.system_prompt, sampling = excluded.sampling, "
                "updated_at = excluded.updated_at",
                (
                    conversation.id,
                    conversation.title,
                    conversation.system_prompt,
                    json.dumps(asdict(conversation.sampling)),
                    conversation.created_at,
                    conversation.updated_at,
                ),
            )
            conn.execute("DELETE FROM messages WHERE conversation_id = ?", (conversation.id,))
            conn.executemany(
                "INSERT INTO messages (conversation_id, position, role, content, stats, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (conversation.id, i, m.role, m.content, json.dumps(m.stats) if m.stats else None, m.created_at)
                    for i, m in enumerate(conversation.messages)
                ],
            )
            save_images(conn, conversation)

    def rename(self, conversation_id: str, title: str) -> None:
        title = " ".join(title.split())
        if not title:
            raise ValueError("a conversation needs a title")
        with self._connect() as conn:
            cursor = conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                (title, time.time(), conversation_id),
            )
            if cursor.rowcount == 0:
                raise ConversationNotFound(conversation_id)

    def delete(self, conversation_id: str) -> None:
        """Delete the conversation and its messages; deleting a missing one is a no-op."""
        with self._connect() as conn:
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            drop_unused(conn)
