"""What data health reads from events and dead letters (canhgac.health.fields)."""

from __future__ import annotations

import pytest

from alerting.health.rules import HEALTH_RULES
from canhgac.health.fields import host_of_peer, reason_class, sequence_number
from canhgac.health.model import HealthBucket, SourceKey


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        ("line exceeds 1048576 bytes", "line exceeds N bytes"),
        ("binary data: not a text log record", "binary data"),
        ("invalid JSON: Expecting value: line 1 column 9", "invalid JSON"),
        ("parser auto failed: ValueError: boom at 3", "parser auto failed: ValueError"),
        ("RFC 5424 structured data is malformed", "RFC N structured data is malformed"),
        ("", "?"),
    ],
)
def test_reason_classes(reason: str, kind: str) -> None:
    assert reason_class(reason) == kind


@pytest.mark.parametrize(
    ("peer", "host"),
    [
        ("10.0.0.5:514", "10.0.0.5"),
        ("[2001:db8::1]:6514", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("unix-socket", "unix-socket"),
        (None, None),
        ("", None),
    ],
)
def test_sender_address_without_port(peer: str | None, host: str | None) -> None:
    assert host_of_peer(peer) == host


@pytest.mark.parametrize(
    ("value", "number"),
    [(7, 7), ("42", 42), ("007", 7), (-1, None), ("-1", None), ("4e2", None), ("١٢", None),
     ("9" * 19, None), (True, None), (1.5, None), (None, None)],
)  # fmt: skip
def test_sequence_numbers(value: object, number: int | None) -> None:
    assert sequence_number(value) == number


def test_health_rules_have_unique_prefixed_ids() -> None:
    assert all(rule_id.startswith("canhgac-health-") for rule_id in HEALTH_RULES)
    assert len({rule.title for rule in HEALTH_RULES.values()}) == len(HEALTH_RULES)


def test_bucket_ratios_and_labels() -> None:
    bucket = HealthBucket(
        key=SourceKey(source="syslog-tcp", host="", dataset="sshd"),
        hour="h",
        events=90,
        understood=45,
        raw=9,
        dead_letters=10,
        sequenced=99,
        sequence_gaps=1,
    )
    assert bucket.key.label == "syslog-tcp / ? / sshd"
    assert (bucket.understood_ratio, bucket.raw_ratio) == (0.5, 0.1)
    assert (bucket.dead_letter_ratio, bucket.sequence_gap_ratio) == (0.1, 0.01)
    assert HealthBucket(key=SourceKey(), hour="h").understood_ratio is None
