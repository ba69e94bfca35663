"""One sender's delivery of the city lines, checked end to end: every event with its exact
fields, nothing extra, nothing dead-lettered, and exactly the expected alerts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.corpus import (
    BRUTE_FORCE,
    BRUTE_FORCE_IP,
    EXPECTED_ALERTS,
    GUESSED,
    alert_keys,
    check_event,
    city_lines,
)
from tests.senders.pipeline import Pipeline

# Sends messages as a program would: (program name, pid, facility.severity, messages).
Send = Callable[[str, int, str, Sequence[str]], None]


def deliver(canhgac: Pipeline, rules: CompiledRuleSet, send: Send) -> None:
    lines = city_lines()
    sent_at = datetime.now(UTC)
    for line in lines:
        send(line.tag, line.pid, line.priority, [line.message])
    send("sshd", 2300, "auth.info", BRUTE_FORCE)
    time.sleep(1 - time.time() % 1)  # the next whole second: see GUESSED
    send("sshd", 2301, "auth.info", [GUESSED])
    expected = len(lines) + len(BRUTE_FORCE) + 1
    canhgac.wait_stored(expected)
    events = canhgac.events()
    problems = [p for line in lines for p in check_event(events, line, sent_at)]
    problems += [f"dead letter: {d}" for d in canhgac.dead_letters()]
    if len(events) != expected:
        problems.append(f"{len(events)} events stored, {expected} sent")
    alerts = canhgac.alerts(rules)
    got = alert_keys(alerts)
    problems += [f"missing alert {a}" for a in sorted(EXPECTED_ALERTS - got)]
    problems += [f"unexpected alert {a}" for a in sorted(got - EXPECTED_ALERTS)]
    burst = [a for a in alerts if a.title == "SSH Brute Force From One Source"]
    if burst and burst[0].count != len(BRUTE_FORCE):
        problems.append(f"brute force alert counts {burst[0].count} of {len(BRUTE_FORCE)} failures")
    assert not problems, f"{len(problems)} problems (brute force from {BRUTE_FORCE_IP}):\n" + (
        "\n".join(problems)
    )
