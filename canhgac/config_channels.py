"""Notification channel configuration: one model per channel ``type``, and their union.

Every channel has a ``name`` (the outbox key) and its own routing: ``min_severity`` (else
``alerting.min_severity``), and optional ``rules``, ``tags``, ``datasets`` and ``hosts``
filters (shell patterns such as ``attack.t1110*``; an alert passes a filter when one of its
values matches one pattern). Secrets (bot tokens, webhook URLs, which carry their token, API
keys) are :class:`~pydantic.SecretStr` and may be given in place or read from the environment
or a file:

.. code-block:: yaml

    token: {env: CANHGAC_TELEGRAM_TOKEN}     # an environment variable
    url: {file: /run/secrets/teams-webhook}   # a file (trailing newline dropped)
    api_key: {secret: thehive-key}            # a file in $CANHGAC_SECRETS_DIR

so the YAML file itself holds no secret. A missing variable or file is refused at start.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, SecretStr, Tag, model_validator

from canhgac.config_base import Duration, Section, _tag_or

SeverityName = Literal["informational", "low", "medium", "high", "critical"]

#: The shortest digest period: a shorter one is no digest, only a delay.
MIN_DIGEST_PERIOD = timedelta(minutes=1)

#: The secret-reference forms a secret value may take instead of the value itself.
_REFERENCE_KINDS = ("env", "file", "secret")


def _read_secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"cannot read secret file {str(path)!r}: {exc.strerror}") from None


def resolve_secret(value: Any) -> Any:
    """``{env: NAME}``, ``{file: PATH}`` or ``{secret: NAME}`` -> the value they point at."""
    if not isinstance(value, dict):
        return value
    if len(value) != 1 or next(iter(value)) not in _REFERENCE_KINDS:
        raise ValueError("a secret is a string, {env: NAME}, {file: PATH} or {secret: NAME}")
    kind, name = next(iter(value.items()))
    if kind == "env":
        if name not in os.environ:
            raise ValueError(f"environment variable {name!r} is not set")
        return os.environ[name]
    if kind == "file":
        return _read_secret_file(Path(name))
    folder = os.environ.get("CANHGAC_SECRETS_DIR")
    if not folder:
        raise ValueError(f"secret {name!r}: CANHGAC_SECRETS_DIR is not set")
    return _read_secret_file(Path(folder) / name)


#: A secret given in place or by reference (see the module docstring).
Secret = Annotated[SecretStr, BeforeValidator(resolve_secret)]


class DigestConfig(Section):
    """Alerts up to ``max_severity`` wait and go out together, one message per ``every`` per
    channel (counts by rule and severity, the top entities, a link to each alert and to the
    queue); more severe alerts still go out at once. Periods are aligned to the clock (``15m``:
    :00, :15, :30, :45), so a restart does not move them."""

    every: Duration = Field(
        default=timedelta(minutes=15), ge=MIN_DIGEST_PERIOD, description="One digest per period."
    )
    max_severity: SeverityName = Field(
        default="medium", description="Alerts at or below this severity wait for the digest."
    )
    max_alerts: int = Field(
        default=20, ge=1, le=200, description="Alerts listed one by one; the rest are counted."
    )


class ChannelBase(Section):
    """What every channel has: its name and which alerts it takes."""

    name: str
    min_severity: SeverityName | None = Field(
        default=None, description="Lowest severity sent here; default: alerting.min_severity."
    )
    rules: list[str] = Field(
        default_factory=list, description="Only alerts of these rule ids (shell patterns)."
    )
    tags: list[str] = Field(
        default_factory=list,
        description="Only alerts whose rule has one of these tags (shell patterns).",
    )
    datasets: list[str] = Field(
        default_factory=list, description="Only alerts of these event.dataset values."
    )
    language: Literal["vi", "en"] = Field(
        default="vi", description="Language of the message's words (field names stay ECS)."
    )
    hosts: list[str] = Field(
        default_factory=list,
        description="Only alerts on these hosts (a host group: shell patterns on host.name).",
    )
    digest: DigestConfig | None = Field(
        default=None, description="Collect low severities into one message per period."
    )
    template: Path | None = Field(
        default=None,
        description="A Jinja2 file for this channel's alert message (default: the shipped one "
        "in the channel's language); checked at start.",
    )
    digest_template: Path | None = Field(
        default=None, description="A Jinja2 file for this channel's digest message."
    )


class RemoteChannelBase(ChannelBase):
    """A channel reached over the network: bounded by a timeout, retried with backoff."""

    timeout: Duration = timedelta(seconds=10)
    max_attempts: int = Field(default=5, ge=1)


class ConsoleChannelConfig(ChannelBase):
    type: Literal["console"] = "console"
    name: str = "console"


class WebhookChannelConfig(RemoteChannelBase):
    type: Literal["webhook"] = "webhook"
    name: str = "webhook"
    url: str
    secret: Secret | None = Field(
        default=None, description="Sent as 'Authorization: Bearer <secret>'."
    )


class EmailChannelConfig(ChannelBase):
    type: Literal["email"] = "email"
    name: str = "email"
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: Secret | None = None
    sender: str = "canhgac@localhost"
    recipients: list[str]
    max_attempts: int = Field(default=5, ge=1)


# --- chat ---------------------------------------------------------------------------------------
class TelegramChannelConfig(RemoteChannelBase):
    type: Literal["telegram"] = "telegram"
    name: str = "telegram"
    token: Secret = Field(description="The bot token from @BotFather.")
    chat_id: str = Field(description="A chat id (-100… for groups/channels) or @channelname.")
    api_url: str = Field(
        default="https://api.telegram.org", description="Bot API server (a local one, a proxy)."
    )
    message_thread_id: int | None = Field(default=None, description="Topic of a forum group.")


class TeamsChannelConfig(RemoteChannelBase):
    type: Literal["teams"] = "teams"
    name: str = "teams"
    url: Secret = Field(description="The Workflows (Power Automate) webhook URL of the channel.")


class SlackChannelConfig(RemoteChannelBase):
    type: Literal["slack"] = "slack"
    name: str = "slack"
    url: Secret = Field(description="The incoming webhook URL (https://hooks.slack.com/…).")


class MattermostChannelConfig(RemoteChannelBase):
    type: Literal["mattermost"] = "mattermost"
    name: str = "mattermost"
    url: Secret = Field(description="The incoming webhook URL (https://…/hooks/<key>).")
    channel: str | None = Field(default=None, description="Overrides the hook's channel.")
    username: str | None = Field(default=None, description="Overrides the poster's name.")


class DiscordChannelConfig(RemoteChannelBase):
    type: Literal["discord"] = "discord"
    name: str = "discord"
    url: Secret = Field(description="The webhook URL (https://discord.com/api/webhooks/…).")


class GoogleChatChannelConfig(RemoteChannelBase):
    type: Literal["google_chat"] = "google_chat"
    name: str = "google_chat"
    url: Secret = Field(description="The space's webhook URL (carries key and token).")


class AppriseChannelConfig(RemoteChannelBase):
    """Any service Apprise reaches (ntfy, Matrix, Rocket.Chat, Zulip, Pushover, SMS gateways,
    and the chat services above): one Apprise URL per destination, e.g.
    ``ntfy://ntfy.soc.hanoi.example/canh-gac`` or ``matrix://user:pass@matrix.example/!room``."""

    type: Literal["apprise"] = "apprise"
    name: str = "apprise"
    urls: list[Secret] = Field(
        min_length=1, description="Apprise URLs (they carry tokens: secrets, never logged)."
    )


class ZaloChannelConfig(RemoteChannelBase):
    """A Zalo Official Account messaging the analysts who follow it (OA API v3 consultation
    messages, ``POST {api_url}/v3.0/oa/message/cs`` with the ``access_token`` header). An OA
    access token lives 25 hours: give ``access_token_file``, re-read on every send, and let
    the token refresher rewrite it; ``access_token`` suits a token managed by hand."""

    type: Literal["zalo"] = "zalo"
    name: str = "zalo"
    access_token: Secret | None = Field(default=None, description="The OA access token.")
    access_token_file: Path | None = Field(
        default=None, description="A file holding the OA access token, re-read on every send."
    )
    user_ids: list[str] = Field(
        min_length=1, description="Zalo user ids (followers of the OA) that receive alerts."
    )
    api_url: str = Field(default="https://openapi.zalo.me", description="The OA API server.")

    @model_validator(mode="after")
    def _one_token(self) -> ZaloChannelConfig:
        if (self.access_token is None) == (self.access_token_file is None):
            raise ValueError("give exactly one of access_token and access_token_file")
        return self


# --- case management ----------------------------------------------------------------------------
class TheHiveChannelConfig(RemoteChannelBase):
    type: Literal["thehive"] = "thehive"
    name: str = "thehive"
    url: str = Field(description="TheHive 5 base URL, e.g. https://thehive.example:9000.")
    api_key: Secret
    organisation: str | None = Field(default=None, description="Sent as X-Organisation.")
    alert_type: str = "canhgac"
    source: str = "canhgac"
    tlp: int = Field(default=2, ge=0, le=4)
    pap: int = Field(default=2, ge=0, le=3)


class DfirIrisChannelConfig(RemoteChannelBase):
    type: Literal["dfir_iris"] = "dfir_iris"
    name: str = "dfir_iris"
    url: str = Field(description="DFIR-IRIS base URL, e.g. https://iris.example.")
    api_key: Secret
    customer_id: int = Field(default=1, description="The IRIS customer the alerts belong to.")
    status_id: int = Field(default=2, description="IRIS alert status (2: New).")
    source: str = "canhgac"


class JiraChannelConfig(RemoteChannelBase):
    type: Literal["jira"] = "jira"
    name: str = "jira"
    url: str = Field(description="Jira base URL, e.g. https://soc.atlassian.net.")
    project: str = Field(description="Project key, e.g. SOC.")
    issue_type: str = "Task"
    email: str | None = Field(
        default=None, description="Jira Cloud: with the API token as Basic auth."
    )
    token: Secret = Field(description="API token (Cloud, with email) or personal access token.")
    labels: list[str] = Field(default_factory=lambda: ["canhgac"])


ChannelConfig = Annotated[
    Annotated[ConsoleChannelConfig, Tag("console")]
    | Annotated[WebhookChannelConfig, Tag("webhook")]
    | Annotated[EmailChannelConfig, Tag("email")]
    | Annotated[TelegramChannelConfig, Tag("telegram")]
    | Annotated[TeamsChannelConfig, Tag("teams")]
    | Annotated[SlackChannelConfig, Tag("slack")]
    | Annotated[MattermostChannelConfig, Tag("mattermost")]
    | Annotated[DiscordChannelConfig, Tag("discord")]
    | Annotated[GoogleChatChannelConfig, Tag("google_chat")]
    | Annotated[AppriseChannelConfig, Tag("apprise")]
    | Annotated[ZaloChannelConfig, Tag("zalo")]
    | Annotated[TheHiveChannelConfig, Tag("thehive")]
    | Annotated[DfirIrisChannelConfig, Tag("dfir_iris")]
    | Annotated[JiraChannelConfig, Tag("jira")],
    _tag_or("console"),
]
