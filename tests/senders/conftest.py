"""Fixtures of the sender tests: the compiled rule pack (once per session) and a running
pipeline listening for syslog on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.pipeline import Pipeline, compile_rules
from tests.senders.programs import Daemon, StartDaemon


@pytest.fixture(scope="session")
def rules() -> CompiledRuleSet:
    return compile_rules()


@pytest.fixture
def canhgac(tmp_path: Path) -> Iterator[Pipeline]:
    workdir = tmp_path / "canhgac"
    workdir.mkdir()
    pipeline = Pipeline.listening(workdir)
    pipeline.start()
    yield pipeline
    pipeline.stop()


@pytest.fixture
def sender_dir(tmp_path: Path) -> Path:
    path = tmp_path / "sender"
    path.mkdir()
    return path


@pytest.fixture
def start_daemon() -> Iterator[StartDaemon]:
    """Starts a daemon for the test; every one started is stopped after it."""
    started: list[Daemon] = []

    def start(daemon: Daemon) -> Daemon:
        started.append(daemon)
        daemon.start()
        return daemon

    yield start
    for daemon in started:
        daemon.stop()
