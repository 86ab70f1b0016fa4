"""A model split across two loopback rpc-servers against the same model run locally.

Checks that the greedy output is token-for-token the same, reports the tokens/s
ratio, and measures the bytes each generated token moves between the main process
and the rpc-servers (their /proc/<pid>/io read/write byte counts: rpc-server does no
other I/O while generating), from which it estimates what a 1 GbE link would cost.

    .venv/bin/python benchmarks/rpc_vs_local.py [--model M.gguf] [-n 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.rpc.supervisor import RpcHost, RpcHostConfig  # noqa: E402
from runtimes.events import Done, Token  # noqa: E402
from runtimes.llama_cpp.options import LlamaLoadOptions  # noqa: E402
from runtimes.registry import get_runtime  # noqa: E402
from runtimes.requests import Sampling, TextRequest  # noqa: E402
from tests.support.rpc_servers import free_port  # noqa: E402

GEMMA = Path.home() / ".cache/workbench/real-models/gemma-3-270m-q4_k_m.gguf"
GBE_BYTES_PER_S = 125e6  # 1 Gbit/s
GBE_RTT_S = 0.2e-3  # a typical switched-LAN round trip


def server_io(hosts: list[RpcHost]) -> tuple[int, int]:
    """(bytes, data segments) moved so far on the servers' established sockets, from the kernel's
    tcp_info (``ss -ti``); /proc/<pid>/io does not count send/recv, /proc/net/dev counts every lo user."""
    total, segments = 0, 0
    for host in hosts:
        port = host.local_endpoint.rsplit(":", 1)[1]
        out = subprocess.run(["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
                             capture_output=True, text=True, check=True).stdout
        for key in ("bytes_sent", "bytes_received"):
            total += sum(int(v) for v in re.findall(rf"\b{key}:(\d+)", out))
        for key in ("data_segs_out", "data_segs_in"):
            segments += sum(int(v) for v in re.findall(rf"\b{key}:(\d+)", out))
    return total, segments


def run(session, prompt: str, n: int) -> tuple[list[int], Done]:
    events = list(session.run(TextRequest(prompt=prompt, sampling=Sampling(temperature=0, max_tokens=n))))
    assert isinstance(events[-1], Done), events[-1]
    return [e.token_id for e in events if isinstance(e, Token)], events[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=GEMMA)
    parser.add_argument("-n", type=int, default=64, help="tokens to generate")
    parser.add_argument("-t", "--threads", type=int, default=1, help="threads for the local run and each server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompt", default="The history of the printing press begins")
    args = parser.parse_args(argv)
    hosts = [RpcHost(RpcHostConfig(port=free_port(), threads=args.threads)) for _ in range(2)]
    try:
        for host in hosts:
            host.start()
        endpoints = tuple(h.local_endpoint for h in hosts)
        common = {"n_ctx": 1024, "n_threads": args.threads}
        local = get_runtime("llama.cpp").load(args.model, LlamaLoadOptions(**common, repack=False))
        remote = get_runtime("llama.cpp").load(args.model, LlamaLoadOptions(**common, n_gpu_layers=99, rpc=endpoints))
        print("layer split:", ", ".join(f"{what} on {dev}" for what, dev in remote.info["layer_split"]))
        best = {"local": 0.0, "rpc": 0.0}
        per_token = []
        for _ in range(args.rounds):  # interleaved, best sample kept: the VM is noisy
            ids_local, done_local = run(local, args.prompt, args.n)
            before = server_io(hosts)
            ids_short, _ = run(remote, args.prompt, 1)
            middle = server_io(hosts)
            ids_rpc, done_rpc = run(remote, args.prompt, args.n)
            after = server_io(hosts)
            if ids_rpc != ids_local:
                print(f"MISMATCH: local {ids_local[:16]}... rpc {ids_rpc[:16]}...")
                return 1
            best["local"] = max(best["local"], done_local.stats.gen_tps)
            best["rpc"] = max(best["rpc"], done_rpc.stats.gen_tps)
            extra_tokens = len(ids_rpc) - len(ids_short)
            bytes_tok = ((after[0] - middle[0]) - (middle[0] - before[0])) / extra_tokens
            segs_tok = ((after[1] - middle[1]) - (middle[1] - before[1])) / extra_tokens
            per_token.append((bytes_tok, segs_tok))
        local.close()
        remote.close()
    finally:
        for host in hosts:
            host.stop()
    bytes_tok, segs_tok = min(per_token)
    wire_s = bytes_tok / GBE_BYTES_PER_S
    # A request and its reply take at least two data segments: at most one round trip per pair.
    rtt_s = segs_tok / 2 * GBE_RTT_S
    print(f"model: {args.model.name}, {args.n} greedy tokens, {args.rounds} rounds, {args.threads} thread(s)")
    print("output identical: yes (every round)")
    print("| run | gen t/s (best) |\n|---|---|")
    print(f"| local (-nr) | {best['local']:.1f} |\n| 2x RPC loopback (-ngl 99) | {best['rpc']:.1f} |")
    print(f"ratio rpc/local: {best['rpc'] / best['local']:.2f}")
    print(f"per generated token: {bytes_tok / 1024:.1f} KiB moved, {segs_tok:.0f} TCP data segments")
    print(f"1 GbE estimate: {wire_s * 1e3:.3f} ms/token on the wire + up to {rtt_s * 1e3:.1f} ms/token of "
          f"round trips at {GBE_RTT_S * 1e3:.1f} ms RTT -> at most "
          f"{1 / (1 / best['rpc'] + wire_s + rtt_s):.1f} t/s if the servers computed as here")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
