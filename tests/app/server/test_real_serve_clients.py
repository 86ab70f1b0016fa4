"""Real clients (the official openai and anthropic SDKs, and curl) against `workbench serve` with the
real SmolLM2-135M-Instruct (ChatML template) and Gemma 3 270M. Loads real models: slow tier."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import anthropic
import httpx
import jsonschema
import openai
import pytest

from tests.app.server.served import serving
from tests.support.real_models import smollm2_135m

KEY = "test-key-0123"
SMOL = "smollm2-135m-instruct:Q4_1"


def tools_template():
    """SmolLM2's own ChatML template has no tools; Qwen2.5's is ChatML with Hermes-style <tool_call> tags,
    which llama-server's chat parser recognises (and SmolLM2's vocabulary has the ChatML markers)."""
    from runtimes.llama_cpp.native_build import sdist_root

    return sdist_root() / "vendor" / "llama.cpp" / "models" / "templates" / "Qwen-Qwen2.5-7B-Instruct.jinja"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # one thread: on a shared 2-core machine ggml's spinning thread barriers stall under load
    with serving(tmp_path_factory.mktemp("serve"), [smollm2_135m()], KEY, parallel=4, ctx=4096,
                 idle_unload_s=0, threads=1, chat_template_file=tools_template()) as session:
        yield session


@pytest.fixture
def oai(server):
    return openai.OpenAI(base_url=server.config.base_url, api_key=KEY, max_retries=2, timeout=280)


def test_models_lists_the_served_names(oai):
    assert [m.id for m in oai.models.list().data] == [SMOL]


def test_chat_completion_plain_and_streamed(oai):
    reply = oai.chat.completions.create(model=SMOL, messages=[{"role": "user", "content": "Say hello."}],
                                        max_tokens=8, temperature=0)
    assert reply.choices[0].message.content.strip()
    assert reply.usage.completion_tokens > 0
    stream = oai.chat.completions.create(model=SMOL, messages=[{"role": "user", "content": "Say hello."}],
                                         max_tokens=8, temperature=0, stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == reply.choices[0].message.content  # greedy: streamed and whole agree


def test_completions_endpoint(oai):
    reply = oai.completions.create(model=SMOL, prompt="The capital of France is", max_tokens=6, temperature=0)
    assert reply.choices[0].text.strip()


def test_json_schema_response_validates(oai):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 20},
                                               "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    reply = oai.chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Invent a person."}], max_tokens=60, temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
    jsonschema.validate(json.loads(reply.choices[0].message.content), schema)


def test_tool_call_is_well_formed(oai):
    tool = {"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 20}},
                       "required": ["city"]}}}
    # tool_choice="required" lets a model talk before its call; a 135M model talks until max_tokens, so the
    # reply is started at the call marker and llama-server's tool grammar makes the rest well formed
    messages = [{"role": "user", "content": "What is the weather in Paris?"},
                {"role": "assistant", "content": "<tool_call>\n"}]
    reply = oai.chat.completions.create(model=SMOL, messages=messages, tools=[tool], tool_choice="required",
                                        max_tokens=40, temperature=0)
    calls = reply.choices[0].message.tool_calls
    assert calls and calls[0].function.name == "get_weather"
    jsonschema.validate(json.loads(calls[0].function.arguments), tool["function"]["parameters"])


def test_anthropic_messages_plain_and_streamed(server):
    client = anthropic.Anthropic(base_url=server.config.root_url, api_key=KEY, max_retries=2, timeout=280)
    greedy = {"temperature": 0}  # this SDK version has no temperature argument; llama-server reads it
    message = client.messages.create(model=SMOL, max_tokens=8, extra_body=greedy,
                                     messages=[{"role": "user", "content": "Say hello."}])
    assert message.content[0].type == "text" and message.content[0].text.strip()
    with client.messages.stream(model=SMOL, max_tokens=8, extra_body=greedy,
                                messages=[{"role": "user", "content": "Say hello."}]) as stream:
        streamed = "".join(stream.text_stream)
    assert streamed == message.content[0].text


def test_wrong_or_missing_key_is_401(server):
    for key in ("wrong", ""):
        client = openai.OpenAI(base_url=server.config.base_url, api_key=key or "x", max_retries=0,
                               default_headers={} if key else {"Authorization": ""})
        with pytest.raises(openai.AuthenticationError):
            client.models.list()


def test_bad_body_is_400_with_a_message(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model=SMOL, messages="not a list")  # type: ignore[arg-type]
    assert "messages" in str(err.value)


def test_unknown_model_is_refused_by_name(oai):
    # llama-server's router answers 400 "model 'x' not found" (not 404) and lists no names: /v1/models
    # and `workbench ls` do (README, "What llama-server answers").
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 400 and err.value.body["type"] == "invalid_request_error"
    assert err.value.body["message"] == "model 'no-such-model' not found"


def _post_raw(server, body: bytes) -> httpx.Response:
    return httpx.post(server.config.base_url + "/chat/completions", content=body, timeout=120,
                      headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})


def test_a_body_that_is_not_json_is_500_with_the_parsers_message(server):
    # llama-server's own status for this (README, "What llama-server answers"); the message says what is wrong
    reply = _post_raw(server, b"not json")
    assert reply.status_code == 500
    error = reply.json()["error"]
    assert error["type"] == "server_error" and "parse error" in error["message"] and "syntax error" in error["message"]


def test_a_body_over_100_mib_is_413(server):
    # cpp-httplib's compiled-in limit (README, "What llama-server answers"); the reply has no body
    reply = _post_raw(server, b" " * (100 * 2**20 + 1))
    assert reply.status_code == 413 and reply.reason_phrase == "Payload Too Large"


def test_four_concurrent_clients_all_finish(oai):
    def ask(i: int) -> str:
        reply = oai.chat.completions.create(
            model=SMOL, messages=[{"role": "user", "content": f"Reply with the number {i}."}],
            max_tokens=12, temperature=0, seed=i)
        return reply.choices[0].message.content

    alone = ask(0)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(ask, [0, 1, 2, 3]))
    assert all(a.strip() for a in answers)
    assert answers[0] == alone  # batching with other slots does not change a greedy answer


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl not installed")
def test_curl(server):
    body = json.dumps({"model": SMOL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})
    out = subprocess.run(["curl", "-s", "-H", f"Authorization: Bearer {KEY}", "-H", "Content-Type: application/json",
                          "-d", body, server.config.base_url + "/chat/completions"],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert json.loads(out)["object"] == "chat.completion"
    denied = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", server.config.base_url + "/models"],
                            capture_output=True, text=True, timeout=30).stdout
    assert denied == "401"


def test_request_log_and_metrics_come_from_the_server(server, oai):
    oai.chat.completions.create(model=SMOL, messages=[{"role": "user", "content": "hi"}], max_tokens=5)
    snapshot = server.poll()
    assert snapshot.statuses[SMOL] == "loaded"
    done = [r for r in snapshot.requests if r.model == SMOL and r.generated_tokens]
    assert done and done[-1].prompt_tokens > 0 and done[-1].tokens_per_second > 0
    assert snapshot.loaded[0].rss_bytes > 50 * 2**20 and snapshot.loaded[0].slots_total == 4
    assert snapshot.tokens_predicted >= 5
