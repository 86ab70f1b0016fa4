"""WORKBENCH_CMAKE_ARGS: extra CMake arguments reach the build and give it its own folder.

Needed where the distribution's toolchain is too old (Debian 12's Vulkan headers for
ggml-vulkan), without hard-coding one machine's paths into the build.
"""

from __future__ import annotations

from runtimes.llama_cpp import native_build


def test_no_extra_arguments_keeps_the_options_and_the_key(monkeypatch):
    monkeypatch.delenv(native_build.EXTRA_CMAKE_ARGS_ENV, raising=False)
    options, key = native_build.cmake_options("vulkan"), native_build.build_key("vulkan")
    monkeypatch.setenv(native_build.EXTRA_CMAKE_ARGS_ENV, "  ")

    assert native_build.cmake_options("vulkan") == options
    assert native_build.build_key("vulkan") == key


def test_extra_arguments_are_split_like_a_shell_and_come_last(monkeypatch):
    monkeypatch.setenv(native_build.EXTRA_CMAKE_ARGS_ENV,
                       "-DVulkan_INCLUDE_DIR=/opt/vk/include '-DCMAKE_PREFIX_PATH=/opt/with space'")

    assert native_build.cmake_options("vulkan")[-2:] == ["-DVulkan_INCLUDE_DIR=/opt/vk/include",
                                                         "-DCMAKE_PREFIX_PATH=/opt/with space"]


def test_extra_arguments_build_into_their_own_folder(monkeypatch, tmp_path):
    monkeypatch.delenv(native_build.EXTRA_CMAKE_ARGS_ENV, raising=False)
    plain = native_build.build_dir("vulkan", tmp_path)
    monkeypatch.setenv(native_build.EXTRA_CMAKE_ARGS_ENV, "-DVulkan_INCLUDE_DIR=/opt/vk/include")

    assert native_build.build_dir("vulkan", tmp_path) != plain
    assert native_build.build_dir("vulkan", tmp_path).parent == tmp_path
