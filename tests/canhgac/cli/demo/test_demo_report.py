"""The demo report against a real SQLite store holding alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from canhgac.cli.demo.model import Channel, LogLine, PlantedAttack
from canhgac.cli.demo.report import (
    alerts_since,
    build_outcome,
    demo_since,
    render_outcome,
    rule_stem,
    wait_for_outcome,
)
from canhgac.models import Alert, Severity
from canhgac.store.sqlite.store import SQLiteStore

STARTED = "2026-11-27T03:00:00.400000Z"
BEFORE = "2026-11-27T02:59:58.000000Z"
DURING = "2026-11-27T03:00:05.000000Z"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "canhgac.db")
    yield s
    s.close()


def record(
    store: SQLiteStore, stem: str, seen: str, *, folder: str = "linux/sshd", n: int = 1
) -> None:
    alert = Alert(
        id=f"{stem}-{seen}",
        rule_id=f"id-{stem}",
        rule_title=f"Title of {stem}",
        rule_path=f"rules/{folder}/{stem}.yml",
        severity=Severity.high,
        first_seen=seen,
        last_seen=seen,
        created_at=seen,
        updated_at=seen,
    )
    store.record_alert(alert, [f"{stem}-{seen}-{i}" for i in range(n)])


def planted(key: str, rules: tuple[str, ...], also: tuple[str, ...] = ()) -> PlantedAttack:
    line = LogLine(Channel.syslog_udp, f"<38>Nov 27 10:00:01 h sshd[1]: {key}", key)
    return PlantedAttack(key, f"Attack {key}", rules, also, DURING, (line,))


ATTACKS = [
    planted("ssh_brute_force", ("lnx_sshd_invalid_user",), ("lnx_sshd_failed_password",)),
    planted("sudo_shell", ("lnx_sudo_root_shell",)),
    planted("log4shell", ("web_log4shell_jndi",)),
    planted("ssh_brute_force", ("lnx_sshd_invalid_user",), ("lnx_sshd_failed_password",)),
]


def test_caught_missed_unexpected_and_background(store: SQLiteStore) -> None:
    record(store, "lnx_sshd_invalid_user", DURING, n=6)
    record(store, "lnx_sshd_failed_password", DURING, n=6)
    record(store, "lnx_sudo_root_shell", BEFORE)  # an earlier run: does not count
    record(store, "lnx_user_created", DURING, folder="linux/auth")  # nobody planted this
    record(store, "fgt_policy_deny_from_source", DURING, folder="fortigate/firewall", n=9)

    outcome = build_outcome(store, ATTACKS, STARTED)

    by_key = {attack.key: attack for attack in outcome.attacks}
    assert list(by_key) == ["ssh_brute_force", "sudo_shell", "log4shell"]
    brute = by_key["ssh_brute_force"]
    assert brute.caught and brute.planted == 2
    assert [a.count for a in brute.alerts] == [6] and len(brute.related) == 1
    assert [a.key for a in outcome.missed] == ["sudo_shell", "log4shell"]
    assert not outcome.all_caught
    assert [rule_stem(a.rule_path) for a in outcome.unexpected] == ["lnx_user_created"]
    assert [rule_stem(a.rule_path) for a in outcome.background] == ["fgt_policy_deny_from_source"]
    assert outcome.summary == (
        "1/3 planted attacks caught; missed: sudo_shell, log4shell; 1 unexpected alert(s); "
        "1 background alert(s)"
    )


def test_all_caught_and_rendered(store: SQLiteStore) -> None:
    record(store, "lnx_sshd_invalid_user", DURING, n=6)
    record(store, "lnx_sudo_root_shell", DURING)
    record(store, "web_log4shell_jndi", DURING, folder="web/webserver", n=3)
    record(store, "win_security_log_cleared", DURING, folder="windows/security")

    outcome = build_outcome(store, ATTACKS, STARTED)
    console = Console(record=True, width=160, color_system=None)
    console.print(render_outcome(outcome))
    text = console.export_text()

    assert outcome.all_caught
    assert text.count("✓ caught") == 3 and "✗ missed" not in text
    assert "(×2)" in text and "(also lnx_sshd_failed_password)" in text
    assert "Unexpected alerts" in text and "win_security_log_cleared" in text
    assert "3/3 planted attacks caught; 1 unexpected alert(s)" in text


def test_missed_is_rendered(store: SQLiteStore) -> None:
    outcome = build_outcome(store, ATTACKS[1:2], STARTED)
    console = Console(record=True, width=160, color_system=None)
    console.print(render_outcome(outcome))
    assert "✗ missed" in console.export_text() and outcome.missed


def test_since_floors_to_the_second_for_whole_second_log_times(store: SQLiteStore) -> None:
    assert demo_since(STARTED) == "2026-11-27T03:00:00.000000Z"
    record(store, "lnx_sudo_root_shell", "2026-11-27T03:00:00.000000Z")  # a BSD syslog time
    assert build_outcome(store, ATTACKS[1:2], STARTED).all_caught
    assert alerts_since(store, "2026-11-27T03:00:00.000001Z") == []


@pytest.mark.parametrize(
    ("path", "stem"),
    [
        ("rules/linux/sshd/lnx_sshd_invalid_user.yml", "lnx_sshd_invalid_user"),
        ("/opt/canhgac/rules/web/webserver/web_sql_injection.yaml", "web_sql_injection"),
        (
            r"C:\canhgac\rules\windows\security\win_security_log_cleared.yml",
            "win_security_log_cleared",
        ),
        ("web_log4shell_jndi.yml", "web_log4shell_jndi"),
    ],
)
def test_rule_stem(path: str, stem: str) -> None:
    assert rule_stem(path) == stem


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_for_outcome_polls_until_caught(store: SQLiteStore) -> None:
    time = FakeTime()

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if len(time.sleeps) == 2:  # detection runs while the report waits
            record(store, "lnx_sudo_root_shell", DURING)

    outcome = wait_for_outcome(
        store, ATTACKS[1:2], STARTED, 60.0, poll_s=5.0, clock=time.clock, sleep=sleep
    )
    assert outcome.all_caught and time.sleeps == [5.0, 5.0]


def test_wait_for_outcome_gives_up_at_the_timeout(store: SQLiteStore) -> None:
    time = FakeTime()
    outcome = wait_for_outcome(
        store, ATTACKS[1:2], STARTED, 12.0, poll_s=5.0, clock=time.clock, sleep=time.sleep
    )
    assert not outcome.all_caught and time.sleeps == [5.0, 5.0, 2.0]
