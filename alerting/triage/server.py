"""Running the app in a background thread (``canhgac run`` with the web role, tests, bench).

uvicorn installs no signal handlers off the main thread, so the owner stops the server by
:meth:`WebServer.stop`, which lets in-flight requests finish and joins the thread.
"""

from __future__ import annotations

import ssl
import threading
import time

import uvicorn
from fastapi import FastAPI

from canhgac.config import TlsConfig
from canhgac.lifecycle import Service

_VERSIONS = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}


class WebServer(Service):
    def __init__(
        self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, tls: TlsConfig | None = None
    ) -> None:
        """``port`` 0 picks a free port; :attr:`port` tells which once started. With ``tls``
        it serves HTTPS (for when no TLS proxy is in front)."""
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            http="h11",
            ws="none",
            server_header=False,
            ssl_certfile=tls.cert_file if tls else None,
            ssl_keyfile=tls.key_file if tls else None,
        )
        if tls is not None:
            # uvicorn has no setting for the oldest version: load its context and raise it.
            config.load()
            assert config.ssl is not None
            config.ssl.minimum_version = _VERSIONS[tls.min_version]
        self._server = uvicorn.Server(config)
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(target=self._server.run, name="canhgac-web", daemon=True)
        self.host = host
        self.port = port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the web server did not start")
            time.sleep(0.01)
        sockets = [s for server in self._server.servers for s in server.sockets]
        self.port = int(sockets[0].getsockname()[1])

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
