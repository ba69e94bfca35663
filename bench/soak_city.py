"""The headline soak: one city on one box, the demo's city stream at a fixed rate.

    .venv/bin/python bench/soak_city.py --rate 3000 --minutes 5 --plot /tmp/soak.png
    .venv/bin/python bench/soak_city.py --find-max --rate 1000 --minutes 3   # step the rate up
    .venv/bin/python bench/soak_city.py --sigma 0 --rate 2000 --minutes 2   # project rules only
    .venv/bin/python bench/soak_city.py --mode scaled --rate 300 --minutes 3  # Kafka + ES
    .venv/bin/python bench/soak_city.py --stop-mid-tick --rate 300   # SIGTERM during a tick

Embedded mode (the default): starts `canhgac run` (the default configuration on free loopback
ports, plus a tailed access log; SQLite, in-process transport) in a temporary folder. Scaled
mode: `canhgac collect` -> Kafka -> `canhgac index` (``--indexers`` of them) -> Elasticsearch
-> `canhgac detect`, one process per role, on deploy/services (``source
var/services/services.env`` first), with topics and indices of its own, deleted afterwards;
events stored are counted in Elasticsearch, RSS and CPU summed over the roles. Either way,
with every project rule plus
``--sigma`` SigmaHQ rules imported by `canhgac rules import` from ../shared/sigmahq-all, all
on the default 1-minute schedule. A child process plays the demo's stream (canhgac/cli/demo:
Vietnamese city traffic over syslog UDP and TCP, HTTP JSON and the tailed file) at ``--rate``
events/s, with every planted attack about once a minute (every 67 s, so that the attacks meet
every phase of the rules' schedule). Per minute it reports events sent (and how far the
sending fell behind schedule: push-back), stored, dead-lettered and dropped (UDP,
``canhgac_udp_dropped_total``), the ingest lag, RSS and CPU of the canhgac process trees, the
p50/p99 event -> alert latency of the planted attacks and the attacks never alerted; then
disk growth per million events and whether the rate is sustainable: sent on schedule,
nothing lost, every attack alerted, p99 <= interval + 10 s, no RSS growth trend; and how
long each process took to stop on SIGTERM. A benchmark: it prints, it asserts nothing (exit
status 1 if not sustainable). ``--stop-mid-tick`` instead stops the embedded instance while a
detection tick runs under the stream, starts it again and checks every rule's windows
(bench/tools/soak_stop.py).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # for tests.support (free ports) when run as a script
    sys.path.insert(0, str(ROOT))

from tools.sigma_pack import DEFAULT_PACK  # noqa: E402
from tools.soak_run import MODES, Options, Trial, run_trial  # noqa: E402
from tools.soak_stats import MinuteRow, minute_rows, verdict  # noqa: E402

STEP = 1.5  # --find-max multiplies (or divides) the rate by this between trials
MIN_RATE = 10


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


# header, width, cell
COLUMNS: tuple[tuple[str, int, Callable[[MinuteRow], object]], ...] = (
    ("min", 3, lambda r: r.minute),
    ("sent", 8, lambda r: r.sent),
    ("behind s", 8, lambda r: f"{r.behind_s:.1f}"),
    ("stored", 8, lambda r: r.stored),
    ("dead", 5, lambda r: r.dead),
    ("dropped", 7, lambda r: r.dropped),
    ("stored/s", 8, lambda r: f"{(r.stored + r.dead) / 60:.0f}"),
    ("lag s", 6, lambda r: f"{r.lag_s:.1f}"),
    ("detect s", 8, lambda r: f"{r.detect_delay_s:.0f}"),
    ("RSS MiB", 7, lambda r: f"{r.rss_mb:.0f}"),
    ("CPU %", 5, lambda r: f"{r.cpu_pct:.0f}"),
    ("load", 5, lambda r: f"{r.load:.1f}"),
    ("attacks", 7, lambda r: r.planted),
    ("missed", 6, lambda r: r.missed),
    ("p50 s", 6, lambda r: _seconds(r.p50_s)),
    ("p99 s", 6, lambda r: _seconds(r.p99_s)),
)
LEGEND = (
    "behind: worst delay of the sender behind schedule (push-back); lag: age of the oldest "
    "event sent and not yet stored; detect: how far the most behind rule's coverage trails "
    "the clock; CPU: the canhgac process trees, % of one core; load: the machine's load "
    "average; p50/p99: event -> alert latency of the attacks planted in the minute"
)


def render_table(rows: list[MinuteRow]) -> str:
    lines = [" ".join(f"{header:>{width}}" for header, width, _ in COLUMNS)]
    for row in rows:
        lines.append(" ".join(f"{cell(row)!s:>{width}}" for _, width, cell in COLUMNS))
    return "\n".join(lines)


def report(trial: Trial, interval_s: float, plot: Path | None) -> list[str]:
    """Print the trial's table and summary; return why it is not sustainable (empty: it is)."""
    rows = minute_rows(trial.samples, trial.marks, trial.attacks, trial.minutes)
    totals = trial.totals()
    rules = f"{trial.sigma_rules} SigmaHQ rules"
    print(f"\nrate {trial.rate:g} events/s for {trial.minutes} min, {rules} ({trial.workdir})")
    print(trial.deployment)
    print(render_table(rows))
    print(textwrap.fill(LEGEND, 100))
    per_million = trial.disk_bytes / max(1, totals.stored) * 1e6 / 2**20
    print(
        f"totals: sent {totals.events_sent} events ({trial.marks[-1].lines} lines), "
        f"stored {totals.stored} (database {trial.stored_in_db}), dead letters {totals.dead} "
        f"(database {trial.dead_in_db}), UDP dropped {totals.dropped}, "
        f"sender errors {trial.sender_errors}"
    )
    channels = ", ".join(
        f"{name} {lines} (worst {behind:.1f} s behind)"
        for name, (lines, behind) in trial.lines_by_channel.items()
    )
    print(f"lines sent by channel: {channels}")
    print(f"events stored by source: {trial.stored_by_source}")
    print(f"disk growth: {per_million:.0f} MiB per million events stored")
    stops = ", ".join(f"{role} {seconds:.1f} s" for role, seconds in trial.stop_s.items())
    print(f"stop on SIGTERM took: {stops}")
    reasons = verdict(rows, trial.attacks, totals, interval_s)
    print("sustainable" if not reasons else "NOT sustainable: " + "; ".join(reasons))
    if plot is not None:
        from tools.soak_plot import plot_rows

        what = "canhgac run" if trial.deployment.startswith("embedded") else "scaled roles"
        plot_rows(rows, f"{what} at {trial.rate:g} events/s, {rules}", plot)
        print(f"plot: {plot}")
    return reasons


def _at(plot: Path | None, rate: float) -> Path | None:
    """One plot per trial of --find-max: the rate goes into the file name."""
    return None if plot is None else plot.with_stem(f"{plot.stem}_{rate:g}eps")


def find_max(rate: float, minutes: int, options: Options, plot: Path | None) -> float | None:
    """The highest rate a trial sustains, in steps of STEP: up from ``rate`` while trials
    hold, or down from it until one does (not below MIN_RATE)."""
    held = not report(run_trial(rate, minutes, options), options.interval_s, _at(plot, rate))
    best = rate if held else None
    step = STEP if held else 1 / STEP
    while True:
        rate = round(rate * step)
        if rate < MIN_RATE:
            break
        held = not report(run_trial(rate, minutes, options), options.interval_s, _at(plot, rate))
        if held:
            best = max(best or 0, rate)
        if held != (step > 1):  # the first failure going up, the first success going down
            break
    print(f"\nhighest sustained rate: {best if best is not None else 'none'} events/s")
    return best


def stop_mid_tick(rate: float, options: Options) -> bool:
    """Print how long a stop during a tick took and whether windows resumed seamlessly."""
    from tools.soak_stop import STOP_WITHIN_S, check_stop

    check = check_stop(rate, options.sigma, options.pack, options.seed)
    print(
        f"\n{check.rules} rules, SIGTERM {'during' if check.tick_running else 'after'} a tick: "
        f"stopped in {check.stop_s:.1f} s; after the restart {len(check.gaps)} gaps, "
        f"{len(check.overlaps)} overlaps, {check.never_searched} rules never searched"
    )
    for problem in (check.gaps + check.overlaps)[:10]:
        print(f"  {problem}")
    return (
        check.tick_running and check.stop_s <= STOP_WITHIN_S and not (check.gaps or check.overlaps)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20000, help="events/s (default 20000)")
    parser.add_argument("--minutes", type=int, default=30, help="stream length (default 30)")
    parser.add_argument("--sigma", type=int, default=400, help="SigmaHQ rules (default 400)")
    parser.add_argument("--pack", type=Path, default=DEFAULT_PACK, help="SigmaHQ rule folder")
    parser.add_argument(
        "--find-max", action="store_true", help="step --rate by 1.5x to the highest that holds"
    )
    parser.add_argument("--plot", type=Path, help="write per-minute charts to this PNG")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=MODES, default="embedded", help="default embedded")
    parser.add_argument("--indexers", type=int, default=1, help="scaled mode: indexer processes")
    parser.add_argument(
        "--stop-mid-tick", action="store_true", help="SIGTERM during a tick, restart, check"
    )
    args = parser.parse_args()
    options = Options(
        sigma=args.sigma,
        pack=args.pack,
        keep=args.keep,
        seed=args.seed,
        mode=args.mode,
        indexers=args.indexers,
    )
    if args.stop_mid_tick:
        sys.exit(0 if stop_mid_tick(args.rate, options) else 1)
    if args.find_max:
        sys.exit(0 if find_max(args.rate, args.minutes, options, args.plot) else 1)
    trial = run_trial(args.rate, args.minutes, options)
    sys.exit(1 if report(trial, options.interval_s, args.plot) else 0)


if __name__ == "__main__":
    main()
