"""The web UI's settings (``web:``): address, TLS, cookies, logins and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import Field, model_validator

from canhgac.config_base import Duration, Section
from canhgac.config_tls import TlsConfig


class LoginConfig(Section):
    """How logins are paid for and slowed down (``web.login``).

    Each check costs one argon2id hash (64 MiB, tens of milliseconds of CPU): at most
    ``hash_concurrency`` run at once, ``hash_queue`` more wait up to ``hash_wait``, the rest are
    answered 429 with Retry-After. Failed attempts slow down per source address and per
    account with exponential backoff (1 s, 2 s, 4 s ... up to the maximum delay) after the free
    failures; an account is never locked longer than ``account_max_delay``, so the right
    password from another address gets in after a short wait."""

    hash_concurrency: int = Field(default=2, ge=1, le=64, description="Password hashes at once.")
    hash_queue: int = Field(default=8, ge=0, le=1024, description="Logins waiting for a hash.")
    hash_wait: Duration = Field(
        default=timedelta(seconds=5), description="Longest wait for a hash before 429."
    )
    address_free_failures: int = Field(
        default=10, ge=1, description="Failed logins from one address before backoff."
    )
    address_max_delay: Duration = Field(
        default=timedelta(minutes=15), description="Longest backoff of one source address."
    )
    account_free_failures: int = Field(
        default=5, ge=1, description="Failed logins of one account before backoff."
    )
    account_max_delay: Duration = Field(
        default=timedelta(seconds=30), description="Longest backoff of one account."
    )


class TokenConfig(Section):
    """API token lifetimes (``web.tokens``): a token without an expiry gets the default one,
    none may outlive the maximum (older tokens included, counted from their creation)."""

    default_lifetime: Duration = Field(default=timedelta(days=90))
    max_lifetime: Duration = Field(default=timedelta(days=365))


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = Field(
        default=None,
        description="The UI's address as analysts reach it (https://soc.example); "
        "notifications link to {public_url}/alerts/{id}.",
    )
    tls: TlsConfig | None = Field(
        default=None,
        description="Serve HTTPS (when no TLS proxy is in front); implies secure_cookies.",
    )
    enabled: bool = Field(
        default=True, description="Start the web UI when the 'web' role runs in this process."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark cookies Secure (and send HSTS): set when served behind TLS.",
    )
    session_lifetime: Duration = Field(
        default=timedelta(hours=8), description="A login lasts this long."
    )
    assign_channel: str | None = Field(
        default=None,
        description="Notification channel told about assignments; default: the first "
        "configured channel.",
    )
    triage_db: str | None = Field(
        default=None,
        description="SQLite file for users, comments and the audit log; default: where the "
        "store is (the SQLite store's file, or the Elasticsearch cluster, shared by every web "
        "instance).",
    )
    login: LoginConfig = Field(default_factory=LoginConfig)
    tokens: TokenConfig = Field(default_factory=TokenConfig)

    @model_validator(mode="before")
    @classmethod
    def _tls_means_secure_cookies(cls, data: Any) -> Any:
        """Served over TLS, the cookies are Secure unless the file says otherwise."""
        if isinstance(data, dict) and data.get("tls") is not None:
            return {"secure_cookies": True, **data}
        return data
