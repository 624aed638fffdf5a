"""The tracer's reaper is a forked copy of the tracer (a new interpreter cost every trace ~20 ms of CPU):
it must still kill what it was told about when the tracer dies without a word (SIGKILL, os._exit),
on Linux (told at once by a parent-death signal) and on the portable path (its pipe closes), and
leave everything alone after a goodbye. Each case runs in a process of its own, which has no thread
(the condition for forking) and can die as a tracer would."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil
import pytest

from tests.helpers import ROOT, wait_gone

HANG_GUARD_S = 30  # each case takes well under a second

OWNER = """
import os, subprocess, sys
import psutil
from app.engine.reaper import Reaper

reaper = Reaper()
reaper.start(fork=True)
victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
reaper.watch(victim.pid)
print(reaper.pid, victim.pid, flush=True)
if sys.argv[1] == "die":
    os._exit(0)  # no goodbye, no cleanup: as a tracer killed by SIGKILL
print("app.engine.reaper" in psutil.Process(reaper.pid).cmdline(), flush=True)  # exec'd?
reaper.stop()
print(victim.poll(), flush=True)  # still running: the reaper said goodbye without killing
victim.kill()
victim.wait()
"""


@pytest.mark.parametrize("portable", ["0", "1"])
def test_a_forked_reaper_kills_what_it_watches_when_its_owner_dies(portable: str) -> None:
    env = dict(os.environ, MPSCOPE_PORTABLE=portable)
    done = subprocess.run(
        [sys.executable, "-c", OWNER, "die"], capture_output=True, cwd=ROOT, env=env, timeout=HANG_GUARD_S
    )
    assert done.returncode == 0, done.stderr
    reaper, victim = (int(pid) for pid in done.stdout.split())
    assert reaper != victim
    procs = []
    for pid in (reaper, victim):
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    left = wait_gone(procs, 10)
    assert not left, f"alive after their owner died: {[p.pid for p in left]}"


def test_a_forked_reaper_leaves_after_a_goodbye_without_killing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", OWNER, "bye"], capture_output=True, cwd=ROOT, timeout=HANG_GUARD_S
    )
    assert done.returncode == 0, done.stderr
    _, _, execd, polled = done.stdout.split()
    assert execd == b"False"  # a fork of its owner, not a new interpreter
    assert polled == b"None"  # the victim outlived the reaper's goodbye
