"""workbench rpc-host: llama.cpp's rpc-server, supervised, loopback unless confirmed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import psutil
import pytest

from app.cli.main import main as cli_main
from app.errors import RpcHostError
from app.rpc.supervisor import RpcHost, RpcHostConfig
from runtimes.llama_cpp.native_build import find_tool
from tests.support.orphans import kill_leftovers, still_running
from tests.support.paths import REPO_ROOT
from tests.support.rpc_servers import free_port, rpc_hosts

needs_rpc_server = pytest.mark.skipif(find_tool("rpc-server") is None, reason="llama.cpp's rpc-server is not built")


def test_non_loopback_bind_needs_confirmation_and_warns(capsys):
    with pytest.raises(RpcHostError, match="refusing to bind 0.0.0.0.*--allow-network"):
        RpcHost(RpcHostConfig(host="0.0.0.0"))
    assert cli_main(["rpc-host", "--host", "192.168.7.7", "--port", str(free_port())]) == 1
    assert "Never run the RPC server on an open network" in capsys.readouterr().err
    warning = RpcHostConfig(host="0.0.0.0", allow_network=True).check_bind()
    assert "no authentication" in warning and "0.0.0.0:50052" in warning
    assert RpcHostConfig(host="127.0.0.1").check_bind() is None


def test_command_line_is_rpc_servers_own(tmp_path):
    config = RpcHostConfig(port=50999, devices=("CUDA0", "CUDA1"), threads=3, cache=True)
    assert config.command(tmp_path / "rpc-server")[1:] == [
        "--host", "127.0.0.1", "--port", "50999", "--device", "CUDA0,CUDA1", "--threads", "3", "--cache"]


@needs_rpc_server
def test_starts_lists_devices_and_reports_a_crash():
    with rpc_hosts(1) as (host,):
        assert host.running()
        assert [d.name for d in host.devices] == ["RPC0"]
        assert host.devices[0].memory_total > 0 and 0 < host.devices[0].memory_free <= host.devices[0].memory_total
        assert host.devices[0].endpoint == host.local_endpoint
        host.process.send_signal(signal.SIGKILL)
        with pytest.raises(RpcHostError, match="rpc-server stopped.*SIGKILL"):
            host.wait(poll_s=0.05)


@needs_rpc_server
def test_a_taken_port_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        host = RpcHost(RpcHostConfig(port=sock.getsockname()[1]))
        with pytest.raises(RpcHostError, match="cannot bind.*in use"):
            host.start()
        assert not host.running()


@needs_rpc_server
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_rpc_host_takes_rpc_server_along():
    """SIGKILL runs no cleanup: rpc-server follows through PR_SET_PDEATHSIG (runtimes/child_process.py)."""
    host = subprocess.Popen([sys.executable, "-m", "app.cli.main", "rpc-host", "--port", str(free_port()),
                             "--threads", "1"], cwd=REPO_ROOT, env=dict(os.environ), stdout=subprocess.PIPE, text=True)
    servers: list[psutil.Process] = []
    try:
        while "rpc-server listening" not in (line := host.stdout.readline()):
            assert line, "rpc-host exited before its server listened"
        servers = psutil.Process(host.pid).children()
        assert len(servers) == 1
        host.kill()
        host.wait()
        assert still_running(servers, 5) == []
    finally:
        host.kill()
        host.wait()
        kill_leftovers(servers)
