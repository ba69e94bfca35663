"""A stop under load: SIGTERM to `canhgac run` while a detection tick is running under the city
stream, how long the process takes to end, and whether the next start resumes every rule's
windows with no gap and no overlap (``bench/soak_city.py --stop-mid-tick``).

Whole ticks are counted by the rules' run counter (``canhgac_rule_runs_total``); a tick is
running while ``canhgac_detection_ticks_running`` is above zero.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canhgac.models import RuleRun

from .city_feed import start_feed
from .instance import EmbeddedInstance
from .sigma_pack import PIPELINE, build_rules

RUNS = "canhgac_rule_runs_total"
RUNNING = "canhgac_detection_ticks_running"
INTO_TICK_S = 0.5  # how far into the running tick the stop comes
POLL_S = 0.5
STOP_WITHIN_S = 10.0  # a stop is prompt within this (a page of searches, then the shutdown)


@dataclass
class StopCheck:
    rules: int = 0
    tick_running: bool = False  # a tick was still searching when the stop came
    stop_s: float = 0.0
    gaps: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    never_searched: int = 0


def check_stop(rate: float, sigma: int, pack: Path, seed: int, say: Any = print) -> StopCheck:
    work = Path(tempfile.mkdtemp(prefix="cg-stop-"))
    check = StopCheck()
    try:
        build_rules(work / "rules", sigma, pack, seed)
        instance = EmbeddedInstance(work, work / "rules", work / "rules" / PIPELINE, "60s")
        instance.start()
        child, _, _ = start_feed(instance.targets, rate, 600.0, seed)
        try:
            check.rules = _wait_mid_tick(instance, say)
            check.tick_running = _running(instance) > 0
            say(f"mid-tick (still running: {check.tick_running}): SIGTERM")
            instance.stop()
            check.stop_s = instance.stop_seconds()["run"]
            say(f"stopped in {check.stop_s:.1f} s; starting again ...")
            instance.start()
            _wait_tick(instance, 0)  # the first tick of the new process, whole
        finally:
            child.terminate()
            instance.stop()
        store = instance.open_store()
        try:
            _judge(store.list_rule_runs(), check)
        finally:
            store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return check


def _runs(instance: EmbeddedInstance) -> tuple[int, int]:
    """(rule runs so far, rules) from the metrics."""
    families = list(instance.roles[0].samples())
    runs = [s for s in families if s.name == RUNS]
    return int(sum(s.value for s in runs)), len(runs)


def _wait_tick(instance: EmbeddedInstance, since: int, timeout_s: float = 300) -> int:
    """Wait until one whole tick has run after ``since`` rule runs; the runs then."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs, rules = _runs(instance)
        if rules and runs >= since + rules:
            return runs
        time.sleep(POLL_S)
    raise TimeoutError("no whole detection tick within the timeout")


def _running(instance: EmbeddedInstance) -> float:
    families = list(instance.roles[0].samples())
    return sum(s.value for s in families if s.name == RUNNING)


def _wait_mid_tick(instance: EmbeddedInstance, say: Any) -> int:
    """Let two whole ticks run (the second under the stream), then wait until the third has
    been searching for INTO_TICK_S; the number of rules."""
    done = _wait_tick(instance, _wait_tick(instance, 0))
    say(f"two ticks done ({done} rule runs); waiting for the next to start ...")
    while not _running(instance):
        time.sleep(0.1)
    time.sleep(INTO_TICK_S)
    return _runs(instance)[1]


def _judge(runs: list[RuleRun], check: StopCheck) -> None:
    by_rule: dict[str, list[RuleRun]] = defaultdict(list)
    for run in runs:
        by_rule[run.rule_id].append(run)
    check.never_searched = check.rules - len(by_rule)
    for rule_id, windows in by_rule.items():
        windows.sort(key=lambda run: run.window_start)
        for before, after in zip(windows, windows[1:], strict=False):
            if before.window_end < after.window_start:
                check.gaps.append(f"{rule_id}: {before.window_end} -> {after.window_start}")
            elif before.window_end > after.window_start:
                check.overlaps.append(f"{rule_id}: {after.window_start} < {before.window_end}")
