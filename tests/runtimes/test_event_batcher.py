"""The worker's event batcher coalesces bursts but never holds an event back."""

from __future__ import annotations

import threading
import time

from runtimes.events import Done, Segment
from runtimes.worker.event_batcher import EventBatcher


class Pipe:
    def __init__(self) -> None:
        self.messages: list[list] = []

    def send(self, message) -> None:
        self.messages.append(message.events)

    @property
    def events(self) -> list:
        return [e for batch in self.messages for e in batch]


def test_a_burst_is_sent_soon_without_waiting_for_the_next_event():
    pipe = Pipe()
    batcher = EventBatcher(pipe)
    time.sleep(2 * EventBatcher.FLUSH_S)
    first, second, third = (Segment(f"s{i}", i, i + 1) for i in range(3))
    batcher.add(first)  # due: goes out at once
    batcher.add(second)  # within FLUSH_S of the first: held back...
    batcher.add(third)
    deadline = time.perf_counter() + 1.0
    while len(pipe.events) < 3 and time.perf_counter() < deadline:
        time.sleep(0.001)
    assert pipe.events == [first, second, third]  # ...but flushed without a fourth event
    assert len(pipe.messages) == 2  # and the burst still travelled as one message
    batcher.add(Done())
    batcher.close()
    assert isinstance(pipe.events[-1], Done)


def test_close_right_after_a_burst_never_hangs():
    for _ in range(300):  # close lands at every point of the flusher's cycle
        pipe = Pipe()
        batcher = EventBatcher(pipe)
        batcher.add(Segment("a", 0, 1))
        batcher.add(Segment("b", 1, 2))
        started = time.perf_counter()
        batcher.close()
        assert time.perf_counter() - started < 1.0
        assert [e.text for e in pipe.events] == ["a", "b"]


def test_close_and_flush_never_wait_out_a_held_deadline(monkeypatch):
    monkeypatch.setattr(EventBatcher, "FLUSH_S", 30.0)  # a held event would otherwise wait 30 s
    pipe = Pipe()
    batcher = EventBatcher(pipe)
    batcher.add(Segment("held", 0, 1))
    assert pipe.events == []
    batcher.flush()  # the end of a request sends it now
    assert [e.text for e in pipe.events] == ["held"]
    batcher.add(Segment("held too", 1, 2))
    started = time.perf_counter()
    batcher.close()
    assert time.perf_counter() - started < 5.0
    assert [e.text for e in pipe.events] == ["held", "held too"]


def test_one_flusher_serves_many_requests():
    pipe = Pipe()
    batcher = EventBatcher(pipe)
    flushers = [t for t in threading.enumerate() if t.name == "event-flusher"]
    for n in range(50):
        batcher.add(Segment(f"r{n}", n, n + 1))
        batcher.add(Done())
        batcher.flush()
    assert [t for t in threading.enumerate() if t.name == "event-flusher"] == flushers
    batcher.close()
    assert len(pipe.events) == 100 and isinstance(pipe.events[-1], Done)
