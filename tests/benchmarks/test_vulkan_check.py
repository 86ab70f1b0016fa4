"""benchmarks/vulkan_check.py: a Vulkan backend without a Vulkan device must not pass.

The earlier check grepped `workbench runtimes` for "vulkan" and matched the line
"backends: Vulkan, RPC, CPU", which a Vulkan build prints even when ggml hides every
device (lavapipe without GGML_VK_VISIBLE_DEVICES).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

from tests.support.paths import REPO_ROOT


def _module():
    spec = importlib.util.spec_from_file_location("vulkan_check", REPO_ROOT / "benchmarks" / "vulkan_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _runtimes_json(monkeypatch, module, devices):
    report = [{"name": "llama.cpp", "available": True, "reason": "backends: Vulkan, RPC, CPU", "devices": devices}]

    def fake_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 0, stdout=json.dumps(report), stderr="")

    monkeypatch.setattr(module.subprocess, "run", fake_run)


def test_a_vulkan_backend_without_a_vulkan_device_lists_none(monkeypatch):
    module = _module()
    _runtimes_json(monkeypatch, module, [{"id": "cpu", "kind": "cpu", "description": "Xeon"}])

    assert module.vulkan_devices(Path("/build"), {}) == []


def test_a_listed_vulkan_device_is_found(monkeypatch):
    module = _module()
    vulkan0 = {"id": "vulkan0", "kind": "vulkan", "description": "llvmpipe (LLVM 15.0.6, 256 bits)"}
    _runtimes_json(monkeypatch, module, [vulkan0, {"id": "cpu", "kind": "cpu", "description": "Xeon"}])

    assert module.vulkan_devices(Path("/build"), {}) == [vulkan0]


def test_the_check_fails_without_a_device_and_says_how_to_show_lavapipe(monkeypatch, tmp_path):
    module = _module()
    monkeypatch.setattr(module.native_build, "ensure_built", lambda *args, **kwargs: tmp_path)
    _runtimes_json(monkeypatch, module, [])

    ok, detail = module.run(tmp_path / "model.gguf")

    assert not ok
    assert "GGML_VK_VISIBLE_DEVICES=0" in detail


def test_token_comparison_names_the_first_difference():
    module = _module()

    assert module.compare([1, 2, 3], [1, 2, 3]) == "greedy tokens identical to the CPU run (3)"
    assert module.compare([1, 2, 3], [1, 9, 3]) == "greedy tokens equal to the CPU run up to token 1 of 3"
    assert module.compare([1, 2, 3], [1, 2]) == "greedy tokens equal to the CPU run up to token 2 of 3"
