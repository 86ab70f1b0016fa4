"""The Chat page's state without a window: load and reply states, the events
they fire, actions that wait for a reply, and replacing the conversation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from app.chat.conversation import ChatConversation
from app.chat.session import ChatSession, LoadState, ReplyState
from models.listeners import Listeners
from runtimes.requests import Sampling


class Recorder:
    """Subscribes to every event of a session and keeps what fired, in order."""

    def __init__(self, session: ChatSession) -> None:
        self.events: list[tuple] = []
        for name in ("on_changed", "on_reply_started", "on_stop_requested", "on_save_requested", "on_model_died"):
            getattr(session, name).connect(lambda *args, name=name: self.events.append((name, *args)))

    def names(self) -> list[str]:
        return [event[0] for event in self.events]


@pytest.fixture
def host():
    return SimpleNamespace(current=None)


@pytest.fixture
def session(host):
    return ChatSession(host)


def test_listeners_call_every_callback_in_order_with_the_arguments():
    listeners, heard = Listeners(), []
    listeners.connect(lambda *args: heard.append(("first", args)))
    listeners.connect(lambda *args: heard.append(("second", args)))
    listeners.emit(1, "two")
    assert heard == [("first", (1, "two")), ("second", (1, "two"))]


def test_a_listener_added_while_notifying_hears_only_the_next_notify():
    listeners, heard = Listeners(), []
    listeners.connect(lambda: listeners.connect(lambda: heard.append("late")))
    listeners.emit()
    assert heard == []
    listeners.emit()
    assert heard == ["late"]


def test_a_new_session_is_idle_not_ready_with_an_empty_chat(session):
    assert not session.ready and not session.loading and not session.generating
    assert session.load_state is LoadState.IDLE and session.reply_state is ReplyState.IDLE
    assert session.conversation.messages == []
    assert not session.can_chat  # no model loaded


def test_loaded_reads_the_model_host_every_time(session, host):
    assert session.loaded is None
    host.current = model = object()
    assert session.loaded is model
    assert session.can_chat


def test_discovery_makes_it_ready_and_says_so(session):
    events = Recorder(session)
    session.mark_ready()
    assert session.ready
    assert events.names() == ["on_changed"]


def test_a_load_runs_until_it_ends_even_while_cancelling(session, host):
    host.current = object()
    events = Recorder(session)
    session.load_started()
    assert session.load_state is LoadState.LOADING and session.loading and not session.can_chat
    session.load_cancelling()
    assert session.load_state is LoadState.CANCELLING and session.loading
    session.load_ended()
    assert session.load_state is LoadState.IDLE and not session.loading and session.can_chat
    assert events.names() == ["on_changed"] * 3


def test_cancelling_without_a_load_changes_nothing(session):
    events = Recorder(session)
    session.load_cancelling()
    assert session.load_state is LoadState.IDLE
    assert events.events == []


def test_a_reply_streams_then_ends(session, host):
    host.current = object()
    events = Recorder(session)
    session.reply_started()
    assert session.reply_state is ReplyState.STREAMING and session.generating and not session.can_chat
    assert events.names() == ["on_reply_started", "on_changed"]
    session.reply_ended()
    assert session.reply_state is ReplyState.IDLE and session.can_chat
    assert events.names()[-1] == "on_changed"


def test_stop_asks_once_per_request_and_only_while_a_reply_runs(session):
    events = Recorder(session)
    session.request_stop()
    assert events.events == []  # nothing to stop
    session.reply_started()
    session.request_stop()
    assert session.reply_state is ReplyState.STOPPING and session.generating  # it ends later
    assert events.names().count("on_stop_requested") == 1


def test_when_idle_runs_at_once_without_a_reply(session):
    ran = []
    session.when_idle(lambda: ran.append("now"))
    assert ran == ["now"]


def test_when_idle_stops_the_reply_and_waits_for_its_end(session):
    events, ran = Recorder(session), []
    session.reply_started()
    session.when_idle(lambda: ran.append(("first", session.generating)))
    session.when_idle(lambda: ran.append(("second", session.generating)))
    assert ran == []
    assert "on_stop_requested" in events.names()
    session.reply_ended()
    assert ran == [("first", False), ("second", False)]  # in order, once the reply is over
    session.reply_started()
    session.reply_ended()
    assert len(ran) == 2  # each runs once


def test_closing_stops_the_reply_and_drops_waiting_actions(session):
    events, ran = Recorder(session), []
    session.reply_started()
    session.when_idle(lambda: ran.append("after"))
    session.close()
    assert session.closing and events.names().count("on_stop_requested") >= 1
    session.reply_ended()
    assert ran == []


def test_showing_a_conversation_replaces_it_and_says_so(session):
    events = Recorder(session)
    saved = ChatConversation(title="Saved")
    session.show(saved)
    assert session.conversation is saved
    assert events.names() == ["on_changed"]


def test_a_new_conversation_keeps_prompt_and_sampling_but_nothing_else(session):
    old = session.conversation
    old.system_prompt, old.sampling = "Be brief.", Sampling(temperature=0.3)
    old.add_user("hello")
    events = Recorder(session)
    new = session.start_new_conversation()
    assert session.conversation is new and new is not old
    assert new.id != old.id and new.messages == [] and new.title == ""
    assert (new.system_prompt, new.sampling.temperature) == ("Be brief.", 0.3)
    assert events.names() == ["on_changed"]


def test_retitle_changes_only_the_current_conversation(session):
    current = session.conversation
    session.retitle("someone-else", "Other")
    assert current.title == ""
    session.retitle(current.id, "Riddles")
    assert current.title == "Riddles"


def test_save_and_model_death_reach_their_listeners(session):
    events = Recorder(session)
    session.request_save()
    session.report_model_died("The model stopped unexpectedly.")
    assert events.events == [("on_save_requested",), ("on_model_died", "The model stopped unexpectedly.")]


def test_the_session_imports_no_qt():
    code = "import sys, app.chat.session; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    root = Path(__file__).resolve().parents[3]
    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
