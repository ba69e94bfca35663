"""TLS on the network sources: syslog over TLS (RFC 5425) and HTTPS ingest, optionally mutual.

The listening socket stays plain. Each accepted connection is wrapped and its handshake done
in that connection's own thread, with a deadline, so a slow or silent client holds only its
own connection, never the accept loop. With a client CA configured every client must present
a certificate that CA signed, and with ``allowed_clients`` one of its names (subject CN or a
subjectAltName) must be listed. A refused client is closed and logged in one line without a
traceback, at most one line per :data:`LOG_EVERY_SECONDS` per source (the line counts the
refusals it stands for): a scanner or a misconfigured fleet cannot flood the log.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from canhgac.config import ListenerTlsConfig
from ingest.sources.addresses import peer_text

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
# How soon a handshake in progress notices stop().
_WAKE_SECONDS = 0.05

VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}

#: OpenSSL's reason codes for a failed handshake -> what the operator reads.
REFUSAL_REASONS = {
    "CERTIFICATE_VERIFY_FAILED": "client certificate not trusted",
    "PEER_DID_NOT_RETURN_A_CERTIFICATE": "no client certificate",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "no client certificate",
    "WRONG_VERSION_NUMBER": "not TLS (plaintext sent to a TLS port?)",
    "HTTP_REQUEST": "not TLS (plain HTTP sent to an HTTPS port)",
    "UNSUPPORTED_PROTOCOL": "TLS version below the minimum",
    "TLSV1_ALERT_PROTOCOL_VERSION": "TLS version below the minimum",
    "NO_SHARED_CIPHER": "no cipher in common",
}


def server_context(config: ListenerTlsConfig, *, one_way: bool = False) -> ssl.SSLContext:
    """The server context of ``config``; raises OSError/ssl.SSLError on unusable files.

    ``one_way``: the clients only send (syslog). A TLS 1.3 server sends session tickets after
    the handshake; a sender that never reads them and closes leaves them unread, so its kernel
    resets the connection instead of closing it, and the reset discards what the server had
    not read yet: the end of the stream. So such a server sends no tickets.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = VERSIONS[config.min_version]
    if one_way:
        context.num_tickets = 0
    # Syslog senders often close TCP without a TLS close_notify: that is an end, not an error.
    context.options |= getattr(ssl, "OP_IGNORE_UNEXPECTED_EOF", 0)
    context.load_cert_chain(config.cert_file, config.key_file)
    if config.client_ca_file is not None:
        context.load_verify_locations(cafile=config.client_ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def certificate_names(certificate: dict[str, Any]) -> frozenset[str]:
    """The subject CNs and subjectAltName values of a verified peer certificate, lower-cased."""
    names = {
        str(value)
        for entry in certificate.get("subject", ())
        for key, value in entry
        if key == "commonName"
    }
    names.update(str(value) for _, value in certificate.get("subjectAltName", ()))
    return frozenset(name.lower() for name in names)


def refusal_reason(exc: OSError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"client certificate not trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        reason = str(exc.reason)
        return REFUSAL_REASONS.get(reason, f"handshake failed ({reason})")
    if isinstance(exc, TimeoutError):
        return "handshake not finished in time"
    return f"connection failed during the handshake ({exc.strerror or exc})"


class RefusalLog:
    """One warning line per ``every`` seconds at most, counting the refusals it stands for."""

    def __init__(
        self,
        name: str,
        every: float = LOG_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._name = name
        self._every = every
        self._clock = clock
        self._lock = threading.Lock()
        self._last: float | None = None
        self._unlogged = 0
        self.refused = 0  # every refusal since start

    def refused_client(self, peer: str, reason: str) -> None:
        with self._lock:
            self.refused += 1
            now = self._clock()
            if self._last is not None and now - self._last < self._every:
                self._unlogged += 1
                return
            more, self._unlogged, self._last = self._unlogged, 0, now
        also = f" (and {more} more refused since the last report)" if more else ""
        log.warning("%s: TLS client %s refused: %s%s", self._name, peer, reason, also)


class TlsAcceptor:
    """Secures the accepted connections of one source."""

    def __init__(
        self,
        config: ListenerTlsConfig,
        name: str,
        stopping: threading.Event,
        *,
        one_way: bool = False,
    ) -> None:
        self._context = server_context(config, one_way=one_way)
        self._allowed = frozenset(name.lower() for name in config.allowed_clients)
        self._timeout = config.handshake_timeout.total_seconds()
        self._stopping = stopping
        self.refusals = RefusalLog(name)
        mutual = "off" if config.client_ca_file is None else f"CA {config.client_ca_file}"
        allowed = ", ".join(sorted(self._allowed)) or "any"
        log.info(
            "%s: TLS %s+, client certificates: %s, names: %s",
            name,
            config.min_version,
            mutual,
            allowed,
        )

    def accept(self, connection: socket.socket, peer: str) -> ssl.SSLSocket | None:
        """The connection secured, or None once refused (and closed)."""
        blocking = connection.gettimeout()
        secured = self._context.wrap_socket(
            connection, server_side=True, do_handshake_on_connect=False
        )
        try:
            self._handshake(secured)
            refusal = self._unlisted(secured)
        except OSError as exc:  # ssl.SSLError and timeouts included
            refusal = refusal_reason(exc)
        if refusal is not None:
            self.refusals.refused_client(peer, refusal)
            close(secured)
            return None
        secured.settimeout(blocking)
        return secured

    def _handshake(self, secured: ssl.SSLSocket) -> None:
        # Short waits, resumed until the deadline, so stop() is not held up by a silent client.
        deadline = time.monotonic() + self._timeout
        secured.settimeout(_WAKE_SECONDS)
        while True:
            try:
                secured.do_handshake()
                return
            except TimeoutError:
                if self._stopping.is_set() or time.monotonic() > deadline:
                    raise

    def _unlisted(self, secured: ssl.SSLSocket) -> str | None:
        """Why the verified client's names are refused; None when allowed."""
        if not self._allowed:
            return None
        names = certificate_names(secured.getpeercert() or {})
        if names & self._allowed:
            return None
        shown = ", ".join(repr(name) for name in sorted(names)) or "none"
        return f"client certificate names not allowed: {shown}"


def close(secured: ssl.SSLSocket) -> None:
    try:
        secured.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already reset by the peer
    secured.close()


def acceptor(
    config: ListenerTlsConfig | None,
    name: str,
    stopping: threading.Event,
    *,
    one_way: bool = False,
) -> TlsAcceptor | None:
    """The acceptor of a source's ``tls:`` block, None without one (see :func:`server_context`
    for ``one_way``)."""
    return None if config is None else TlsAcceptor(config, name, stopping, one_way=one_way)


class TlsServer(socketserver.BaseServer):
    """Mixed into a threading ``socketserver`` server (after it among the bases, so that a
    server tracking its connections overrides :meth:`connection_secured`): with an acceptor,
    each request's connection is secured in its own thread before it is handled."""

    tls: TlsAcceptor | None = None

    def connection_secured(self, request: Any, secured: socket.socket) -> None:
        """Called with the TLS socket that took over ``request``'s descriptor; a server
        that tracks its connections (to end them on stop) tracks this one instead."""

    def finish_request(self, request: Any, client_address: Any) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        secured = self.tls.accept(request, peer_text(client_address))
        if secured is None:
            return
        self.connection_secured(request, secured)
        try:
            super().finish_request(secured, client_address)
        finally:
            # The plain socket was detached into ``secured``: shutting it down is a no-op.
            close(secured)
