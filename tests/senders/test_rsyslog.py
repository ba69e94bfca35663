"""rsyslogd forwarding a server's logs to the pipeline with its stock templates, and reading
a web server's log files with imfile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.corpus import Line, check_event, city_lines
from tests.senders.delivery import deliver
from tests.senders.pipeline import Pipeline
from tests.senders.programs import StartDaemon, omfwd, rsyslog
from tests.senders.relay import through

pytestmark = pytest.mark.senders

# name -> (protocol, template, TCP framing); None: omfwd's default template
# (RSYSLOG_TraditionalForwardFormat, BSD syslog).
FORWARDING = {
    "tcp-octet-counted-rfc5424": ("tcp", "RSYSLOG_SyslogProtocol23Format", "octet-counted"),
    "tcp-lf-forward-format": ("tcp", "RSYSLOG_ForwardFormat", None),
    "udp-rfc5424": ("udp", "RSYSLOG_SyslogProtocol23Format", None),
    "udp-default": ("udp", None, None),
}


@pytest.mark.parametrize("form", sorted(FORWARDING))
def test_rsyslog_forwards_the_exact_events_and_alerts(
    form: str,
    canhgac: Pipeline,
    rules: CompiledRuleSet,
    sender_dir: Path,
    start_daemon: StartDaemon,
) -> None:
    protocol, template, framing = FORWARDING[form]
    action = omfwd(canhgac.port, protocol, template, framing)
    daemon = start_daemon(rsyslog(sender_dir, action))
    try:
        deliver(canhgac, rules, through(daemon))
    except AssertionError as failed:
        raise AssertionError(f"{failed}\nrsyslogd said:\n{daemon.output()}") from None


def _web_lines() -> list[Line]:
    return [line for line in city_lines() if line.tag == "nginx"]


def test_rsyslog_imfile_forwards_web_server_log_files(
    canhgac: Pipeline, sender_dir: Path, start_daemon: StartDaemon
) -> None:
    access, error = sender_dir / "access.log", sender_dir / "error.log"
    access.touch()
    error.touch()
    # As rsyslog's documentation configures it: the tag ends with the colon of a syslog tag.
    inputs = "\n".join(
        f'input(type="imfile" File="{path}" Tag="nginx:" Facility="local7" '
        f'Severity="{severity}" ruleset="forward")'
        for path, severity in ((access, "info"), (error, "error"))
    )
    action = omfwd(canhgac.port, "tcp", "RSYSLOG_SyslogProtocol23Format", "octet-counted")
    start_daemon(rsyslog(sender_dir, action, inputs='module(load="imfile")\n' + inputs))
    lines = _web_lines()
    sent_at = datetime.now(UTC)
    _append(access, [line.message for line in lines if "[error]" not in line.message])
    _append(error, [line.message for line in lines if "[error]" in line.message])
    canhgac.wait_stored(len(lines))
    events = canhgac.events()
    problems = [p for line in lines for p in check_event(events, line, sent_at)]
    assert len(events) == len(lines)
    assert not problems, "\n".join(problems)


def _append(path: Path, messages: Sequence[str]) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write("".join(m + "\n" for m in messages))
