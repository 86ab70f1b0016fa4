"""Children die with Workbench even when it is SIGKILLed (runtimes.child_process): an executable
started with popen, and a multiprocessing child, through prctl on Linux and the parent-pipe
watchdog that macOS and Windows use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
import pytest

from runtimes import child_process
from runtimes.child_process import ORPHANED_EXIT_CODE, popen
from tests.support.orphans import kill_leftovers, still_running
from tests.support.paths import REPO_ROOT

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]

POPEN_PARENT = f"""
import time
from runtimes.child_process import popen
print(popen({SLEEP!r}).pid, flush=True)
time.sleep(60)
"""

SPAWN_PARENT = """
import multiprocessing, sys, time
from tests.runtimes.test_child_process import sleep_as_child
process = multiprocessing.get_context("spawn").Process(target=sleep_as_child, args=(sys.argv[1],), daemon=True)
process.start()
print(process.pid, flush=True)
time.sleep(60)
"""


def sleep_as_child(how: str) -> None:
    """A spawned child that never reads its pipe (as a worker busy loading or computing)."""
    if how == "watchdog":
        child_process._prctl = lambda: None  # take the macOS / Windows path
    child_process.die_with_parent()
    print("ready", flush=True)
    time.sleep(60)


def _orphan_of_killed_parent(script: str, *args: str, lines_before_kill: int = 1) -> psutil.Process:
    parent = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        for _ in range(lines_before_kill - 1):
            parent.stdout.readline()  # the child says it is set up
    finally:
        parent.kill()
        parent.wait()
    return child


@linux_only
def test_an_executable_dies_when_workbench_is_killed():
    child = _orphan_of_killed_parent(POPEN_PARENT)
    try:
        assert still_running([child], 5) == []
    finally:
        kill_leftovers([child])


@pytest.mark.parametrize("how", [pytest.param("prctl", marks=linux_only), "watchdog"])
def test_a_multiprocessing_child_dies_when_workbench_is_killed(how):
    child = _orphan_of_killed_parent(SPAWN_PARENT, how, lines_before_kill=2)
    try:
        assert still_running([child], 5) == []
    finally:
        kill_leftovers([child])


def test_a_child_outlives_the_short_lived_thread_that_started_it():
    box = {}
    starter = threading.Thread(target=lambda: box.update(proc=popen(SLEEP)))
    starter.start()
    starter.join()
    time.sleep(0.5)
    try:
        assert box["proc"].poll() is None  # a Qt pool thread that expired would not take it along
    finally:
        box["proc"].kill()
        box["proc"].wait()


@linux_only
def test_a_child_whose_parent_died_before_prctl_exits_at_once():
    not_our_pid = 1 if os.getpid() != 1 else 2
    preexec = child_process._follow_parent(child_process._prctl(), signal.SIGTERM, not_our_pid)
    proc = subprocess.Popen(SLEEP, preexec_fn=preexec)
    assert proc.wait(10) == ORPHANED_EXIT_CODE
