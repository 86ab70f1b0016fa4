"""Library page against a real local fake Hub on 127.0.0.1: search, quant fit,
downloads (resume, hash mismatch, cancel, pause), local models, demo build."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from models.download.fetch import RetryPolicy
from models.gguf.fit_estimate import Machine
from models.hub.client import HubClient
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.fake_hub import FakeRepo
from ui.library.first_run import SUGGESTED_FILE, SUGGESTED_REPO
from ui.library.page import LibraryPage

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

WAIT_MS = 30_000
GIB = 2**30
FAST_RETRY = RetryPolicy(attempts=4, base_delay_s=0.05, max_delay_s=0.2)


@pytest.fixture
def page(qtbot, ctx, hub, tmp_path):
    widget = LibraryPage(ctx, hub=HubClient(endpoint=hub.url, token=None), cache_dir=tmp_path / "hf-cache",
                         home=tmp_path / "home")
    widget.machine = lambda: Machine(free_ram=8 * GIB, free_vram=0)
    widget.retry = FAST_RETRY
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.local.status.text() != "Scanning…", timeout=WAIT_MS)
    yield widget
    widget.shutdown()
    qtbot.waitUntil(lambda: not any(r.running for r in widget.downloads.rows), timeout=WAIT_MS)


def select_repo(qtbot, page, repo_id, text=""):
    page.search(text)
    qtbot.waitUntil(lambda: repo_id in page.search_panel.repo_ids(), timeout=WAIT_MS)
    page.search_panel.select(repo_id)
    qtbot.waitUntil(lambda: page.quants.repo_id == repo_id and bool(page.quants.options) and all(
        page.quants.fit_of(r)[0] is not None for r in range(len(page.quants.options))), timeout=WAIT_MS)


def download(qtbot, page, quant, until=("done", "failed", "cancelled")):
    page.quants.download_button(quant).click()
    row = page.downloads.rows[0]
    qtbot.waitUntil(lambda: row.state in until, timeout=WAIT_MS)
    return row


def test_search_shows_repo_and_quants_with_fit(qtbot, page):
    page.search("tiny")
    qtbot.waitUntil(lambda: page.search_panel.repo_ids() == [REPO], timeout=WAIT_MS)
    select_repo(qtbot, page, REPO, "tiny")
    assert [o.quant for o in page.quants.options] == ["Q8_0", "Q4_K_M", "Q2_K"]
    assert page.quants.table.item(0, 3).text() == "1 file + mmproj"
    level, reason = page.quants.fit_of(1)
    assert level == "green" and reason.startswith("CPU only: needs")


def test_fit_is_red_when_memory_is_short_and_unknown_for_a_bad_header(qtbot, page):
    page.machine = lambda: Machine(free_ram=1 << 20, free_vram=0)
    select_repo(qtbot, page, REPO)
    assert page.quants.fit_of(0)[0] == "red" and page.quants.fit_of(0)[1].startswith("will not fit")
    select_repo(qtbot, page, "other-org/popular-GGUF")  # serves 10 bytes of "x", not a GGUF
    level, reason = page.quants.fit_of(0)
    assert level == "unknown" and reason.startswith("fit unknown")


def test_download_completes_and_appears_in_local_models(qtbot, page, demo_ladder):
    select_repo(qtbot, page, REPO)
    row = download(qtbot, page, "Q4_K_M")
    assert row.state == "done", row.status.text()
    assert row.bar.value() == row.bar.maximum()
    assert row.paths[0].read_bytes() == demo_ladder["Q4_K_M"].read_bytes()
    qtbot.waitUntil(lambda: any(e.path == row.paths[0] for e in page.local.entries), timeout=WAIT_MS)
    assert not page.first_run.isVisibleTo(page)


def test_dropped_connection_resumes_and_completes(qtbot, page, hub, demo_ladder):
    name = "workbench-tiny-Q2_K.gguf"
    select_repo(qtbot, page, REPO)
    hub.drop_after[name] = 100_000  # after the header reads, so the download gets the drop
    row = download(qtbot, page, "Q2_K")
    assert row.state == "done", row.status.text()
    bodies = [(start, sent) for f, start, sent in hub.served if f == name]
    assert bodies[-2:] == [(0, 100_000), (100_000, demo_ladder["Q2_K"].stat().st_size - 100_000)]
    assert hashlib.sha256(row.paths[0].read_bytes()).hexdigest() == \
        hashlib.sha256(demo_ladder["Q2_K"].read_bytes()).hexdigest()


def test_hash_mismatch_shows_the_quarantine_error(qtbot, page, hub, tmp_path):
    hub.add(FakeRepo("bad-org/bad-GGUF", {"bad-Q4_K_M.gguf": b"GGUF" + b"\0" * 5000},
                     advertised_sha={"bad-Q4_K_M.gguf": "0" * 64}))
    select_repo(qtbot, page, "bad-org/bad-GGUF")
    row = download(qtbot, page, "Q4_K_M")
    assert row.state == "failed"
    assert row.status.text().startswith("Quarantined: bad-Q4_K_M.gguf: SHA-256 mismatch")
    assert "Traceback" not in row.status.text()
    quarantined = list((tmp_path / "hf-cache").rglob("quarantine/*"))
    assert len(quarantined) == 1 and quarantined[0].name.endswith("bad-Q4_K_M.gguf")


def test_cancel_stops_a_slow_download(qtbot, page, hub, tmp_path, demo_ladder):
    hub.chunk_delay_s = 0.05
    name = "workbench-tiny-Q8_0.gguf"
    select_repo(qtbot, page, REPO)
    page.quants.download_button("Q8_0").click()
    row = page.downloads.rows[0]
    qtbot.waitUntil(lambda: " of " in row.status.text(), timeout=WAIT_MS)
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.state == "cancelled", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not row.running, timeout=WAIT_MS)
    assert hub.bytes_served(name) < demo_ladder["Q8_0"].stat().st_size
    assert not list((tmp_path / "hf-cache").rglob("*.part"))
    assert not list((tmp_path / "hf-cache").rglob(name))


def test_pause_keeps_bytes_and_resume_finishes(qtbot, page, hub, tmp_path, demo_ladder):
    hub.chunk_delay_s = 0.05
    select_repo(qtbot, page, REPO)
    page.quants.download_button("Q8_0").click()
    row = page.downloads.rows[0]
    qtbot.waitUntil(lambda: " of " in row.status.text(), timeout=WAIT_MS)
    row.pause_button.click()
    qtbot.waitUntil(lambda: row.state == "paused", timeout=WAIT_MS)
    kept = sum(p.stat().st_size for p in (tmp_path / "hf-cache").rglob("*.part"))
    assert kept > 0 and row.pause_button.text() == "Resume"
    hub.chunk_delay_s = 0.0
    row.pause_button.click()
    qtbot.waitUntil(lambda: row.state == "done", timeout=WAIT_MS)
    bodies = [(start, sent) for f, start, sent in hub.served if f == "workbench-tiny-Q8_0.gguf"]
    assert (kept, demo_ladder["Q8_0"].stat().st_size - kept) in bodies  # Resume continued from the .part


def test_delete_asks_first_and_removes_the_file(qtbot, page, ctx, demo_model, monkeypatch):
    from pathlib import Path

    target = Path(ctx.settings.models_dir) / "mine-Q4_K_M.gguf"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(demo_model, target)
    page.rescan()
    qtbot.waitUntil(lambda: any(e.path == target for e in page.local.entries), timeout=WAIT_MS)
    entry = next(e for e in page.local.entries if e.path == target)
    page.local.select(entry)
    answers = []

    def answer(reply):
        def question(*args, **kwargs):
            answers.append(args[2])
            return reply
        return question

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Cancel))
    page.local.delete_button.click()
    assert target.exists() and "mine-Q4_K_M.gguf" in answers[0]
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    page.local.delete_button.click()
    qtbot.waitUntil(lambda: not target.exists() and not page.local.entries, timeout=WAIT_MS)
    assert page.first_run.isVisibleTo(page)  # nothing local any more: the hint is back


def test_read_only_imports_cannot_be_deleted(qtbot, page, tmp_path, demo_model):
    imported = tmp_path / "home" / ".lmstudio" / "models" / "org" / "x-Q4_K_M.gguf"
    imported.parent.mkdir(parents=True)
    shutil.copy(demo_model, imported)
    page.rescan()
    qtbot.waitUntil(lambda: bool(page.local.entries), timeout=WAIT_MS)
    page.local.select(page.local.entries[0])
    assert page.local.entries[0].read_only and not page.local.delete_button.isEnabled()
    with qtbot.waitSignal(page.ctx.open_model_requested, timeout=WAIT_MS) as opened:
        page.local.open_button.click()
    assert opened.args == [str(imported)]


def test_first_run_hint_and_demo_models_button(qtbot, page):
    from app.paths import demo_models_dir

    assert page.first_run.isVisibleTo(page) and SUGGESTED_FILE in _texts(page.first_run)
    page.demo_quants = ("Q4_K_M",)
    page.first_run.demo_button.click()
    qtbot.waitUntil(lambda: len(page.local.entries) == 2, timeout=120_000)  # F32 base + Q4_K_M
    assert {e.path.parent for e in page.local.entries} == {demo_models_dir()}
    assert page.first_run.status.text().startswith("Demo models are in")
    assert not page.first_run.isVisibleTo(page)


def test_suggested_model_downloads_from_the_hub(qtbot, page, hub, demo_model):
    hub.add(FakeRepo(SUGGESTED_REPO, {SUGGESTED_FILE: demo_model.read_bytes()}))
    page.first_run.download_button.click()
    qtbot.waitUntil(lambda: bool(page.downloads.rows) and page.downloads.rows[0].state == "done", timeout=WAIT_MS)
    assert page.downloads.rows[0].paths[0].name == SUGGESTED_FILE
    qtbot.waitUntil(lambda: not page.first_run.isVisibleTo(page), timeout=WAIT_MS)


def _texts(widget) -> str:
    from PySide6.QtWidgets import QLabel

    return " ".join(label.text() for label in widget.findChildren(QLabel))


def test_third_download_waits_for_a_free_slot(qtbot, page, hub):
    hub.chunk_delay_s = 0.05
    select_repo(qtbot, page, REPO)
    for quant in ("Q8_0", "Q4_K_M", "Q2_K"):
        page.quants.download_button(quant).click()
    newest, *older = page.downloads.rows
    assert [r.state for r in older] == ["downloading", "downloading"]
    assert newest.state == "queued" and "Waiting: 2 downloads running" in newest.status.text()
    hub.chunk_delay_s = 0.0
    qtbot.waitUntil(lambda: all(r.state == "done" for r in page.downloads.rows), timeout=WAIT_MS)


def test_unfinished_download_is_listed_after_a_restart_and_resumes(qtbot, ctx, hub, tmp_path, demo_ladder):
    client = HubClient(endpoint=hub.url, token=None)

    def open_page():
        widget = LibraryPage(ctx, hub=client, cache_dir=tmp_path / "hf-cache", home=tmp_path / "home")
        widget.machine = lambda: Machine(free_ram=8 * GIB, free_vram=0)
        widget.retry = FAST_RETRY
        qtbot.addWidget(widget)
        return widget

    hub.chunk_delay_s = 0.05
    first = open_page()
    select_repo(qtbot, first, REPO)
    first.quants.download_button("Q8_0").click()
    row = first.downloads.rows[0]
    qtbot.waitUntil(lambda: " of " in row.status.text(), timeout=WAIT_MS)
    first.shutdown()  # the window closes mid-download
    qtbot.waitUntil(lambda: not row.running, timeout=WAIT_MS)
    kept = sum(p.stat().st_size for p in (tmp_path / "hf-cache").rglob("*.part"))
    assert kept > 0
    hub.chunk_delay_s = 0.0

    second = open_page()
    qtbot.waitUntil(lambda: len(second.downloads.rows) == 1, timeout=WAIT_MS)
    restored = second.downloads.rows[0]
    assert restored.state == "paused" and "Interrupted last time" in restored.status.text()
    restored.pause_button.click()  # "Resume"
    qtbot.waitUntil(lambda: restored.state == "done", timeout=WAIT_MS)
    bodies = [(start, sent) for f, start, sent in hub.served if f == "workbench-tiny-Q8_0.gguf"]
    assert (kept, demo_ladder["Q8_0"].stat().st_size - kept) in bodies

    second.downloads.manager.flush_journal()  # the journal's writes are done
    third = open_page()  # finished jobs leave the journal
    qtbot.wait(500)
    assert third.downloads.rows == []
    for widget in (second, third):
        widget.shutdown()


def test_no_models_banner_hides_while_a_model_is_loaded(qtbot, page, monkeypatch):
    assert page.first_run.isVisibleTo(page)
    monkeypatch.setattr(type(page.ctx), "loaded", property(lambda _ctx: object()))
    page.ctx.model_loaded.emit(object())  # loaded from Browse… or a drop: not in the library folders
    assert not page.first_run.isVisibleTo(page)


def test_offline_search_shows_a_banner_with_ways_on(qtbot, ctx, tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on: connection refused, no HTTP status
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    page = LibraryPage(ctx, hub=HubClient(endpoint=dead, token=None), cache_dir=tmp_path / "hf-cache")
    qtbot.addWidget(page)
    page.show()
    page.search_panel.text_box.setText("qwen")
    page.search_panel.request()
    qtbot.waitUntil(lambda: bool(page.offline.message), timeout=WAIT_MS)
    assert "can't reach" in page.offline.message and page.offline.details_box.toPlainText()
    assert not page.offline.details_box.isVisibleTo(page)  # the technical line is folded away
    page.offline.local_button.click()
    assert page.tabs.currentIndex() == 1 and not page.offline.isVisibleTo(page)
