"""The web UI served over HTTPS by itself (``web.tls``, no proxy in front), with a real
certificate: the login page answers over TLS with HSTS and Secure cookies, plain HTTP and
clients below the minimum version get nothing."""

from __future__ import annotations

import http.client
import ssl
from typing import Any

import pytest

from alerting.triage.server import WebServer
from canhgac.config import TlsConfig, WebConfig
from tests.support.certificates import SERVER_NAME, Pki

TriageEnv = Any  # the conftest harness: stores, settings, app()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def _tls(pki: Pki, **options: Any) -> TlsConfig:
    return TlsConfig.model_validate(pki.server_tls(**options))


def _get(server: WebServer, context: ssl.SSLContext, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection(SERVER_NAME, server.port, context=context, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def test_the_login_page_over_https_with_hsts_and_secure_cookies(env: TriageEnv, pki: Pki) -> None:
    web = WebConfig(tls=_tls(pki))
    assert web.secure_cookies  # web.tls implies it
    with WebServer(env.app(secure_cookies=web.secure_cookies), tls=web.tls) as server:
        assert server.url == f"https://127.0.0.1:{server.port}"
        response = _get(server, pki.client_context(), "/login")
    assert response.status == 200
    assert "max-age=" in (response.getheader("Strict-Transport-Security") or "")
    cookies = response.headers.get_all("Set-Cookie") or []
    assert cookies and all("Secure" in cookie for cookie in cookies), cookies


def test_plain_http_and_old_tls_get_no_page(env: TriageEnv, pki: Pki) -> None:
    old = pki.client_context()
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with WebServer(env.app(), tls=_tls(pki, min_version="1.3")) as server:
        plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        plain.request("GET", "/login")
        # uvicorn's TLS layer drops a connection that does not start with a TLS handshake.
        with pytest.raises((OSError, http.client.HTTPException)):
            plain.getresponse()
        plain.close()
        # asyncio closes the handshake without an alert: the client sees an EOF.
        with pytest.raises(ssl.SSLError):
            _get(server, old, "/login")
        assert _get(server, pki.client_context(), "/login").status == 200
