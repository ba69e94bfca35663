"""util-linux logger straight to the pipeline's syslog listener, in every format it writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.corpus import check_event, city_lines
from tests.senders.delivery import deliver
from tests.senders.pipeline import Pipeline
from tests.senders.programs import logger, to_network

pytestmark = pytest.mark.senders

FORMATS = {
    "rfc5424-udp": ("udp", "--rfc5424"),
    "rfc5424-tcp-lf": ("tcp", "--rfc5424"),
    "rfc5424-tcp-octet-count": ("tcp", "--rfc5424", "--octet-count"),
    "rfc3164-udp": ("udp", "--rfc3164"),
    "rfc3164-tcp-lf": ("tcp", "--rfc3164"),
}


@pytest.mark.parametrize("form", sorted(FORMATS))
def test_logger_lines_become_the_exact_events_and_alerts(
    form: str, canhgac: Pipeline, rules: CompiledRuleSet
) -> None:
    transport, *formats = FORMATS[form]
    options = to_network(canhgac.port, transport, *formats)

    def send(tag: str, pid: int, priority: str, messages: Sequence[str]) -> None:
        logger(options, tag, pid, priority, messages)

    deliver(canhgac, rules, send)


def test_a_utc_hosts_rfc3164_lines_are_read_in_the_zone_its_source_names(tmp_path: Path) -> None:
    # RFC 3164 times carry no zone: the source says which one the sending host's clock keeps.
    canhgac = Pipeline.listening(tmp_path, timezone="UTC")
    canhgac.start()
    try:
        lines = [line for line in city_lines() if line.tag == "sshd"]
        sent_at = datetime.now(UTC)
        for line in lines:
            options = to_network(canhgac.port, "udp", "--rfc3164")
            logger(options, line.tag, line.pid, line.priority, [line.message], zone="UTC")
        canhgac.wait_stored(len(lines))
        events = canhgac.events()
    finally:
        canhgac.stop()
    problems = [p for line in lines for p in check_event(events, line, sent_at)]
    assert not problems, "\n".join(problems)
