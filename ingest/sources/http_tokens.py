"""Who sends to an HTTP source: the named bearer tokens it accepts.

Each sending host or group gets a token of its own (``tokens: [{name, secret|secret_file}]``;
the older single ``token`` is named ``default``), so one can be revoked by removing it from
the config, and a sender's name scopes what it may claim as its own (its Idempotency-Keys).
A source without any token accepts everyone; a sender is then known only by its address.
"""

from __future__ import annotations

import hmac
from pathlib import Path

from canhgac.config import HttpSourceConfig
from canhgac.errors import ConfigError

DEFAULT_TOKEN_NAME = "default"


class SenderTokens:
    def __init__(self, config: HttpSourceConfig) -> None:
        self._secrets: list[tuple[str, bytes]] = []
        if config.token is not None:
            self._secrets.append((DEFAULT_TOKEN_NAME, config.token.get_secret_value().encode()))
        for token in config.tokens:
            if token.secret is not None:
                secret = token.secret.get_secret_value().encode()
            else:
                secret = _read_secret(config.name, token.name, token.secret_file or "")
            self._secrets.append((token.name, secret))

    @property
    def required(self) -> bool:
        return bool(self._secrets)

    def sender(self, authorization: str | None, peer_host: str) -> str | None:
        """The sender's name for an ``Authorization`` header, None if refused."""
        if not self._secrets:
            return f"address:{peer_host}"
        scheme, _, credentials = (authorization or "").partition(" ")
        try:
            # http.server decodes header bytes as Latin-1; this restores the bytes sent.
            given = credentials.strip().encode("latin-1")
        except UnicodeEncodeError:
            return None
        if scheme.lower() != "bearer":
            return None
        found = None
        for name, secret in self._secrets:  # every token compared: no timing hint of which
            if hmac.compare_digest(given, secret) and found is None:
                found = f"token:{name}"
        return found


def _read_secret(source: str, name: str, path: str) -> bytes:
    try:
        secret = Path(path).read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"source {source!r}: token {name!r}: cannot read {path}: {exc}") from exc
    if not secret:
        raise ConfigError(f"source {source!r}: token {name!r}: {path} is empty")
    return secret
