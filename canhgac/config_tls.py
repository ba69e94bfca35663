"""TLS settings of the listening parts: network sources and the web UI."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, model_validator

from canhgac.config_base import Duration, Section


class TlsConfig(Section):
    """A TLS server's certificate and key, as PEM files: never inline, so the key lives only in
    a file the service user reads (mode 0600), mounted or provisioned like any secret."""

    cert_file: str = Field(description="PEM certificate chain, the server's certificate first.")
    key_file: str = Field(description="PEM private key of that certificate (unencrypted).")
    min_version: Literal["1.2", "1.3"] = Field(
        default="1.2", description="Oldest TLS version accepted."
    )


class ListenerTlsConfig(TlsConfig):
    """TLS on a network source (syslog over TLS, RFC 5425; HTTPS ingest), optionally mutual."""

    client_ca_file: str | None = Field(
        default=None,
        description="PEM CA certificates; when set, every client must present a certificate "
        "one of them signed (mutual TLS), or it is refused.",
    )
    allowed_clients: list[str] = Field(
        default_factory=list,
        description="Client certificate names allowed (the subject CN or a DNS, IP, URI or "
        "email subjectAltName, case-insensitive); empty: any certificate the CA signed.",
    )
    handshake_timeout: Duration = Field(
        default=timedelta(seconds=10),
        gt=timedelta(0),
        description="A client that has not finished its TLS handshake by then is dropped.",
    )

    @model_validator(mode="after")
    def _names_need_a_ca(self) -> ListenerTlsConfig:
        if self.allowed_clients and self.client_ca_file is None:
            raise ValueError("allowed_clients needs client_ca_file (the CA that signs them)")
        return self
