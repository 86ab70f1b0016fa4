"""stream_job: a download as an iterator of progress events, then the paths."""

from __future__ import annotations

from models.download.jobs import DownloadJob, JobDone, JobProgress, stream_job
from models.hub.quants import group_quants, pick
from tests.support.fake_hub import DEMO_REPO as REPO

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures


def test_job_yields_growing_progress_then_verified_paths(client, tmp_path, demo_ladder):
    repo = client.repo_files(REPO)
    option = pick(group_quants(list(repo.files)), "Q4_K_M")
    job = DownloadJob(repo, option.files + [option.mmproj], tmp_path)
    events = list(stream_job(client, job))
    progress = [e for e in events if isinstance(e, JobProgress)]
    assert [e.done for e in progress] == sorted(e.done for e in progress)
    assert progress[-1].done == job.total and progress[-1].file_index == 1
    assert isinstance(events[-1], JobDone) and len(events[-1].paths) == 2
    assert events[-1].paths[0].read_bytes() == demo_ladder["Q4_K_M"].read_bytes()


def test_discard_partials_removes_kept_part_files(client, tmp_path):
    repo = client.repo_files(REPO)
    job = DownloadJob(repo, [pick(group_quants(list(repo.files)), "Q2_K").first], tmp_path)
    part = job.part_files()[0]
    part.parent.mkdir(parents=True)
    part.write_bytes(b"partial")
    job.discard_partials()
    assert not part.exists()
