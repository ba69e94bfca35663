"""Real senders over TLS (RFC 5425: octet-counted syslog in TLS) to a ``syslog_tcp`` source
with ``tls:``, each presenting a client certificate the source requires: rsyslogd through both
of Debian's TLS drivers (OpenSSL and GnuTLS) and syslog-ng's ``syslog()`` driver; a sender
whose certificate is not on the list is refused and stores nothing."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from alerting.detect.compile.rules import CompiledRuleSet
from tests.senders.delivery import deliver
from tests.senders.pipeline import Pipeline
from tests.senders.programs import Daemon, StartDaemon, logger, rsyslog, syslog_ng, to_socket
from tests.senders.relay import through
from tests.support.certificates import ALLOWED_SENDER, SERVER_NAME, UNLISTED_SENDER, KeyPair, Pki
from tests.support.city_traffic import wait_for

pytestmark = pytest.mark.senders

#: rsyslog's network stream drivers: Debian packages rsyslog-openssl and rsyslog-gnutls.
DRIVERS = ("ossl", "gtls")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def _tls_pipeline(workdir: Path, tls: dict[str, Any]) -> Pipeline:
    pipeline = Pipeline(workdir)
    pipeline.sources = [
        {"type": "syslog_tcp", "name": "syslog-tls", "port": pipeline.port, "tls": tls}
    ]
    return pipeline


def _rsyslog_tls(workdir: Path, pki: Pki, pair: KeyPair, driver: str, port: int) -> Daemon:
    """rsyslogd sending RFC 5424 octet-counted over TLS, checking the server's name."""
    certificates = (
        f'global(DefaultNetstreamDriverCAFile="{pki.ca_file}" '
        f'DefaultNetstreamDriverCertFile="{pair.cert_file}" '
        f'DefaultNetstreamDriverKeyFile="{pair.key_file}")'
    )
    action = (
        f'  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp" '
        f'TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format" '
        f'StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="x509/name" '
        f'StreamDriverPermittedPeers="{SERVER_NAME}")'
    )
    return rsyslog(workdir, action, inputs=certificates)


@pytest.mark.parametrize("driver", DRIVERS)
def test_rsyslog_over_mutual_tls_delivers_the_exact_events_and_alerts(
    driver: str,
    pki: Pki,
    rules: CompiledRuleSet,
    tmp_path: Path,
    sender_dir: Path,
    start_daemon: StartDaemon,
) -> None:
    (tmp_path / "canhgac").mkdir()
    canhgac = _tls_pipeline(tmp_path / "canhgac", pki.mutual_tls(ALLOWED_SENDER))
    canhgac.start()
    try:
        pair = pki.issue(f"rsyslog-{driver}", ALLOWED_SENDER)
        daemon = start_daemon(_rsyslog_tls(sender_dir, pki, pair, driver, canhgac.port))
        try:
            deliver(canhgac, rules, through(daemon))
        except AssertionError as failed:
            raise AssertionError(f"{failed}\nrsyslogd said:\n{daemon.output()}") from None
    finally:
        canhgac.stop()


def test_syslog_ng_over_mutual_tls_delivers_the_exact_events_and_alerts(
    pki: Pki,
    rules: CompiledRuleSet,
    tmp_path: Path,
    sender_dir: Path,
    start_daemon: StartDaemon,
) -> None:
    (tmp_path / "canhgac").mkdir()
    canhgac = _tls_pipeline(tmp_path / "canhgac", pki.mutual_tls(ALLOWED_SENDER))
    canhgac.start()
    try:
        pair = pki.issue("syslog-ng", ALLOWED_SENDER)
        destination = (
            f'syslog("127.0.0.1" port({canhgac.port}) transport("tls") '
            f'tls(ca-file("{pki.ca_file}") cert-file("{pair.cert_file}") '
            f'key-file("{pair.key_file}") peer-verify(required-trusted)))'
        )
        daemon = start_daemon(syslog_ng(sender_dir, destination))
        try:
            deliver(canhgac, rules, through(daemon))
        except AssertionError as failed:
            raise AssertionError(f"{failed}\nsyslog-ng said:\n{daemon.output()}") from None
    finally:
        canhgac.stop()


def test_rsyslog_with_an_unlisted_certificate_is_refused_and_stores_nothing(
    pki: Pki,
    tmp_path: Path,
    sender_dir: Path,
    start_daemon: StartDaemon,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="ingest.sources.tls")
    (tmp_path / "canhgac").mkdir()
    canhgac = _tls_pipeline(tmp_path / "canhgac", pki.mutual_tls(ALLOWED_SENDER))
    canhgac.start()
    try:
        pair = pki.issue("rsyslog-unlisted", UNLISTED_SENDER)
        daemon = start_daemon(_rsyslog_tls(sender_dir, pki, pair, "ossl", canhgac.port))
        logger(to_socket(daemon.socket), "sshd", 4242, "auth.info", ["Failed password lậu"])

        def refused() -> list[str]:
            return [r.getMessage() for r in caplog.records if "TLS client" in r.getMessage()]

        wait_for(lambda: bool(refused()), 20, "the unlisted sender refused")
        time.sleep(1)  # what a connection let through would have been stored by now
        assert canhgac.stored() == 0
        assert f"client certificate names not allowed: '{UNLISTED_SENDER}'" in refused()[0]
    finally:
        canhgac.stop()
