"""Real certificates for the TLS tests, made by trustme: a city CA that signs the server's and
the senders' certificates, and a stranger CA nobody trusts. Every file is PEM in a test's own
directory, as an operator would provision them."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

SERVER_NAME = "localhost"
#: A sender the tests allow, and one the CA signed but the source does not list.
ALLOWED_SENDER = "fw-01.ubnd-hoankiem.hanoi.example"
UNLISTED_SENDER = "may-la.hanoi.example"


@dataclass(frozen=True)
class KeyPair:
    cert_file: Path
    key_file: Path


@dataclass
class Pki:
    directory: Path

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA(organization_name="Sở TT&TT Hà Nội")
        self.stranger = trustme.CA(organization_name="Không ai tin")
        self.ca_file = self._write("ca.crt", self.ca.cert_pem)
        self.server = self.issue("server", SERVER_NAME, "127.0.0.1")

    def _write(self, name: str, blob: Any) -> Path:
        path = self.directory / name
        blob.write_to_path(str(path))
        return path

    def issue(
        self, stem: str, *names: str, common_name: str | None = None, by_stranger: bool = False
    ) -> KeyPair:
        """A certificate (and key) for ``names`` (subjectAltName DNS names or IP addresses)."""
        issuer = self.stranger if by_stranger else self.ca
        issued = issuer.issue_cert(*names, common_name=common_name)
        return KeyPair(
            self._write(f"{stem}.crt", issued.cert_chain_pems[0]),
            self._write(f"{stem}.key", issued.private_key_pem),
        )

    def server_tls(self, **options: Any) -> dict[str, Any]:
        """The ``tls:`` block of a source or of the web UI with the server's pair."""
        return {
            "cert_file": str(self.server.cert_file),
            "key_file": str(self.server.key_file),
            **options,
        }

    def mutual_tls(self, *allowed: str, **options: Any) -> dict[str, Any]:
        """The ``tls:`` block of a source that needs client certificates of the city CA."""
        return self.server_tls(
            client_ca_file=str(self.ca_file), allowed_clients=list(allowed), **options
        )

    def client_context(self, pair: KeyPair | None = None) -> ssl.SSLContext:
        """A client trusting the city CA, presenting ``pair`` if given."""
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if pair is not None:
            context.load_cert_chain(pair.cert_file, pair.key_file)
        return context
