"""canhgac.lifecycle.Periodic: calls its work until stopped, and outlives a failing call."""

from __future__ import annotations

import logging
import threading

import pytest

from canhgac.lifecycle import Periodic


def test_a_failing_call_is_logged_and_the_next_ones_still_come(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[int] = []
    third = threading.Event()

    def work() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("bad reload")
        if len(calls) >= 3:
            third.set()

    poller = Periodic("test-poller", 0.01, work, "poll failed")
    with caplog.at_level(logging.ERROR, logger="canhgac.lifecycle"):
        poller.start()
        assert third.wait(5)
        poller.stop()
    stopped_at = len(calls)
    assert [r.message for r in caplog.records] == ["poll failed"]
    assert "bad reload" in (caplog.records[0].exc_text or "")
    threading.Event().wait(0.05)
    assert len(calls) == stopped_at  # no call after stop


def test_start_twice_runs_one_thread_and_stop_without_start_is_harmless() -> None:
    poller = Periodic("test-once", 60, lambda: None, "unused")
    poller.stop()
    poller.start()
    poller.start()
    assert [t.name for t in threading.enumerate()].count("test-once") == 1
    poller.stop()
    assert "test-once" not in [t.name for t in threading.enumerate()]
