"""Lease holders: only a process of this host that no longer exists counts as gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from canhgac.store.lease_holders import default_owner, holder_is_gone

HOST = socket.gethostname()


@pytest.fixture
def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # reaped: the pid names no process any more
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


def test_the_owner_names_this_process_and_is_alive() -> None:
    owner = default_owner()
    host, pid, token = owner.rsplit(":", 2)
    assert (host, int(pid), len(token)) == (HOST, os.getpid(), 8)
    assert owner != default_owner()  # two owners in one process stay distinct
    assert not holder_is_gone(owner)


def test_a_dead_process_of_this_host_is_gone_a_live_one_is_not(
    dead_pid: int, live_pid: int
) -> None:
    assert holder_is_gone(f"{HOST}:{dead_pid}:0badc0de")
    assert not holder_is_gone(f"{HOST}:{live_pid}:0badc0de")
    assert not holder_is_gone(f"{HOST}:1:0badc0de")  # init: exists (another user's is alive too)


@pytest.mark.parametrize(
    "owner",
    [
        "det-1",
        "",
        "not-this-host.example:{dead}:0badc0de",  # another host's pids are not ours to judge
        f"{HOST}:0:0badc0de",
        f"{HOST}:-{{dead}}:0badc0de",
        f"{HOST}:{{dead}}",
        f"{HOST}:99999999999999999999999:0badc0de",
    ],
)
def test_owners_of_another_host_or_another_form_are_never_gone(owner: str, dead_pid: int) -> None:
    assert not holder_is_gone(owner.format(dead=dead_pid))
