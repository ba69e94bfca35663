"""Configuration: one YAML file plus ``CANHGAC_*`` environment variables.

Precedence, highest first (pydantic-settings' explicit source tuple):

1. values passed in code (tests, the CLI's own flags);
2. environment variables ``CANHGAC_<SECTION>__<KEY>`` (``__`` separates nesting levels),
   e.g. ``CANHGAC_STORE__SQLITE__PATH=/data/canhgac.db``;
3. secret files in ``CANHGAC_SECRETS_DIR`` (one file per variable name, Docker/systemd style);
4. the YAML file (``--config``, default ``canhgac.yaml`` if it exists);
5. the defaults below: the embedded mode, listening on loopback only.

Every model rejects unknown keys; :mod:`canhgac.config_loader` reads the file and reports
errors one line each, naming the key and the YAML ``file:line`` it came from.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _duration(value: Any) -> Any:
    """Accept "500ms", "30s", "5m", "1h", "2d" besides pydantic's own forms."""
    if isinstance(value, str) and (match := _DURATION.match(value)):
        return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]


def _tag_or(default: str) -> Any:
    """A discriminator that falls back to ``default`` when ``type`` is left out, so
    ``CANHGAC_STORE__PATH=...`` alone still means the default store kind."""

    def tag(value: Any) -> str:
        if isinstance(value, dict):
            return str(value.get("type", default))
        return str(getattr(value, "type", default))

    return Discriminator(tag)


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- TLS ------------------------------------------------------------------------------------
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


# --- sources --------------------------------------------------------------------------------
def _timezone(value: Any) -> Any:
    """Refuse a zone name the IANA database does not know, at load time, not per record."""
    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {value!r}: use an IANA name such as Asia/Ho_Chi_Minh or UTC"
            ) from None
    return value


TimeZoneName = Annotated[str, BeforeValidator(_timezone)]


class SourceBase(Section):
    name: str = Field(description="Unique name; part of every event id from this source.")
    parser: str = Field(
        default="auto",
        description="Parser registry name (auto, rfc3164, rfc5424, auth, auditd, nginx, "
        "apache, nginx_error, apache_error, json, fortigate, cef, windows).",
    )
    encoding: str = Field(default="utf-8", description="Byte encoding, e.g. windows-1258.")
    dataset: str | None = Field(default=None, description="Overrides event.dataset.")
    timezone: TimeZoneName = Field(
        default="Asia/Ho_Chi_Minh",
        description="IANA zone of times the logs write without an offset (RFC 3164, Apache "
        "and nginx error logs); UTC for hosts whose clock runs in UTC.",
    )
    year: int | None = Field(
        default=None,
        ge=1970,
        le=9999,
        description="Year of RFC 3164 times (which have none) when reading an archived file; "
        "unset: the receive year, or the year before for a time in the future.",
    )


class FileSourceConfig(SourceBase):
    type: Literal["file"] = "file"
    path: str = Field(description="File path or glob of files to tail.")
    start_at: Literal["beginning", "end"] = "beginning"
    poll_interval: Duration = timedelta(milliseconds=250)
    max_line_bytes: int = 1_048_576


class SyslogUdpSourceConfig(SourceBase):
    type: Literal["syslog_udp"] = "syslog_udp"
    host: str = "127.0.0.1"
    port: int = 5514
    receive_buffer_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        description="SO_RCVBUF: datagrams the kernel holds while the reader is busy; capped "
        "by net.core.rmem_max (the effective size is logged, drops are counted).",
    )


class SyslogTcpSourceConfig(SourceBase):
    type: Literal["syslog_tcp"] = "syslog_tcp"
    host: str = "127.0.0.1"
    port: int = 5514
    tls: ListenerTlsConfig | None = Field(
        default=None, description="Syslog over TLS (RFC 5425, conventionally port 6514)."
    )
    max_message_bytes: int = 1_048_576


class HttpSourceConfig(SourceBase):
    type: Literal["http"] = "http"
    parser: str = "json"
    host: str = "127.0.0.1"
    port: int = 8088
    tls: ListenerTlsConfig | None = Field(default=None, description="HTTPS ingest.")
    max_body_bytes: int = 10_485_760
    token: SecretStr | None = Field(
        default=None, description="If set, requests must send 'Authorization: Bearer <token>'."
    )


SourceConfig = Annotated[
    Annotated[FileSourceConfig, Tag("file")]
    | Annotated[SyslogUdpSourceConfig, Tag("syslog_udp")]
    | Annotated[SyslogTcpSourceConfig, Tag("syslog_tcp")]
    | Annotated[HttpSourceConfig, Tag("http")],
    _tag_or("file"),
]


def default_sources() -> list[Any]:
    return [
        SyslogUdpSourceConfig(name="syslog-udp"),
        SyslogTcpSourceConfig(name="syslog-tcp"),
        HttpSourceConfig(name="http-json"),
    ]


# --- transport ------------------------------------------------------------------------------
class MemoryTransportConfig(Section):
    type: Literal["memory"] = "memory"
    capacity: int = Field(default=64, description="Batches held before sources block.")


class KafkaTransportConfig(Section):
    type: Literal["kafka"] = "kafka"
    bootstrap_servers: list[str] = ["127.0.0.1:9092"]
    topic: str = "canhgac.events"
    dead_letter_topic: str = "canhgac.dead-letters"
    group_id: str = "canhgac-indexer"
    partitions: int = 6
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"] | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None


TransportConfig = Annotated[
    Annotated[MemoryTransportConfig, Tag("memory")] | Annotated[KafkaTransportConfig, Tag("kafka")],
    _tag_or("memory"),
]


class IndexerConfig(Section):
    batch_size: int = 2000
    batch_wait: Duration = timedelta(milliseconds=200)


# --- store ----------------------------------------------------------------------------------
class SQLiteStoreConfig(Section):
    type: Literal["sqlite"] = "sqlite"
    path: str = "./var/canhgac.db"
    synchronous: Literal["OFF", "NORMAL", "FULL"] = "FULL"


class ElasticsearchStoreConfig(Section):
    type: Literal["elasticsearch"] = "elasticsearch"
    hosts: list[str] = ["http://127.0.0.1:9200"]
    index_prefix: str = "canhgac"
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_file: str | None = None
    verify_certs: bool = True


StoreConfig = Annotated[
    Annotated[SQLiteStoreConfig, Tag("sqlite")]
    | Annotated[ElasticsearchStoreConfig, Tag("elasticsearch")],
    _tag_or("sqlite"),
]


# --- detection ------------------------------------------------------------------------------
class DetectionConfig(Section):
    rules_dir: str = "./rules"
    pipeline: list[str] = Field(
        default_factory=lambda: ["./rules/pipelines/ecs.yml"],
        description="Processing pipeline YAML files applied in order.",
    )
    default_interval: Duration = timedelta(minutes=1)
    ingest_delay: Duration = Field(
        default=timedelta(seconds=5),
        description="A window ends this long before now, so batches still being written "
        "are not missed; used when the store knows no writer marks (SQLite, or Elasticsearch "
        "with no indexer running).",
    )
    max_lookback: Duration = Field(
        default=timedelta(hours=24), description="How far back a restart backfills."
    )
    max_window: Duration = Field(
        default=timedelta(minutes=10), description="Backfill proceeds in windows this long."
    )
    page_size: int = 1000
    jitter_seconds: int = 5
    lease_ttl: Duration = Field(
        default=timedelta(minutes=10),
        description="A detector holds a rule's lease this long per run (renewed each window), "
        "so two detectors never run the same rule at once; longer than any one window's "
        "search plus the detectors' clock skew.",
    )


# --- alerting -------------------------------------------------------------------------------
class ConsoleChannelConfig(Section):
    type: Literal["console"] = "console"
    name: str = "console"


class WebhookChannelConfig(Section):
    type: Literal["webhook"] = "webhook"
    name: str = "webhook"
    url: str
    secret: SecretStr | None = Field(
        default=None, description="Sent as 'Authorization: Bearer <secret>'."
    )
    timeout: Duration = timedelta(seconds=10)
    max_attempts: int = 5


class EmailChannelConfig(Section):
    type: Literal["email"] = "email"
    name: str = "email"
    host: str = "127.0.0.1"
    port: int = 25
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    sender: str = "canhgac@localhost"
    recipients: list[str]
    max_attempts: int = 5


ChannelConfig = Annotated[
    Annotated[ConsoleChannelConfig, Tag("console")]
    | Annotated[WebhookChannelConfig, Tag("webhook")]
    | Annotated[EmailChannelConfig, Tag("email")],
    _tag_or("console"),
]


def _default_channels() -> list[ChannelConfig]:
    return [ConsoleChannelConfig()]


class AlertingConfig(Section):
    channels: list[ChannelConfig] = Field(default_factory=_default_channels)
    min_severity: Literal["informational", "low", "medium", "high", "critical"] = "low"


class WebConfig(Section):
    host: str = "127.0.0.1"
    port: int = 8080
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

    @model_validator(mode="before")
    @classmethod
    def _tls_means_secure_cookies(cls, data: Any) -> Any:
        """Served over TLS, the cookies are Secure unless the file says otherwise."""
        if isinstance(data, dict) and data.get("tls") is not None:
            return {"secure_cookies": True, **data}
        return data


class MetricsConfig(Section):
    enabled: bool = Field(
        default=False, description="Serve /healthz and Prometheus /metrics for this process."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=9464, description="0 picks a free port (logged at start).")


class DemoConfig(Section):
    mode: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="auto: feed the built-in demo stream when no file source is configured.",
    )
    rate: float = Field(default=20.0, description="Demo events per second.")


# --- data health ----------------------------------------------------------------------------
class HealthSourceConfig(Section):
    """Overrides for one source, by source name or key label (``syslog-tcp / ecab-db01 /
    system.auth``); the label wins over the name."""

    silent_after: Duration | None = Field(
        default=None, description="Silent when nothing arrived for this long (no rhythm)."
    )
    enabled: bool = Field(default=True, description="False: never judge or alert.")


class HealthConfig(Section):
    """Data health per source (canhgac.health): numbers per hour, verdicts and alerts."""

    enabled: bool = Field(
        default=True, description="Compute health in the detect role and raise health alerts."
    )
    interval: Duration = Field(
        default=timedelta(minutes=1), description="How often liveness is checked."
    )
    settle: Duration = Field(
        default=timedelta(minutes=2),
        description="An hour's numbers are computed this long after it ends (late writes).",
    )
    retention: Duration = Field(
        default=timedelta(days=30), description="Hourly numbers are kept this long (>= 30d)."
    )
    backfill: Duration = Field(
        default=timedelta(hours=24), description="Hours computed on the very first start."
    )
    baseline: Duration = Field(
        default=timedelta(days=7),
        description="History a source is compared with (its rhythm, its usual shares).",
    )
    silence_floor: Duration = Field(
        default=timedelta(minutes=15), description="No source is silent before this."
    )
    silence_factor: float = Field(
        default=3.0, description="Silent after this many times its usual longest gap."
    )
    min_events: int = Field(
        default=20, description="Baseline events needed before a rhythm is judged."
    )
    min_hour_events: int = Field(
        default=20, description="Hours with fewer events are not judged for shares."
    )
    max_clock_skew: Duration = Field(
        default=timedelta(minutes=5), description="|median skew| above this is wrong time."
    )
    understood_drop: float = Field(
        default=0.25,
        description="Alert when the understood share falls this much below its baseline.",
    )
    max_dead_letter_ratio: float = Field(default=0.05, description="Dead letters / records.")
    max_raw_ratio: float = Field(default=0.5, description="Unparsed (raw) events / events.")
    max_sequence_gap_ratio: float = Field(
        default=0.01, description="Missing sequence numbers / numbered records."
    )
    suppress: Duration = Field(
        default=timedelta(hours=6),
        description="Repeats of one health problem within this window add to one alert.",
    )
    sources: dict[str, HealthSourceConfig] = Field(default_factory=dict)


# --- the whole file -------------------------------------------------------------------------
Role = Literal["collect", "index", "detect", "web"]


def _default_roles() -> list[Role]:
    return ["collect", "index", "detect", "web"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CANHGAC_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    data_dir: str = "./var"
    roles: list[Role] = Field(
        default_factory=_default_roles,
        description="Roles `canhgac run` starts in this process.",
    )
    sources: list[SourceConfig] = Field(default_factory=default_sources)
    transport: TransportConfig = Field(default_factory=MemoryTransportConfig)
    indexer: IndexerConfig = Field(default_factory=IndexerConfig)
    store: StoreConfig = Field(default_factory=SQLiteStoreConfig)
    detection: DetectionConfig = Field(default_factory=DetectionConfig)
    alerting: AlertingConfig = Field(default_factory=AlertingConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    demo: DemoConfig = Field(default_factory=DemoConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The order is the documented precedence; canhgac.config_loader adds the YAML file
        # after these (below them) and the defaults last.
        return (init_settings, env_settings, file_secret_settings)
