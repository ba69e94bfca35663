"""Our SQLite detection side by side with other Sigma engines, same rules, same events.

A benchmark, not a test (never run in CI). One run:

1. chooses 128 SigmaHQ rules from ``../shared/sigmahq-all`` (96 Windows process_creation and
   32 Windows Security rules, the first in path order that import on our SQLite store; see
   ``bench/tools/peer_rules.py``);
2. generates ``--events`` Windows events once, as NXLog's flat JSON lines (raw Sigma field
   names: ``EventID``, ``Channel``, ``Image``, ``CommandLine``...), a share of them planted
   from the rules' detections so that most rules match something (``bench/tools/peer_events.py``);
3. ours: the same lines through our Windows JSON parser into a SQLite store (timed apart as
   *ingest*), then one detection cycle of the rules over one window holding every event
   (``DetectionEngine.run_rules``, through ``rules/pipelines/ecs.yml``), timed with
   ``time.process_time`` (CPU) and wall clock;
4. rsigma 0.23.0 (built with cargo into ``--cache`` on first use; skipped without cargo) on
   the same JSON lines and rule files, with its builtin ``sysmon`` pipeline; Zircolite too when
   ``--zircolite DIR`` names a checkout (``bench/tools/peer_engines.py``); CPU time of the child
   process from ``RUSAGE_CHILDREN``;
5. prints the timing table (CPU seconds first: the machine may be shared) and the matches per
   rule for every engine side by side, flagging each rule where they disagree.

    PYTHONPATH=. .venv/bin/python bench/bench_detect_peers.py [--events 1000000]
        [--zircolite ~/src/Zircolite] [--keep var/peers/run]

Measured on 2026-12-03 (2 shared cores, CPU seconds; ours excludes ingest, rsigma includes
reading the JSON). Before the needle pass (every rule's SQL on every row): 200,000 events,
ours 49.0 s, rsigma 1.66 s (29x); 1,000,000 events, ours 249 s, rsigma 7.7 s (32x). With it
(``canhgac/store/sqlite/needle_scan.py``: one Aho-Corasick read of each document, each rule's
SQL on its candidate rows only): 100,000 events, ours 3.5-4.3 s, rsigma 0.78 s; 1,000,000
events, ours 38.4 s, rsigma 9.3 s (**4.1x**, load average 3-5); again on a quieter machine,
ours 37.9 s, rsigma 8.7 s (4.4x). Ingest (parse + store) costs ours another 82 s of CPU per
million events. 126 of 128 rules agree; the 2 others are
rsigma's, explained below (the first item was our bug, fixed):

* (fixed) ours found fewer: a ``|contains`` value ending in a literal ``%`` (``%AppData%``,
  ``%temp%``) never matches on SQLite, because the document prefilter
  (``alerting/detect/compile/sqlite/prefilter.py``) collapses ``\\%%`` to ``\\%`` and loses its
  trailing wildcard (Command Line Execution with Suspicious URL and AppData Strings; File
  Download Via Bitsadmin To A Suspicious Target Folder);
* rsigma finds fewer: its ``|windash`` only expands values written with ``-``, never ``/``
  (Cmd Launched with Hidden Start Flags: ``/b`` written ``-b`` or with a Unicode dash), and
  its ``|endswith`` with ``?`` wildcards matches the whole value (``E??`` does not match
  ``xEaa``: Weak Encryption Enabled and Kerberoast).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tools.detection import timed_cycle, window_config, window_rules
from tools.peer_engines import PeerRun, build_rsigma, run_rsigma, run_zircolite
from tools.peer_events import generate, load_sigma_rules, write_jsonl
from tools.peer_rules import choose_rules

from canhgac.models import DeadLetter, Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.parse.base import Origin
from ingest.parse.record import to_record

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "sigmahq-all"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
BATCH = 20_000


def ingest(events_file: Path, db: Path) -> tuple[int, int, float, float]:
    """The JSON lines through our Windows parser into a new store: (stored, dead letters,
    wall s, CPU s)."""
    origin = Origin(
        source="bench",
        identity="file:bench-peers",
        received_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        parser="windows",
        timezone="UTC",
    )
    store = SQLiteStore(db, synchronous="OFF")
    stored = dead = 0
    cpu, started = time.process_time(), time.perf_counter()
    try:
        batch: list[Event] = []
        with events_file.open("rb") as lines:
            for position, line in enumerate(lines):
                record = to_record(line, origin, position)
                if isinstance(record, DeadLetter):
                    dead += 1
                    continue
                batch.append(record)
                if len(batch) == BATCH:
                    stored += store.write_events(batch)
                    batch = []
        if batch:
            stored += store.write_events(batch)
    finally:
        store.close()
    return stored, dead, time.perf_counter() - started, time.process_time() - cpu


def run_ours(db: Path, rules_dir: Path, events: int) -> PeerRun:
    """One detection cycle of the rules over one window holding every stored event."""
    config = window_config(rules_dir, PIPELINE)
    rules = window_rules(config)
    store = SQLiteStore(db, synchronous="OFF")
    try:
        cycle = timed_cycle(store, config, rules)
    finally:
        store.close()
    matches = Counter(
        {rule.id: report.matches for rule, report in zip(rules, cycle.reports, strict=True)}
    )
    return PeerRun("ours (SQLite)", cycle.wall_s, cycle.cpu_s, matches, note=f"{len(rules)} rules")


def print_timings(runs: Sequence[PeerRun], events: int) -> None:
    ours = runs[0]
    print(
        f"\n{'engine':16} {'events':>10} {'wall s':>8} {'CPU s':>8} {'events/CPU s':>13}"
        f" {'ours/peer CPU':>14} {'ours/peer wall':>15}"
    )
    for run in runs:
        rate = events / run.cpu_s if run.cpu_s else float("inf")
        cpu_ratio = ours.cpu_s / run.cpu_s if run.cpu_s else float("inf")
        wall_ratio = ours.wall_s / run.wall_s if run.wall_s else float("inf")
        print(
            f"{run.engine:16} {events:>10,} {run.wall_s:8.2f} {run.cpu_s:8.2f} {rate:13,.0f}"
            f" {cpu_ratio:14.2f} {wall_ratio:15.2f}"
        )
        if run.note:
            print(f"{'':16} note: {run.note}")


def print_agreement(runs: Sequence[PeerRun], titles: dict[str, str]) -> list[str]:
    """Matches per rule side by side; returns the ids of the rules where engines disagree."""
    names = " ".join(f"{run.engine.split()[0]:>9}" for run in runs)
    print(f"\nmatches per rule ({len(titles)} rules; '!=' marks a disagreement)\n{names}     rule")
    disagree = []
    for rule_id, title in sorted(titles.items(), key=lambda item: item[1].lower()):
        counts = [run.matches.get(rule_id, 0) for run in runs]
        flag = "!=" if len(set(counts)) > 1 else "  "
        if flag == "!=":
            disagree.append(rule_id)
        print(" ".join(f"{count:9,}" for count in counts) + f"  {flag} {title}")
    firing = sum(1 for rule_id in titles if any(run.matches.get(rule_id) for run in runs))
    print(
        f"\nagreement: {len(titles) - len(disagree)} of {len(titles)} rules; "
        f"{firing} rules match at least once in some engine; {len(disagree)} disagree"
    )
    stray = {key for run in runs[1:] for key in run.matches} - set(titles)
    if stray:
        print(f"peer matches on ids not in the rule set: {sorted(stray)[:5]}")
    return disagree


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--plant-rate",
        type=float,
        default=0.002,
        help="share of events built from a rule's detection",
    )
    parser.add_argument(
        "--cache", type=Path, default=ROOT / "var" / "peers", help="where rsigma is built (once)"
    )
    parser.add_argument("--no-rsigma", action="store_true")
    parser.add_argument(
        "--rsigma-pipeline",
        default="sysmon",
        help="rsigma's pipeline ('' for none: every rule on every event)",
    )
    parser.add_argument("--zircolite", type=Path, help="a Zircolite checkout to compare with")
    parser.add_argument(
        "--zircolite-args",
        default="--json-input --pipeline sysmon",
        help="Zircolite's flags for JSON-lines input and the sysmon pipeline",
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the rules, events, store and peers' output here"
    )
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="canhgac-peers-"))
    try:
        rules_dir = choose_rules(CORPUS, PIPELINE, workdir)
        sigma_rules = load_sigma_rules(rules_dir)
        titles = {str(rule.id): str(rule.title) for rule in sigma_rules}
        events_file = workdir / "events.jsonl"
        start = datetime.now(UTC) - timedelta(hours=1, minutes=5)
        generated = time.perf_counter()
        write_jsonl(generate(sigma_rules, args.events, args.plant_rate, start), events_file)
        size_mb = events_file.stat().st_size / 1e6
        print(
            f"{len(sigma_rules)} rules; {args.events:,} events ({size_mb:,.0f} MB of JSON lines)"
            f" generated in {time.perf_counter() - generated:.1f} s"
        )

        stored, dead, wall, cpu = ingest(events_file, workdir / "ours.db")
        print(
            f"ours, ingest (parse + store, not in the table): {stored:,} stored, {dead} dead "
            f"letters, {wall:.1f} s wall, {cpu:.1f} s CPU ({stored / max(cpu, 1e-9):,.0f}/CPU s)"
        )
        runs = [run_ours(workdir / "ours.db", rules_dir, args.events)]
        binary = None if args.no_rsigma else build_rsigma(args.cache / "rsigma")
        if binary is not None:
            runs.append(run_rsigma(binary, rules_dir, events_file, workdir, args.rsigma_pipeline))
        if args.zircolite:
            extra = args.zircolite_args.split()
            runs.append(run_zircolite(args.zircolite, rules_dir, events_file, workdir, extra))
        print_timings(runs, args.events)
        print_agreement(runs, titles)
    finally:
        if args.keep:
            shutil.rmtree(args.keep, ignore_errors=True)
            shutil.move(str(workdir), args.keep)
            print(f"\nkept in {args.keep}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
