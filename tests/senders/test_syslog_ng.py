"""syslog-ng forwarding a server's logs to the pipeline: the RFC 5424 ``syslog()`` driver
(octet-counted over TCP) and the legacy BSD ``network()`` driver over TCP and UDP."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.delivery import deliver
from tests.senders.pipeline import Pipeline
from tests.senders.programs import StartDaemon, syslog_ng
from tests.senders.relay import through

pytestmark = pytest.mark.senders

# name -> the destination driver, {port} filled in
DESTINATIONS = {
    "syslog-tcp-rfc5424": 'syslog("127.0.0.1" transport("tcp") port({port}))',
    "network-tcp-bsd": 'network("127.0.0.1" transport("tcp") port({port}))',
    "network-udp-bsd": 'network("127.0.0.1" transport("udp") port({port}))',
}


@pytest.mark.parametrize("form", sorted(DESTINATIONS))
def test_syslog_ng_forwards_the_exact_events_and_alerts(
    form: str,
    canhgac: Pipeline,
    rules: CompiledRuleSet,
    sender_dir: Path,
    start_daemon: StartDaemon,
) -> None:
    daemon = start_daemon(syslog_ng(sender_dir, DESTINATIONS[form].format(port=canhgac.port)))
    try:
        deliver(canhgac, rules, through(daemon))
    except AssertionError as failed:
        raise AssertionError(f"{failed}\nsyslog-ng said:\n{daemon.output()}") from None
