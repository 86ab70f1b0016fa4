"""`workbench serve --rpc`: the served model's layers go to two loopback rpc-servers, and the
greedy reply equals the local one (an F32 demo model: no repacking difference between the two)."""

from __future__ import annotations

import openai

from tests.app.server.served import serving
from tests.support.rpc_servers import require_rpc, rpc_hosts

KEY = "rpc-key"


def _greedy(session, name: str) -> str:
    client = openai.OpenAI(base_url=session.config.base_url, api_key=KEY, max_retries=2, timeout=280)
    return client.completions.create(model=name, prompt="Once upon a time", max_tokens=12, temperature=0,
                                     seed=1).choices[0].text


def test_served_model_runs_on_remote_devices_with_the_local_output(tmp_path, demo_ladder):
    require_rpc()
    model = demo_ladder["F32"]
    with serving(tmp_path / "local", [model], KEY, parallel=1, ctx=512, threads=1) as session:
        name = session.models[0].name
        local = _greedy(session, name)
    with rpc_hosts(2) as hosts:
        endpoints = tuple(f"127.0.0.1:{h.config.port}" for h in hosts)
        before = [len(h.log_path.read_text(errors="replace")) for h in hosts]
        with serving(tmp_path / "rpc", [model], KEY, parallel=1, ctx=512, threads=1, rpc=endpoints,
                     n_gpu_layers=99) as session:
            remote = _greedy(session, name)
        # llama-server's model process connected to both helpers (their own log lines say so)
        served = [h.log_path.read_text(errors="replace")[start:] for h, start in zip(hosts, before, strict=True)]
    assert remote == local and local
    assert all("Accepted client connection" in text for text in served)
