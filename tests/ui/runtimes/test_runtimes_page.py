"""Runtimes page: what the registry reports, shown without blocking the GUI."""

from __future__ import annotations

import subprocess
import threading

import pytest

import ui.runtimes.page as runtimes_page
from runtimes.base import Availability, Capability, Runtime
from runtimes.llama_cpp.backends import build_info
from runtimes.registry import _RUNTIMES, all_runtimes
from ui.runtimes.page import RuntimesPage
from ui.runtimes.report import cpu_features, gather_report, gpu_build_command

QUERY_TIMEOUT_MS = 60_000


class BrokenRuntime(Runtime):
    name = "broken-test-runtime"
    capabilities = frozenset({Capability.TRANSCRIPTION})

    def availability(self) -> Availability:
        return Availability.no("the test runtime has no engine installed")

    def devices(self):
        raise AssertionError("devices() must not be asked of an unavailable runtime")

    def open_session(self, model, options):
        raise NotImplementedError


@pytest.fixture
def page(qtbot, ctx) -> RuntimesPage:
    widget = RuntimesPage(ctx)
    qtbot.addWidget(widget)
    return widget


def refresh(qtbot, page: RuntimesPage) -> None:
    with qtbot.waitSignal(page.refreshed, timeout=QUERY_TIMEOUT_MS):
        page.refresh()


def test_lists_llama_cpp_as_available_with_a_cpu_device(qtbot, page):
    refresh(qtbot, page)
    card = page.cards["llama.cpp"]
    assert card.status_label.text() == "Available"
    assert "text-generation" in card.capabilities_label.text()
    rows = card.device_cells()
    cpu_rows = [row for row in rows if row[0] == "cpu"]
    assert cpu_rows, rows
    device_id, kind, description, memory, _free = cpu_rows[0]
    assert kind == "cpu"
    assert description
    assert memory.endswith("GiB")


def test_every_registered_runtime_gets_a_card(qtbot, page):
    refresh(qtbot, page)
    assert set(page.cards) == {runtime.name for runtime in all_runtimes()}
    assert page.status_label.text().endswith("runtimes available")


def test_shows_the_backends_of_the_installed_build(qtbot, page):
    refresh(qtbot, page)
    info = build_info()
    panel = page.build_panel
    assert info.version in panel.summary_label.text()
    assert ("GPU offload: yes" in panel.summary_label.text()) == info.gpu_offload
    assert panel.backend_badges["CPU"].text() == "✓ CPU"
    for gpu in ("CUDA", "Metal", "Vulkan"):
        in_build = any(b.startswith(gpu) or (gpu == "Metal" and b.startswith("MTL")) for b in info.backends)
        assert panel.backend_badges[gpu].text() == ("✓ " if in_build else "✗ ") + gpu
    for backend in info.backends:
        assert backend in panel.registry_label.text()
    assert panel.cpu_label.toolTip() == info.system_info
    assert "CPU features:" in panel.cpu_label.text()
    for feature in cpu_features(info.system_info):
        assert feature in panel.cpu_label.text()


def test_explains_how_to_get_a_gpu_build(qtbot, page):
    refresh(qtbot, page)
    commands = page.gpu_help.commands
    version = build_info().version
    for gpu, flag in (("CUDA", "-DGGML_CUDA=on"), ("Metal", "-DGGML_METAL=on"), ("Vulkan", "-DGGML_VULKAN=on")):
        assert commands[gpu].startswith(f'CMAKE_ARGS="{flag}" ')
        assert "--force-reinstall --no-cache-dir" in commands[gpu]
        assert commands[gpu].endswith(f"llama-cpp-python=={version}")


def test_an_unavailable_runtime_shows_its_reason(qtbot, page, monkeypatch):
    monkeypatch.setitem(_RUNTIMES, BrokenRuntime.name, BrokenRuntime())
    refresh(qtbot, page)
    card = page.cards[BrokenRuntime.name]
    assert card.status_label.text() == "Unavailable"
    assert card.reason_label.text() == "the test runtime has no engine installed"
    assert "transcription" in card.capabilities_label.text()
    assert card.device_table is None
    assert page.cards["llama.cpp"].status_label.text() == "Available"


def test_the_query_runs_off_the_gui_thread(qtbot, page, monkeypatch):
    threads = []

    def recording_report(cancel):
        threads.append(threading.current_thread())
        yield from gather_report(cancel)

    monkeypatch.setattr(runtimes_page, "gather_report", recording_report)
    refresh(qtbot, page)
    assert threads and threads[0] is not threading.main_thread()
    assert "llama.cpp" in page.cards


def test_first_show_starts_a_query(qtbot, page):
    assert page.report is None
    with qtbot.waitSignal(page.refreshed, timeout=QUERY_TIMEOUT_MS):
        page.show()
    assert page.report is not None
    assert not page.busy
    assert page.refresh_button.isEnabled()


def test_refresh_button_requeries(qtbot, page):
    refresh(qtbot, page)
    first = page.cards["llama.cpp"]
    with qtbot.waitSignal(page.refreshed, timeout=QUERY_TIMEOUT_MS):
        page.refresh_button.click()
    assert page.cards["llama.cpp"] is not first


def test_a_failed_query_shows_an_error(qtbot, page, monkeypatch):
    def failing_report(cancel):
        raise RuntimeError("registry exploded")
        yield

    monkeypatch.setattr(runtimes_page, "gather_report", failing_report)
    refresh(qtbot, page)
    assert not page.error_label.isHidden()
    assert "registry exploded" in page.error_label.text()
    assert page.refresh_button.isEnabled()


def test_cpu_features_keeps_only_enabled_ones():
    line = "CPU : SSE3 = 1 | AVX = 0 | AVX2 = 1 | LLAMAFILE = 1 |"
    assert cpu_features(line) == ("SSE3", "AVX2", "LLAMAFILE")


def test_gpu_build_command_runs_as_pasted_into_a_shell(tmp_path):
    fake_python = tmp_path / "python"
    fake_python.write_text('#!/bin/sh\necho "$CMAKE_ARGS|$*"\n')
    fake_python.chmod(0o755)
    command = gpu_build_command("-DGGML_VULKAN=on", "0.3.36", python=str(fake_python))
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == (
        "-DGGML_VULKAN=on|-m pip install --force-reinstall --no-cache-dir llama-cpp-python==0.3.36"
    )
