"""One soak trial: start the instance (embedded, or scaled: one process per role), feed it the
city stream for some minutes, watch it, drain, stop it, and hand back the samples, the attacks
and the totals. ``bench/soak_city.py`` prints them.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canhgac.cli.demo.attacks import SCENARIOS
from canhgac.store.base import Store
from canhgac.timeutil import to_iso, utcnow

from .attack_watch import AttackWatch, rule_ids
from .city_feed import start_feed
from .instance import EmbeddedInstance, Instance
from .sigma_pack import PIPELINE, build_rules
from .soak_stats import AttackSent, Sample, SenderMark, Totals, ingest_lag
from .store_peek import oldest_watermark, stored_by_source

POLL_S = 5.0
DRAIN_QUIET_S = 60.0  # the drain gives up after this long without progress
MODES = ("embedded", "scaled")


@dataclass
class Trial:
    rate: float
    minutes: int
    sigma_rules: int = 0
    samples: list[Sample] = field(default_factory=list)
    marks: list[SenderMark] = field(default_factory=list)
    attacks: list[AttackSent] = field(default_factory=list)
    sender_errors: int = 0
    lines_by_channel: dict[str, tuple[int, float]] = field(default_factory=dict)
    stored_by_source: dict[str, int] = field(default_factory=dict)
    disk_bytes: int = 0
    stored_in_db: int = 0
    dead_in_db: int = 0
    workdir: str = ""
    deployment: str = ""  # what ran (Instance.describe)
    stop_s: dict[str, float] = field(default_factory=dict)  # how long each role took to stop

    def totals(self) -> Totals:
        last = self.samples[-1]
        events = self.marks[-1].events if self.marks else 0
        return Totals(events, last.stored, last.dead, last.dropped)


@dataclass(frozen=True)
class Options:
    sigma: int
    pack: Path
    interval_s: float = 60.0
    keep: bool = False
    seed: int = 1
    mode: str = "embedded"  # one of MODES
    indexers: int = 1  # scaled mode: indexer processes


def run_trial(rate: float, minutes: int, options: Options, say: Any = print) -> Trial:
    trial = Trial(rate, minutes)
    work = Path(tempfile.mkdtemp(prefix="cg-soak-"))
    trial.workdir = str(work)
    try:
        trial.sigma_rules = build_rules(work / "rules", options.sigma, options.pack, options.seed)
        instance = _instance(work, options)
        trial.deployment = instance.describe()
        say(f"starting {trial.deployment} in {work}, {trial.sigma_rules} SigmaHQ rules ...")
        try:
            instance.start()
            try:
                _observe(instance, trial, options, say)
            finally:
                instance.stop()
                trial.stop_s = instance.stop_seconds()
        finally:
            if not options.keep:
                instance.remove_data()
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    return trial


def _instance(work: Path, options: Options) -> Instance:
    rules, interval = work / "rules", f"{options.interval_s:g}s"
    pipeline = rules / PIPELINE
    if options.mode == "scaled":
        from .scaled_instance import ScaledInstance  # Kafka's client only when asked for

        return ScaledInstance(work, rules, pipeline, interval, indexers=options.indexers)
    return EmbeddedInstance(work, rules, pipeline, interval)


def _observe(instance: Instance, trial: Trial, options: Options, say: Any) -> None:
    disk_before = instance.disk_bytes()
    since = to_iso(utcnow())
    store = instance.open_store()
    try:
        child, reports, start = start_feed(
            instance.targets, trial.rate, trial.minutes * 60.0, options.seed
        )
        ids = rule_ids(instance.rules_dir, {stem for s in SCENARIOS for stem in s.rules})
        watch = AttackWatch(store, ids, start)
        every_rule = sorted(set(rule_ids(instance.rules_dir).values()))
        sample = _sampler(instance, store, every_rule, start)
        next_minute = 60.0
        done = False
        while not done:
            time.sleep(POLL_S)
            # A sender that died without saying "done" ends the stream too (its error is on
            # the console).
            done = _drain(reports, trial) or not child.is_alive()
            current = sample()
            trial.samples.append(current)
            watch.poll(trial.attacks)
            if current.at >= next_minute:
                say(_progress(trial, current, next_minute))
                next_minute += 60.0
        child.join(timeout=60)
        _drain(reports, trial)  # the per-channel totals follow "done"
        _drain_instance(sample, trial, watch, options, say)
        trial.disk_bytes = instance.disk_bytes() - disk_before
        trial.stored_in_db, trial.dead_in_db = store.count_events(), store.count_dead_letters()
        trial.stored_by_source = stored_by_source(store, since)
    finally:
        store.close()


def _drain(reports: Any, trial: Trial) -> bool:
    """Take every report the sender queued; True once it said it is done."""
    done = False
    while True:
        try:
            report = reports.get_nowait()
        except queue.Empty:
            return done
        kind = report[0]
        if kind == "channels":
            trial.lines_by_channel = report[1]
        elif kind == "planted":
            _, key, rules, planted_at, sent_at = report
            trial.attacks.append(AttackSent(key, tuple(rules), planted_at, sent_at))
        else:
            _, at, lines, events, errors, behind = report
            trial.marks.append(SenderMark(at, lines, events, behind))
            trial.sender_errors = errors
            done = done or kind == "done"


def _sampler(
    instance: Instance, store: Store, rules: list[str], start: float
) -> Callable[[], Sample]:
    """A function taking one sample of ``instance`` (its counts, resources, detection delay)."""

    def sample() -> Sample:
        stored, dead, dropped = instance.counts(store)
        rss, cpu = instance.resources()
        now = time.time()
        watermark = oldest_watermark(store, rules)
        return Sample(
            at=now - start,
            stored=stored,
            dead=dead,
            dropped=dropped,
            rss_bytes=rss,
            cpu_seconds=cpu,
            detect_delay_s=0.0 if watermark is None else now - watermark,
            load=os.getloadavg()[0],
        )

    return sample


def _drain_instance(
    sample: Callable[[], Sample],
    trial: Trial,
    watch: AttackWatch,
    options: Options,
    say: Any,
) -> None:
    """After the stream: wait for every event to be processed and every attack's alert (or
    for the goal to be long past), sampling as before."""
    events = trial.marks[-1].events if trial.marks else 0
    last_attack = max((a.sent_at for a in trial.attacks), default=0.0)
    alert_deadline = last_attack + 2 * options.interval_s + 30.0
    say(f"stream ended; draining (sent {events} events) ...")
    quiet_since, processed = time.time(), -1
    while True:
        time.sleep(POLL_S)
        current = sample()
        trial.samples.append(current)
        watch.poll(trial.attacks)
        if current.processed != processed:
            quiet_since, processed = time.time(), current.processed
        caught_up = processed >= events
        alerted = all(a.alerted_at is not None for a in trial.attacks)
        if caught_up and (alerted or current.at > alert_deadline):
            return
        if not caught_up and time.time() - quiet_since > DRAIN_QUIET_S:
            say(f"no progress for {DRAIN_QUIET_S:g} s: {events - processed} events missing")
            return


def _progress(trial: Trial, sample: Sample, minute_end: float) -> str:
    sent = trial.marks[-1].events if trial.marks else 0
    behind = max((m.behind_s for m in trial.marks if m.at > minute_end - 60), default=0.0)
    lag = ingest_lag(trial.marks, sample.processed, sample.at)
    alerted = sum(a.alerted_at is not None for a in trial.attacks)
    return (
        f"  minute {minute_end / 60:.0f}: sent {sent} ({behind:.0f} s behind), "
        f"stored {sample.stored}, "
        f"dead {sample.dead}, dropped {sample.dropped}, lag {lag:.1f} s, "
        f"detection {sample.detect_delay_s:.0f} s behind, "
        f"RSS {sample.rss_bytes / 2**20:.0f} MiB, attacks alerted {alerted}/{len(trial.attacks)}"
    )
