"""The soak's per-minute rows as four small charts: rate, ingest lag, RSS, alert latency.

matplotlib is a bench extra (``pip install -e '.[bench]'``); it is imported only here, only
when a plot is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .soak_stats import MinuteRow


def plot_rows(rows: Sequence[MinuteRow], title: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    minutes = [row.minute for row in rows]
    figure, axes = plt.subplots(2, 2, figsize=(10, 6), sharex=True)
    (rate, lag), (rss, latency) = axes
    rate.plot(minutes, [row.sent / 60 for row in rows], marker="o", label="sent")
    rate.plot(minutes, [(row.stored + row.dead) / 60 for row in rows], marker="x", label="stored")
    rate.set_ylabel("events/s")
    rate.legend()
    lag.plot(minutes, [row.lag_s for row in rows], marker="o", color="tab:red")
    lag.set_ylabel("ingest lag (s)")
    rss.plot(minutes, [row.rss_mb for row in rows], marker="o", color="tab:green")
    rss.set_ylabel("RSS (MiB)")
    for name, pick in (("p50", "p50_s"), ("p99", "p99_s")):
        points = [(row.minute, getattr(row, pick)) for row in rows if getattr(row, pick)]
        latency.plot([m for m, _ in points], [v for _, v in points], marker="o", label=name)
    latency.set_ylabel("event -> alert (s)")
    latency.legend()
    for axis in (rss, latency):
        axis.set_xlabel("minute")
    figure.suptitle(title)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)
