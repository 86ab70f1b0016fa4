"""Remote devices in the window: the rpc-host panel, the load options' endpoint row, the Settings field."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from app.settings import Settings, load_settings
from runtimes.llama_cpp.native_build import find_tool
from tests.support.rpc_servers import free_port, rpc_hosts
from ui.model_picker.load_options import ModelLoadOptionsForm
from ui.rpc.rpc_host_panel import RpcHostPanel

needs_rpc_server = pytest.mark.skipif(find_tool("rpc-server") is None, reason="llama.cpp's rpc-server is not built")


def test_panel_refuses_a_network_bind_until_confirmed_and_shows_llamas_warning(qtbot):
    panel = RpcHostPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.host_edit.setText("0.0.0.0")
    assert panel.warning.isVisible() and "Never run the RPC server on an open network" in panel.warning.text()
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert "refusing to bind 0.0.0.0" in panel.status.text() and panel.host is None
    panel.host_edit.setText("127.0.0.1")
    assert not panel.warning.isVisible()


@needs_rpc_server
def test_panel_starts_lists_devices_notices_a_crash_and_stops(qtbot):
    panel = RpcHostPanel()
    qtbot.addWidget(panel)
    panel.port_spin.setValue(free_port())
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.host is not None and panel._worker is None, timeout=30_000)
    assert "RPC0:" in panel.status.text() and "GiB free" in panel.status.text()
    assert panel.start_button.text() == "Stop"
    panel.host.process.kill()
    qtbot.waitUntil(lambda: "rpc-server stopped" in panel.status.text(), timeout=5_000)
    assert panel.host is None and panel.start_button.text() == "Start"


@needs_rpc_server
def test_load_options_list_remote_devices_and_pass_the_endpoints(qtbot):
    with rpc_hosts(1) as (host,):
        form = ModelLoadOptionsForm(Settings(rpc_endpoints=[host.local_endpoint]))
        qtbot.addWidget(form)
        assert form.remote.endpoints() == (host.local_endpoint,)
        form.remote.list_devices()
        qtbot.waitUntil(lambda: "GiB free" in form.remote.status.text() and form.remote._worker is None,
                        timeout=30_000)
        labels = [form.device_combo.itemText(i) for i in range(form.device_combo.count())]
        assert any(label.startswith("RPC0 · " + host.local_endpoint) and "GiB free" in label for label in labels)


def test_load_options_refuse_a_malformed_endpoint(qtbot):
    form = ModelLoadOptionsForm(Settings())
    qtbot.addWidget(form)
    form.remote.edit.setText("nohost")
    form.remote.list_devices()
    assert "bad RPC endpoint" in form.remote.status.text()
    with pytest.raises(ValueError, match="bad RPC endpoint"):
        form.remote.endpoints()


def test_settings_field_saves_valid_endpoints_only(qtbot):
    from ui.settings.page import SettingsPage
    from ui.shell.context import AppContext

    ctx = AppContext()
    page = SettingsPage(ctx)
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.hf_token_box.save_button.isEnabled(), timeout=10_000)  # its status check is done
    try:
        page.rpc_edit.setText("10.0.0.9")
        page.rpc_edit.editingFinished.emit()
        assert "bad RPC endpoint" in page.rpc_hint.text() and ctx.settings.rpc_endpoints == []
        page.rpc_edit.setText("10.0.0.9:50052, 10.0.0.10:50052")
        page.rpc_edit.editingFinished.emit()
        page.save_now()
        ctx.flush_settings()  # the write runs on the settings writer thread
        assert load_settings().rpc_endpoints == ["10.0.0.9:50052", "10.0.0.10:50052"]
    finally:
        ctx.shutdown()
