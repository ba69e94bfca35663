"""The demo stream: reproducible, time-ordered, well-formed for each channel, stamped "now"."""

from __future__ import annotations

import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from pathlib import Path
from urllib.parse import unquote

import pytest

from canhgac.demo.attacks import ATTACKS, SCENARIOS, Scenario
from canhgac.demo.benign import BACKGROUND_RULES, BENIGN
from canhgac.demo.catalog import CITIZENS, LEGACY_HOST
from canhgac.demo.generator import MAX_BURST_S, DemoStream, Emission
from canhgac.demo.model import Channel, LogLine
from canhgac.models import Event
from canhgac.timeutil import DISPLAY_ZONE, to_iso
from ingest.parse.base import Origin
from ingest.parse.record import to_record

RULES = Path(__file__).resolve().parents[3] / "rules"
START = datetime(2026, 11, 27, 3, 0, 0, 250_000, tzinfo=UTC)  # 10:00:00.25 in Hanoi

RFC3164 = re.compile(
    r"<(?P<pri>\d{1,3})>(?P<time>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
    r"(?P<tag>[\w.-]+(?:\(pam_unix\))?)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)\Z",
    re.S,
)
RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+07:00) (?P<host>\S+) "
    r"(?P<app>\S+) (?P<procid>\S+) - - (?P<msg>.*)\Z",
    re.S,
)
FORTIGATE = re.compile(
    r'<(?P<pri>\d{1,3})>date=\d{4}-\d\d-\d\d time=\d\d:\d\d:\d\d devname="[^"]+" devid="[^"]+" '
    r'eventtime=(?P<eventtime>\d{19}) tz="\+0700"( [a-z]+=("[^"]*"|[^\s"]+))+\Z'
)
COMBINED = re.compile(
    r"(?P<ip>[\d.]+) - - \[(?P<time>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0700)\] "
    r'"(?P<method>GET|POST) (?P<target>/\S*) HTTP/1\.1" (?P<status>\d{3}) (?P<size>\d+) '
    r'"(?P<referrer>[^"]*)" "(?P<agent>[^"]*)"\Z'
)
AUDIT = re.compile(r"type=[A-Z_]+ msg=audit\((?P<epoch>\d+\.\d{3}):\d+\): .+\Z")


def stream(seed: int = 7, **options: float) -> DemoStream:
    return DemoStream(seed, 20.0, START, **options)  # type: ignore[arg-type]


def take(source: DemoStream, seconds: float) -> list[Emission]:
    return list(takewhile(lambda emission: emission.at_s < seconds, source))


# --- format checks: each returns the line's timestamp ---------------------------------------
def syslog_time(line: LogLine) -> datetime:
    text = line.text
    if match := RFC5424.match(text):
        return datetime.fromisoformat(match["time"])
    if match := FORTIGATE.match(text):
        return datetime.fromtimestamp(int(match["eventtime"]) / 1e9, UTC)
    match = RFC3164.match(text)
    assert match, text
    assert 0 <= int(match["pri"]) <= 191
    moment = datetime.strptime(f"{START.year} {match['time']}", "%Y %b %d %H:%M:%S")
    if audit := AUDIT.match(match["msg"]):
        return datetime.fromtimestamp(float(audit["epoch"]), UTC)
    return moment.replace(tzinfo=DISPLAY_ZONE)


def json_time(line: LogLine) -> datetime:
    record = json.loads(line.text)
    assert isinstance(record, dict) and record["message"]
    if "winlog" in record:  # winlogbeat: the ECS event code is the Windows event id, a string
        assert record["event"]["code"] == record["winlog"]["event_id"]
        assert record["winlog"]["channel"] == "Security"
    return datetime.fromisoformat(record["@timestamp"].replace("Z", "+00:00"))


def access_time(line: LogLine) -> datetime:
    match = COMBINED.match(line.text)
    assert match, line.text
    return datetime.strptime(match["time"], "%d/%b/%Y:%H:%M:%S %z")


CHECKS: dict[Channel, Callable[[LogLine], datetime]] = {
    Channel.syslog_udp: syslog_time,
    Channel.syslog_tcp: syslog_time,
    Channel.http: json_time,
    Channel.file: access_time,
}


def test_every_channel_has_a_format_check() -> None:
    assert set(CHECKS) == set(Channel)


# --- the stream ------------------------------------------------------------------------------
def test_same_seed_same_stream_other_seed_other_stream() -> None:
    first = [(e.at_s, e.line) for e in islice(stream(7), 600)]
    again = [(e.at_s, e.line) for e in islice(stream(7), 600)]
    other = [(e.at_s, e.line) for e in islice(stream(8), 600)]
    assert first == again
    assert len({line.text for _, line in first}) > 550  # not one line repeated
    assert [line for _, line in other] != [line for _, line in first]


def test_emissions_are_in_time_order_and_interleave_attacks() -> None:
    emissions = take(stream(), 12.0)
    times = [emission.at_s for emission in emissions]
    assert times == sorted(times)
    kinds = [emission.line.attack is not None for emission in emissions]
    # attack lines are spread between benign ones, not sent as one block
    switches = sum(1 for a, b in zip(kinds, kinds[1:], strict=False) if a != b)
    assert switches > 2 * len(SCENARIOS)


def test_benign_rate_follows_the_setting() -> None:
    benign = [e for e in take(stream(), 100.0) if e.line.attack is None]
    assert 1_800 < len(benign) < 2_200  # 20 lines/s for 100 s, Poisson
    shares = Counter(e.line.channel for e in benign)
    assert set(shares) == set(Channel)  # every input is exercised
    assert shares[Channel.file] > shares[Channel.http]  # the portal dominates


def test_first_round_within_ten_seconds_then_every_period() -> None:
    emissions = take(stream(attack_period_s=60.0), 130.0)
    planted = [(e.at_s, e.planted.key) for e in emissions if e.planted is not None]
    first = [key for at, key in planted if at < 10.0]
    assert first == [scenario.key for scenario in SCENARIOS]
    for round_start in (60.0, 120.0):
        keys = [key for at, key in planted if round_start <= at < round_start + 10.0]
        assert keys == first
    assert len(planted) == 3 * len(SCENARIOS)


def test_planted_attack_carries_its_lines_and_start() -> None:
    emissions = take(stream(), 12.0)
    for emission in emissions:
        if emission.planted is None:
            continue
        attack = emission.planted
        sent = [e.line for e in emissions if e.line.attack == attack.key]
        assert list(attack.lines) == sent
        assert attack.planted_at.startswith("2026-11-27T03:00:")
        assert attack.rules and emission.line is attack.lines[0]


def test_every_line_is_well_formed_and_stamped_now() -> None:
    emissions = take(stream(), 60.0)
    for emission in emissions:
        stamped = CHECKS[emission.line.channel](emission.line)
        due = START + timedelta(seconds=emission.at_s)
        # whole seconds in syslog BSD time and nginx $time_local
        assert timedelta(seconds=-1) < stamped - due <= timedelta(0), emission.line.text


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        DemoStream(1, 0.0, START)
    with pytest.raises(ValueError, match="attack_period_s"):
        DemoStream(1, 5.0, START, first_round_s=10.0, attack_period_s=11.0)


# --- scenarios and benign kinds ----------------------------------------------------------------
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
def test_attack_burst_is_short_labelled_and_well_formed(scenario: Scenario) -> None:
    burst = scenario.build(random.Random(3), START)
    assert burst and min(item.delay_s for item in burst) == 0.0
    assert max(item.delay_s for item in burst) <= MAX_BURST_S
    for item in burst:
        assert item.line.attack == scenario.key
        stamped = CHECKS[item.line.channel](item.line)
        assert abs(stamped - (START + timedelta(seconds=item.delay_s))) < timedelta(seconds=1)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.key)
def test_attack_names_rules_that_exist(scenario: Scenario) -> None:
    stems = {p.stem for p in RULES.rglob("*.yml") if not p.name.endswith(".tests.yml")}
    assert set(scenario.rules) | set(scenario.also) <= stems


def test_background_rules_exist_and_scenario_keys_are_unique() -> None:
    stems = {p.stem for p in RULES.rglob("*.yml") if not p.name.endswith(".tests.yml")}
    assert set(BACKGROUND_RULES) <= stems
    keys = [scenario.key for scenario in SCENARIOS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("kind", sorted(BENIGN))
def test_benign_kind_is_unlabelled_and_well_formed(kind: str) -> None:
    rng = random.Random(5)
    assert BENIGN[kind].weight > 0
    for _ in range(50):
        line = BENIGN[kind].render(rng, START)
        assert line.attack is None
        CHECKS[line.channel](line)


def test_vietnamese_text_is_utf8_and_composed() -> None:
    lines = [e.line for e in take(stream(), 60.0)]
    payments = [json.loads(line.text) for line in lines if "guixe-api" in line.text]
    assert any(p["message"] == "Thanh toán phí gửi xe thành công" for p in payments)
    targets = [m["target"] for line in lines if (m := COMBINED.match(line.text))]
    names = {unquote(t.rpartition("&ten=")[2]) for t in targets if "&ten=" in t}
    assert len(names) > 3 and names <= set(CITIZENS), names
    # JSON stays raw UTF-8 (no \u escapes, which would defeat substring search), composed
    texts = [line.text for line in lines if line.channel is Channel.http]
    assert all("\\u" not in text and unicodedata.is_normalized("NFC", text) for text in texts)
    admins = [text for text in texts if "Quản trị viên" in text]
    assert admins and all(json.loads(t)["winlog"]["event_id"] == "4732" for t in admins)


def test_real_sender_variants_are_sent_and_understood() -> None:
    """rsyslog's RFC 5424 (MSG with its leading space), RHEL 4's old PAM form, nginx and
    Apache error logs over syslog: the demo sends each, and each is parsed, not just stored."""
    parsed = []
    for position, emission in enumerate(take(stream(11), 120.0)):
        origin = Origin(source="demo", identity="demo", received_at=to_iso(START), parser="auto")
        record = to_record(emission.line.text.encode(), origin, position)
        assert isinstance(record, Event), emission.line.text
        parsed.append(record.fields)

    ietf = [f for f in parsed if " - -  " in f["event.original"] and ">1 " in f["event.original"]]
    assert {f.get("event.action") for f in ietf} >= {"ssh_login", "session_opened"}
    assert all(not f["message"].startswith(" ") for f in ietf)

    old = [f for f in parsed if "(pam_unix)[" in f["event.original"]]
    assert {f["event.action"] for f in old} == {"session_opened", "su"}  # su: the attack
    assert {f["process.name"] for f in old} <= {"sshd", "crond", "su"}
    assert all(f["host.name"] == LEGACY_HOST.name for f in old)

    errors = {f["event.dataset"]: f for f in parsed if f["event.dataset"].endswith(".error")}
    assert set(errors) == {"nginx.error", "apache.error"}
    assert errors["nginx.error"]["url.domain"] == "dichvucong.hanoi.gov.vn"
    assert "Không tìm thấy hồ sơ" in errors["apache.error"]["message"]
    assert all("source.ip" in f and f["log.level"] == "error" for f in errors.values())


def test_legacy_su_attack_uses_the_old_pam_form() -> None:
    burst = ATTACKS["su_root_legacy"].build(random.Random(3), START)
    assert all(" su(pam_unix)[" in item.line.text for item in burst)
