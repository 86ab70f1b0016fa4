"""Hub client against a local fake Hub: search, quant grouping, remote headers, errors."""

from __future__ import annotations

import pytest

from models.errors import HubError, ModelFileError
from models.gguf.validate import validate_gguf
from models.hub.files import HubFile
from models.hub.header import read_remote_header
from models.hub.quants import group_quants, pick, quant_of
from tests.support.fake_hub import DEMO_REPO as REPO

pytest_plugins = ["tests.support.hub_fixtures"]  # the fake Hub fixtures

COMMIT_LEN = 40


def test_search_sorts_and_filters(client):
    assert [m.repo_id for m in client.search()][:1] == ["other-org/popular-GGUF"]
    assert client.search(sort="likes")[0].repo_id == "other-org/liked-GGUF"
    assert client.search(sort="recent")[0].repo_id == "other-org/liked-GGUF"
    assert [m.repo_id for m in client.search(author="demo-org")] == [REPO]
    assert [m.repo_id for m in client.search("tiny")] == [REPO]
    assert client.search("tiny")[0].downloads == 500


def test_search_rejects_unknown_sort(client):
    with pytest.raises(ValueError, match="unknown sort"):
        client.search(sort="size")


def test_repo_files_have_sizes_hashes_and_commit(client, demo_ladder):
    repo = client.repo_files(REPO)
    assert len(repo.commit) == COMMIT_LEN
    by_name = {f.path: f for f in repo.files}
    q4 = by_name["workbench-tiny-Q4_K_M.gguf"]
    assert q4.size == demo_ladder["Q4_K_M"].stat().st_size
    import hashlib

    assert q4.sha256 == hashlib.sha256(demo_ladder["Q4_K_M"].read_bytes()).hexdigest()


def test_quants_grouped_with_mmproj(client):
    options = group_quants(list(client.repo_files(REPO).files))
    assert [o.quant for o in options] == ["Q8_0", "Q4_K_M", "Q2_K"]  # largest first, README ignored
    assert all(o.mmproj and o.mmproj.path.startswith("mmproj") for o in options)
    assert pick(options, "q4_k_m").bpw == pytest.approx(4.89)


def test_split_parts_join_in_order_and_flag_gaps():
    files = [HubFile(f"big-Q4_K_M-0000{i}-of-00003.gguf", 100 * i, None) for i in (3, 1, 2)]
    files += [HubFile("big-Q8_0-00001-of-00002.gguf", 7, None)]
    options = {o.quant: o for o in group_quants(files)}
    assert [f.path[-20:] for f in options["Q4_K_M"].files] == [
        "M-00001-of-00003.gguf"[-20:], "M-00002-of-00003.gguf"[-20:], "M-00003-of-00003.gguf"[-20:]]
    assert options["Q4_K_M"].size == 600 and not options["Q4_K_M"].notes
    assert options["Q8_0"].notes == ["incomplete split: 1 of 2 parts listed"]


@pytest.mark.parametrize("name,quant", [("Llama-3.2-1B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
                                        ("model.IQ2_XXS.gguf", "IQ2_XXS"), ("x-f16.gguf", "F16"),
                                        ("qwen2-7b-instruct-q5_k_s.gguf", "Q5_K_S"), ("plain.gguf", None)])
def test_quant_names(name, quant):
    assert quant_of(name) == quant


def test_remote_header_matches_local_parse_with_few_bytes(client, hub, demo_ladder):
    local = validate_gguf(demo_ladder["Q8_0"])
    size = demo_ladder["Q8_0"].stat().st_size
    remote = read_remote_header(client, REPO, "workbench-tiny-Q8_0.gguf", size)
    assert remote.architecture == local.architecture == "llama"
    assert remote.metadata["llama.block_count"] == local.metadata["llama.block_count"]
    assert [t.name for t in remote.tensors] == [t.name for t in local.tensors]
    assert hub.bytes_served("workbench-tiny-Q8_0.gguf") < size  # header only, not the whole file


def test_remote_header_of_a_non_gguf_is_a_model_error(client):
    with pytest.raises(ModelFileError, match="not a GGUF"):
        read_remote_header(client, "other-org/popular-GGUF", "a-Q4_K_M.gguf", 10)


@pytest.mark.parametrize("status,message", [(401, "authentication required"), (403, "access denied"),
                                            (404, "not found"), (429, "rate limited"),
                                            (500, "server error")])
def test_each_http_status_has_a_clear_message(client, hub, status, message):
    hub.statuses[f"/api/models/{REPO}"] = [status]
    with pytest.raises(HubError, match=message) as info:
        client.repo_files(REPO)
    assert info.value.status == status


def test_unknown_repo_is_not_found(client):
    with pytest.raises(HubError, match="not found"):
        client.repo_files("nobody/nothing")


def test_unreachable_hub_is_a_hub_error():
    from models.hub.client import HubClient

    with pytest.raises(HubError, match="cannot reach"):
        HubClient(endpoint="http://127.0.0.1:9").repo_files(REPO)
