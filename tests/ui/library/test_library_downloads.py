"""The Library's download list as a view of the DownloadManager: events from
download threads reach the rows on the GUI thread, and a row ignores an event
older than the one it shows."""

from __future__ import annotations

import threading

from models.download.events import DownloadState, DownloadStateChanged
from models.download.jobs import DownloadJob
from models.download.journal import DownloadJournal
from models.download.manager import DownloadManager
from models.hub.quants import group_quants, pick
from tests.support.fake_hub import DEMO_REPO as REPO
from ui.library.downloads import DownloadRow, LibraryDownloads

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

WAIT_MS = 30_000


def make_job(client, tmp_path, quant: str) -> DownloadJob:
    repo = client.repo_files(REPO)
    return DownloadJob(repo, list(pick(group_quants(list(repo.files)), quant).files), tmp_path / "hf-cache")


def test_worker_thread_events_reach_the_rows_on_the_gui_thread(qtbot, client, tmp_path, monkeypatch):
    manager = DownloadManager(DownloadJournal(tmp_path / "downloads.json"))
    sent_from: set[str] = set()
    manager.events.connect(lambda _event: sent_from.add(threading.current_thread().name))
    shown_on: list[threading.Thread] = []
    show = DownloadRow.show_event
    monkeypatch.setattr(DownloadRow, "show_event",
                        lambda row, event: (shown_on.append(threading.current_thread()), show(row, event)))
    downloads = LibraryDownloads(manager)
    qtbot.addWidget(downloads)
    row = downloads.add(client, make_job(client, tmp_path, "Q4_K_M"))
    qtbot.waitUntil(lambda: row.state == DownloadState.DONE, timeout=WAIT_MS)
    assert "download" in sent_from  # some events left the manager on a download thread
    assert shown_on and set(shown_on) == {threading.main_thread()}
    assert row.status.text().startswith("Done:") and row.paths


def test_a_row_ignores_an_event_older_than_the_one_it_shows(qtbot, client, tmp_path):
    manager = DownloadManager()
    download = manager.restore(client, [make_job(client, tmp_path, "Q2_K")])[0]
    row = DownloadRow(manager, download)
    qtbot.addWidget(row)
    row.show_event(DownloadStateChanged(10, download, DownloadState.CANCELLED, DownloadState.PAUSED))
    row.show_event(DownloadStateChanged(9, download, DownloadState.PAUSED, DownloadState.DOWNLOADING))
    assert row.state == DownloadState.CANCELLED and row.status.text() == "Cancelled"
    assert not row.pause_button.isVisibleTo(row) and not row.cancel_button.isVisibleTo(row)
