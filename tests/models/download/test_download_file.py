"""Verified, resumable downloads into the HF cache layout, against a misbehaving fake Hub."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from models.download.fetch import RetryPolicy, StopFlag
from models.download.file import DownloadTarget, check_disk_space, download_file
from models.download.paths import blob_path, repo_folder, safe_relpath
from models.errors import DownloadCancelled, HashMismatch, HubError, NotEnoughDisk, UnsafeFileName
from models.hub.client import HubClient
from tests.support.fake_hub import COMMIT
from tests.support.fake_hub import DEMO_REPO as REPO

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

FAST = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)
NAME = "workbench-tiny-Q8_0.gguf"


def _target(client, name=NAME, repo_id=REPO):
    repo = client.repo_files(repo_id)
    return DownloadTarget(repo, next(f for f in repo.files if f.path == name))


def test_download_lands_in_hf_cache_layout(client, hub, tmp_path, demo_ladder):
    seen = []
    path = download_file(client, _target(client), tmp_path, seen.append, retry=FAST)
    assert path == repo_folder(tmp_path, REPO) / "snapshots" / COMMIT / NAME
    assert path.is_symlink() and path.read_bytes() == demo_ladder["Q8_0"].read_bytes()
    assert (repo_folder(tmp_path, REPO) / "refs" / "main").read_text() == COMMIT
    assert not list(tmp_path.rglob("*.part"))
    assert seen[-1].state == "verifying" and seen[-2].done == seen[-2].total


def test_file_in_cache_is_not_downloaded_again(client, hub, tmp_path):
    download_file(client, _target(client), tmp_path, retry=FAST)
    served = hub.bytes_served(NAME)
    (repo_folder(tmp_path, REPO) / "snapshots").rename(tmp_path / "old-snapshots")  # only the blob remains
    path = download_file(client, _target(client), tmp_path, retry=FAST)
    assert path.is_file() and hub.bytes_served(NAME) == served


def test_resume_after_dropped_connection(client, hub, tmp_path, demo_ladder):
    size = demo_ladder["Q8_0"].stat().st_size
    hub.drop_after[NAME] = size // 3
    path = download_file(client, _target(client), tmp_path, retry=FAST)
    assert path.read_bytes() == demo_ladder["Q8_0"].read_bytes()
    ranges = [(start, n) for f, start, n in hub.served if f == NAME]
    assert ranges[0] == (0, size // 3)
    assert ranges[1] == (size // 3, size - size // 3)  # resumed exactly where the drop left off
    assert hub.bytes_served(NAME) == size


@pytest.mark.parametrize("status", [500, 429, 503])
def test_transient_errors_are_retried(client, hub, tmp_path, status):
    hub.statuses[f"/{REPO}/resolve/"] = [status, status]
    path = download_file(client, _target(client), tmp_path, retry=FAST)
    assert path.is_file()


def test_persistent_server_error_gives_up_with_clear_message_and_keeps_part(client, hub, tmp_path, demo_ladder):
    size = demo_ladder["Q8_0"].stat().st_size
    hub.drop_after[NAME] = size // 2
    hub.statuses[f"/{REPO}/resolve/"] = []
    target = _target(client)

    def fail_after_first(*_):  # after the drop, the server only answers 500
        hub.statuses[f"/{REPO}/resolve/"] = [500] * 10

    with pytest.raises(HubError, match="server error.*gave up after 3 attempts"):
        download_file(client, target, tmp_path, lambda p: p.done >= size // 2 and fail_after_first(), retry=FAST)
    part = blob_path(tmp_path, REPO, target.file.sha256).with_suffix(".part")
    assert part.stat().st_size == size // 2  # nothing lost: the next run resumes from here


@pytest.mark.parametrize("status,message", [(401, "authentication required"), (403, "access denied"),
                                            (404, "not found")])
def test_client_errors_fail_at_once_with_clear_message(client, hub, tmp_path, status, message):
    target = _target(client)
    hub.statuses[f"/{REPO}/resolve/"] = [status]
    with pytest.raises(HubError, match=message):
        download_file(client, target, tmp_path, retry=FAST)
    assert hub.statuses[f"/{REPO}/resolve/"] == []  # asked exactly once, no retry


def test_hash_mismatch_quarantines_and_never_publishes(client, hub, tmp_path):
    hub.repos[REPO].advertised_sha[NAME] = "0" * 64
    target = _target(client)
    with pytest.raises(HashMismatch, match="SHA-256 mismatch.*moved to") as info:
        download_file(client, target, tmp_path, retry=FAST)
    quarantined = list((repo_folder(tmp_path, REPO) / "quarantine").iterdir())
    assert len(quarantined) == 1 and str(quarantined[0]) in str(info.value)
    assert not blob_path(tmp_path, REPO, "0" * 64).exists()
    assert not (repo_folder(tmp_path, REPO) / "snapshots").exists()


@pytest.mark.parametrize("name", [
    "../evil.gguf", "a/../../evil.gguf", "/etc/evil.gguf", "a\\..\\evil.gguf", "./x.gguf"])
def test_escaping_names_are_refused(client, hub, tmp_path, name):
    hub.repos[REPO].extra_names[name] = b"GGUF evil"
    with pytest.raises(UnsafeFileName, match="refusing file name"):
        download_file(client, _target(client, name), tmp_path / "cache", retry=FAST)
    assert not (tmp_path / "evil.gguf").exists() and hub.bytes_served(name) == 0


def test_safe_names_pass():
    assert str(safe_relpath("sub/dir/model-Q4_K_M.gguf")) == "sub/dir/model-Q4_K_M.gguf"


def test_not_enough_disk_is_refused_before_starting(tmp_path):
    with pytest.raises(NotEnoughDisk, match="not enough disk space"):
        check_disk_space(tmp_path / "not" / "yet", 1 << 62)
    check_disk_space(tmp_path, 1)  # a small file passes


def test_pause_keeps_part_and_resume_finishes(client, hub, tmp_path, demo_ladder):
    hub.chunk_delay_s = 0.01
    target = _target(client)
    stop = StopFlag()

    def pause_midway(p):
        if p.done > 256 << 10:
            stop.stop("pause")

    with pytest.raises(DownloadCancelled, match="paused"):
        download_file(client, target, tmp_path, pause_midway, stop, retry=FAST)
    part = blob_path(tmp_path, REPO, target.file.sha256).with_suffix(".part")
    kept = part.stat().st_size
    assert kept > 256 << 10
    hub.chunk_delay_s = 0
    path = download_file(client, target, tmp_path, retry=FAST)
    assert path.read_bytes() == demo_ladder["Q8_0"].read_bytes()
    assert kept in [s for f, s, _ in hub.served if f == NAME]  # resumed from the .part's end


def test_redirect_to_the_cdn_is_followed_without_the_token(hub, tmp_path, demo_ladder):
    hub.cdn_host = "localhost"  # another host name for the same loopback server
    client = HubClient(endpoint=hub.url, token="hf_" + "a" * 34)
    path = download_file(client, _target(client), tmp_path, retry=FAST)
    assert path.read_bytes() == demo_ladder["Q8_0"].read_bytes()
    file_requests = [(p.split("/")[1], auth) for p, auth in hub.auth_seen if NAME in p]
    assert file_requests == [(REPO.split("/")[0], True), ("cdn", False)]  # the token stays on the Hub's host


def test_a_slow_link_reports_progress_as_bytes_arrive(client, hub, tmp_path):
    hub.write_size, hub.chunk_delay_s = 16 << 10, 0.02
    seen = []
    download_file(client, _target(client, "workbench-tiny-Q2_K.gguf"), tmp_path, seen.append, retry=FAST)
    received = [p.done for p in seen if p.state == "downloading"]
    assert len(received) >= 8 and received[0] <= 64 << 10  # not one report per full 1 MiB read


def test_cancel_deletes_part(client, hub, tmp_path):
    hub.chunk_delay_s = 0.01
    target = _target(client)
    stop = StopFlag()
    threading.Timer(0.05, stop.stop).start()
    with pytest.raises(DownloadCancelled, match="cancelled"):
        download_file(client, target, tmp_path, stop=stop, retry=FAST)
    assert not list(Path(tmp_path).rglob("*.part"))
