"""The pieces of the data sources pages: source ids, order, sparkline geometry, number format."""

from __future__ import annotations

import base64
import re

import pytest

from alerting.triage.render import plain
from alerting.triage.sources import (
    ID_PATTERN,
    SourceRow,
    concerns,
    parse_source_id,
    row_of,
    source_id,
    worst_first,
)
from alerting.triage.sparkline import sparkline
from alerting.triage.web.sources import local_duration, percent, signed_duration
from canhgac.health.model import (
    HealthBucket,
    Quality,
    SourceHealth,
    SourceKey,
    Status,
    Verdict,
)

from .conftest import HOSTILE_SOURCE

KEYS = [
    SourceKey(source="syslog-tcp", host="ecab-db01", dataset="system.auth"),
    SourceKey(source="tệp-nhật-ký", host="máy chủ Hà Nội", dataset=""),
    SourceKey(),
    SourceKey(source=HOSTILE_SOURCE, host="/../?#&", dataset="\x00\u202e"),
]


@pytest.mark.parametrize("key", KEYS)
def test_a_source_id_is_url_safe_and_gives_its_key_back(key: SourceKey) -> None:
    text = source_id(key)
    assert re.fullmatch(ID_PATTERN, text)
    assert parse_source_id(text) == key


def test_only_the_canonical_spelling_of_an_id_is_accepted() -> None:
    def encode(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode()

    canonical = source_id(KEYS[0])
    assert parse_source_id(canonical + "=") is None  # padding
    assert parse_source_id(encode('["syslog-tcp", "ecab-db01", "system.auth"]')) is None
    assert parse_source_id(encode('["a","b",3]').rstrip("=")) is None
    assert parse_source_id(encode('{"a":"b"}').rstrip("=")) is None
    assert parse_source_id(encode("[" * 1400).rstrip("=")) is None  # too deep for json
    assert parse_source_id("") is None
    assert parse_source_id("A" * 2001) is None


def _health(key: SourceKey, **statuses: Status) -> SourceHealth:
    verdicts = {Quality(q): Verdict(quality=Quality(q), status=s) for q, s in statuses.items()}
    return SourceHealth(key=key, verdicts=verdicts)


def test_worst_first_failing_then_degraded_then_unknown_then_ok() -> None:
    def key(name: str) -> SourceKey:
        return SourceKey(source=name)

    rows = [
        row_of(_health(key("a-ok"), live=Status.ok, clean=Status.ok)),
        row_of(_health(key("b-unknown"))),
        row_of(_health(key("c-degraded"), live=Status.ok, clean=Status.degraded)),
        row_of(_health(key("d-one-failing"), live=Status.failing)),
        row_of(_health(key("e-two-failing"), live=Status.failing, correct=Status.failing)),
        row_of(_health(key("f-failing-degraded"), live=Status.failing, clean=Status.degraded)),
    ]
    ordered = [r.key.source for r in sorted(rows, key=worst_first)]
    assert ordered == [
        "e-two-failing",
        "f-failing-degraded",
        "d-one-failing",
        "c-degraded",
        "b-unknown",
        "a-ok",
    ]


def test_a_row_reads_missing_verdicts_as_unknown_and_finds_its_judged_hour() -> None:
    key = KEYS[0]
    hours = [
        HealthBucket(key=key, hour="2026-03-10T01:00:00.000000Z", events=5),
        HealthBucket(key=key, hour="2026-03-10T02:00:00.000000Z", dead_letters=1),
        HealthBucket(key=key, hour="2026-03-10T03:00:00.000000Z"),
    ]
    row: SourceRow = row_of(SourceHealth(key=key, hourly=hours))
    assert row.verdict(Quality.clean).status is Status.unknown
    assert row.last_hour is hours[2] and row.judged_hour is hours[1]
    assert row_of(SourceHealth(key=key)).judged_hour is None


def test_a_health_alert_concerns_its_key_or_its_whole_source() -> None:
    key = KEYS[0]
    assert concerns({"source": "syslog-tcp", "host": "ecab-db01", "dataset": "system.auth"}, key)
    assert concerns({"source": "syslog-tcp", "host": "", "dataset": ""}, key)
    assert not concerns({"source": "syslog-tcp", "host": "ecab-web01", "dataset": ""}, key)
    assert not concerns({"source": "syslog-udp", "host": "", "dataset": ""}, key)
    assert not concerns({"user.name": "root"}, key)


def test_sparkline_bars_are_stacked_to_scale() -> None:
    key = KEYS[0]
    hours = [
        HealthBucket(key=key, hour="h0"),
        HealthBucket(key=key, hour="h1", events=100, understood=100),
        HealthBucket(key=key, hour="h2", events=50, understood=20, dead_letters=50),
        HealthBucket(key=key, hour="h3", events=1000, understood=1000, dead_letters=1),
    ]
    chart = sparkline(hours, width=40, height=101, gap=2.0)
    assert chart.peak == 1001
    assert [(b.x, b.width) for b in chart.bars] == [
        (0.0, 8.0),
        (10.0, 8.0),
        (20.0, 8.0),
        (30.0, 8.0),
    ]
    assert chart.bars[0].segments == ()
    scale = 100 / 1001
    [only] = chart.bars[1].segments
    assert (only.kind, only.height) == ("understood", round(100 * scale, 2))
    kinds = [(s.kind, s.height) for s in chart.bars[2].segments]
    assert kinds == [
        ("understood", round(20 * scale, 2)),
        ("not-understood", round(30 * scale, 2)),
        ("dead-letter", round(50 * scale, 2)),
    ]
    # stacked: each segment sits on the one below it (to the rounding of the pixel values)
    low, mid, top = chart.bars[2].segments
    assert low.y + low.height == pytest.approx(100, abs=0.02)
    assert mid.y + mid.height == pytest.approx(low.y, abs=0.02)
    assert top.y + top.height == pytest.approx(mid.y, abs=0.02)
    # one dead letter among a thousand events still shows
    assert chart.bars[3].segments[-1].height == 1.5
    assert min(s.y for s in chart.bars[3].segments) >= 0


def test_an_empty_series_draws_no_bars() -> None:
    chart = sparkline([], width=144, height=28)
    assert (chart.peak, chart.bars) == (0, ())


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [(None, "—"), (0.0, "0 %"), (1.0, "100 %"), (0.004, "0.4 %"), (0.5, "50 %"), (0.996, "99.6 %")],
)
def test_percent_keeps_small_shares_visible(ratio: float | None, shown: str) -> None:
    assert percent(ratio) == shown


def test_durations_in_both_languages() -> None:
    assert local_duration(3800, "vi") == "63 phút"
    assert local_duration(3800, "en") == "63 min"
    assert local_duration(None, "vi") == "—"
    assert signed_duration(1200.0, "vi") == "+20 phút"
    assert signed_duration(-600.0, "en") == "-10 min"
    assert signed_duration(2.0, "en") == "+2 s"
    assert signed_duration(None, "en") == "—"


def test_plain_text_shows_invisible_characters_as_codes() -> None:
    assert plain("nguồn\u202egnp.exe\x00") == "nguồnU+202Egnp.exeU+0000"
    assert plain("<b>") == "<b>"  # escaping is left to autoescape
