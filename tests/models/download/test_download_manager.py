"""DownloadManager without Qt, against the fake Hub on 127.0.0.1: the queue's
limit and order, the states, pause/resume, the one cancel path, the journal
(written, forgotten, restored after a shutdown) and a failure."""

from __future__ import annotations

import json
import threading
import time

import pytest

from models.download.events import (
    DownloadAdded,
    DownloadProgressed,
    DownloadState,
    DownloadStateChanged,
    DownloadWaiting,
)
from models.download.fetch import RetryPolicy
from models.download.jobs import DownloadJob
from models.download.journal import DownloadJournal
from models.download.manager import DownloadManager
from models.errors import HashMismatch
from models.hub.quants import group_quants, pick
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.fake_hub import FakeRepo

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

S = DownloadState
WAIT_S = 30
FAST_RETRY = RetryPolicy(attempts=2, base_delay_s=0.01, max_delay_s=0.02)


class Recorder:
    """Every event, in the order the manager sent them, with the sending thread."""

    def __init__(self) -> None:
        self.events: list = []
        self.threads: set[str] = set()

    def __call__(self, event) -> None:
        self.events.append(event)
        self.threads.add(threading.current_thread().name)

    def states(self, download) -> list[DownloadState]:
        return [e.state for e in self.events
                if isinstance(e, DownloadAdded | DownloadStateChanged) and e.download is download]

    def started(self) -> list:
        return [e.download for e in self.events if isinstance(e, DownloadStateChanged) and e.state is S.DOWNLOADING]


@pytest.fixture
def journal(tmp_path) -> DownloadJournal:
    return DownloadJournal(tmp_path / "data" / "downloads.json")


@pytest.fixture
def manager(journal):
    made = DownloadManager(journal)
    yield made
    made.shutdown()
    for download in made.downloads:
        made.wait(download, WAIT_S)


def make_job(client, tmp_path, quant: str, repo_id: str = REPO) -> DownloadJob:
    repo = client.repo_files(repo_id)
    return DownloadJob(repo, list(pick(group_quants(list(repo.files)), quant).files), tmp_path / "hf-cache")


def wait_for(condition, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def journal_keys(journal: DownloadJournal) -> list[str]:
    return [e["key"] for e in json.loads(journal.path.read_text())["jobs"]]


def test_a_download_goes_queued_downloading_done_with_verified_paths(manager, client, tmp_path, demo_ladder):
    events = Recorder()
    manager.events.connect(events)
    download = manager.add(client, make_job(client, tmp_path, "Q4_K_M"))
    assert manager.wait(download, WAIT_S)
    assert events.states(download) == [S.QUEUED, S.DOWNLOADING, S.DONE]
    progress = [e.progress.done for e in events.events if isinstance(e, DownloadProgressed)]
    assert progress and progress == sorted(progress) and progress[-1] == download.job.total
    assert download.paths[0].read_bytes() == demo_ladder["Q4_K_M"].read_bytes()
    assert [e.seq for e in events.events] == sorted(e.seq for e in events.events)
    assert "download" in events.threads  # progress came from the worker thread, not the caller's
    assert not download.running


def test_at_most_max_active_run_and_the_rest_wait(journal, client, hub, tmp_path):
    hub.chunk_delay_s = 0.01
    manager = DownloadManager(journal, max_active=2)
    running: set = set()
    most = [0]

    def count(event) -> None:
        if isinstance(event, DownloadStateChanged):
            (running.add if event.state is S.DOWNLOADING else running.discard)(event.download)
            most[0] = max(most[0], len(running))

    manager.events.connect(count)
    waiting = Recorder()
    manager.events.connect(waiting)
    downloads = [manager.add(client, make_job(client, tmp_path, q)) for q in ("Q8_0", "Q4_K_M", "Q2_K")]
    assert [d.state for d in downloads] == [S.DOWNLOADING, S.DOWNLOADING, S.QUEUED]
    assert [(e.download, e.running) for e in waiting.events if isinstance(e, DownloadWaiting)] == \
        [(downloads[2], 2)]
    hub.chunk_delay_s = 0.0
    for d in downloads:
        assert manager.wait(d, WAIT_S)
    assert [d.state for d in downloads] == [S.DONE] * 3
    assert most[0] == 2


def test_queued_downloads_start_oldest_first(journal, client, hub, tmp_path):
    hub.chunk_delay_s = 0.005
    manager = DownloadManager(journal, max_active=1)
    events = Recorder()
    manager.events.connect(events)
    downloads = [manager.add(client, make_job(client, tmp_path, q)) for q in ("Q2_K", "Q8_0", "Q4_K_M")]
    for d in downloads:
        assert manager.wait(d, WAIT_S)
    assert events.started() == downloads


def test_cancel_while_queued_never_fetches_a_byte(journal, client, hub, tmp_path):
    hub.chunk_delay_s = 0.02
    manager = DownloadManager(journal, max_active=1)
    first = manager.add(client, make_job(client, tmp_path, "Q8_0"))
    queued = manager.add(client, make_job(client, tmp_path, "Q2_K"))
    events = Recorder()
    manager.events.connect(events)
    assert manager.cancel(queued) is False  # nothing was running: cancelled at once
    assert events.states(queued) == [S.CANCELLED]
    assert events.events[0].previous is S.QUEUED
    manager.cancel(first)
    assert manager.wait(first, WAIT_S) and first.state is S.CANCELLED
    manager.flush_journal()
    assert hub.bytes_served("workbench-tiny-Q2_K.gguf") == 0
    assert journal_keys(journal) == []  # cancelled jobs leave the journal


def test_cancel_while_downloading_removes_the_part_file(manager, client, hub, tmp_path, demo_ladder):
    hub.chunk_delay_s = 0.05
    download = manager.add(client, make_job(client, tmp_path, "Q8_0"))
    wait_for(lambda: any(p.exists() and p.stat().st_size > 0 for p in download.job.part_files()))
    assert manager.cancel(download) is True  # running: it stops at the next chunk
    assert manager.wait(download, WAIT_S)
    assert download.state is S.CANCELLED
    assert hub.bytes_served("workbench-tiny-Q8_0.gguf") < demo_ladder["Q8_0"].stat().st_size
    assert not list((tmp_path / "hf-cache").rglob("*.part"))


def test_pause_keeps_bytes_resume_continues_and_cancel_after_pause_discards(manager, client, hub, tmp_path,
                                                                             demo_ladder):
    name = "workbench-tiny-Q8_0.gguf"
    size = demo_ladder["Q8_0"].stat().st_size
    hub.chunk_delay_s = 0.05
    download = manager.add(client, make_job(client, tmp_path, "Q8_0"))
    wait_for(lambda: download.job.kept_bytes() > 0)
    assert manager.pause(download) is True
    assert manager.wait(download, WAIT_S) and download.state is S.PAUSED
    kept = download.job.kept_bytes()
    assert 0 < kept < size

    hub.chunk_delay_s = 0.0
    manager.resume(download)
    assert manager.wait(download, WAIT_S) and download.state is S.DONE
    assert (kept, size - kept) in [(start, sent) for f, start, sent in hub.served if f == name]

    hub.chunk_delay_s = 0.05
    other = manager.add(client, make_job(client, tmp_path, "Q2_K"))
    wait_for(lambda: other.job.kept_bytes() > 0)
    manager.pause(other)
    manager.wait(other, WAIT_S)
    assert other.state is S.PAUSED and other.job.kept_bytes() > 0
    assert manager.cancel(other) is False
    assert other.state is S.CANCELLED
    assert manager.wait(other, WAIT_S)
    assert not any(p.exists() for p in other.job.part_files())


def test_journal_keeps_unfinished_jobs_across_a_shutdown_and_restore_resumes(journal, client, hub, tmp_path,
                                                                            demo_ladder):
    name = "workbench-tiny-Q8_0.gguf"
    hub.chunk_delay_s = 0.05
    first = DownloadManager(journal)
    download = first.add(client, make_job(client, tmp_path, "Q8_0"))
    first.flush_journal()
    assert journal_keys(journal) == [f"{REPO}@{download.job.repo.commit}:{name}"]
    wait_for(lambda: download.job.kept_bytes() > 0)
    first.shutdown()  # the app closes mid-download
    assert first.wait(download, WAIT_S) and download.state is S.PAUSED
    kept = download.job.kept_bytes()

    hub.chunk_delay_s = 0.0
    second = DownloadManager(DownloadJournal(journal.path))
    events = Recorder()
    second.events.connect(events)
    [restored] = second.restore(client, second.journal.unfinished())
    assert restored.state is S.PAUSED and [f.path for f in restored.job.files] == [name]
    assert hub.bytes_served(name) < demo_ladder["Q8_0"].stat().st_size  # nothing started by itself
    second.resume(restored)
    assert second.wait(restored, WAIT_S) and restored.state is S.DONE
    assert events.states(restored) == [S.PAUSED, S.QUEUED, S.DOWNLOADING, S.DONE]
    assert kept in [start for f, start, _ in hub.served if f == name]
    second.flush_journal()
    assert journal_keys(journal) == []
    assert journal.unfinished() == []


def test_nothing_queued_starts_after_shutdown(journal, client, hub, tmp_path):
    hub.chunk_delay_s = 0.05
    manager = DownloadManager(journal, max_active=1)
    running = manager.add(client, make_job(client, tmp_path, "Q8_0"))
    queued = manager.add(client, make_job(client, tmp_path, "Q2_K"))
    manager.shutdown()
    assert manager.wait(running, WAIT_S) and running.state is S.PAUSED
    assert manager.wait(queued, WAIT_S) and queued.state is S.QUEUED
    assert hub.bytes_served("workbench-tiny-Q2_K.gguf") == 0
    manager.flush_journal()
    assert len(journal_keys(journal)) == 2  # both are listed again next time


def test_a_failure_is_kept_with_its_error_and_the_queue_moves_on(journal, client, hub, tmp_path):
    hub.add(FakeRepo("bad-org/bad-GGUF", {"bad-Q4_K_M.gguf": b"GGUF" + b"\0" * 5000},
                     advertised_sha={"bad-Q4_K_M.gguf": "0" * 64}))
    manager = DownloadManager(journal, max_active=1)
    bad = manager.add(client, make_job(client, tmp_path, "Q4_K_M", "bad-org/bad-GGUF"), FAST_RETRY)
    good = manager.add(client, make_job(client, tmp_path, "Q2_K"))
    assert manager.wait(bad, WAIT_S) and manager.wait(good, WAIT_S)
    assert bad.state is S.FAILED and isinstance(bad.error, HashMismatch)
    assert good.state is S.DONE
    manager.flush_journal()
    assert journal_keys(journal) == [f"bad-org/bad-GGUF@{bad.job.repo.commit}:bad-Q4_K_M.gguf"]  # retryable


def test_an_observer_that_raises_does_not_stop_the_download(manager, client, tmp_path):
    def broken(_event) -> None:
        raise RuntimeError("observer bug")

    manager.events.connect(broken)
    download = manager.add(client, make_job(client, tmp_path, "Q2_K"))
    assert manager.wait(download, WAIT_S) and download.state is S.DONE
