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

from datetime import timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
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

from canhgac.config_assets import AssetsConfig as AssetsConfig
from canhgac.config_base import Duration as Duration
from canhgac.config_base import Section as Section
from canhgac.config_base import _tag_or

# The channel models live in canhgac.config_channels; these are re-exported for older imports.
from canhgac.config_channels import ChannelConfig as ChannelConfig
from canhgac.config_channels import ConsoleChannelConfig as ConsoleChannelConfig
from canhgac.config_channels import EmailChannelConfig as EmailChannelConfig
from canhgac.config_channels import SeverityName
from canhgac.config_channels import WebhookChannelConfig as WebhookChannelConfig

# Sections with a module of their own, re-exported so ``from canhgac.config import X`` works.
from canhgac.config_health import HealthConfig as HealthConfig
from canhgac.config_health import HealthSourceConfig as HealthSourceConfig
from canhgac.config_incidents import IncidentsConfig as IncidentsConfig
from canhgac.config_tls import ListenerTlsConfig as ListenerTlsConfig
from canhgac.config_tls import TlsConfig as TlsConfig
from canhgac.config_web import LoginConfig as LoginConfig
from canhgac.config_web import TokenConfig as TokenConfig
from canhgac.config_web import WebConfig as WebConfig


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
        "apache, nginx_error, apache_error, json, fortigate, cef, windows, squid, bind, "
        "dnsmasq, zeek, opencanary, kubernetes_audit, cisco_asa, paloalto, sysmon_linux, "
        "windows_dns, cloudtrail, azure, gcp_audit, o365).",
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
    auditd_join_timeout: Duration = Field(
        default=timedelta(seconds=2),
        description="How long the records of one kernel audit event (SYSCALL, EXECVE, PATH...) "
        "wait for the rest before the event is stored partial (file and syslog sources parsed "
        "by auto or auditd; EOE ends an event at once).",
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


class StreamListenerConfig(SourceBase):
    """What bounds a connection-oriented listener (TCP syslog, HTTP): a peer holding many
    connections open, or one open without sending, costs this listener its connection slots
    and nothing else (no other role, no other listener)."""

    max_connections: int = Field(
        default=256,
        gt=0,
        description="Connections served at once; one more is closed at once (one thread each).",
    )
    max_connections_per_address: int = Field(
        default=32, gt=0, description="Connections served at once from one peer address."
    )
    listen_backlog: int = Field(
        default=128,
        gt=0,
        description="Connections the kernel queues before accept (capped by net.core.somaxconn).",
    )


class SyslogTcpSourceConfig(StreamListenerConfig):
    type: Literal["syslog_tcp"] = "syslog_tcp"
    host: str = "127.0.0.1"
    port: int = 5514
    tls: ListenerTlsConfig | None = Field(
        default=None, description="Syslog over TLS (RFC 5425, conventionally port 6514)."
    )
    max_message_bytes: int = 1_048_576
    idle_timeout: Duration = Field(
        default=timedelta(minutes=10),
        gt=timedelta(0),
        description="A connection that sends nothing for this long is closed. Long: rsyslog "
        "may lose the first message it sends on a connection the server closed.",
    )
    read_timeout: Duration = Field(
        default=timedelta(seconds=30),
        gt=timedelta(0),
        description="A frame, once begun, must be complete within this (a sender trickling "
        "bytes without ever ending a frame is closed; the partial frame is dead-lettered).",
    )


class IngestToken(Section):
    """One sender's credential for an HTTP source: revoked by removing it from the config."""

    name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="Who sends with it (a host or group); scopes its Idempotency-Keys.",
    )
    secret: SecretStr | None = Field(default=None, description="The bearer token itself.")
    secret_file: str | None = Field(
        default=None, description="A file holding the token (a Docker/systemd secret)."
    )

    @model_validator(mode="after")
    def _one_secret(self) -> IngestToken:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError("give exactly one of 'secret' and 'secret_file'")
        return self


class HttpSourceConfig(StreamListenerConfig):
    type: Literal["http"] = "http"
    parser: str = "json"
    host: str = "127.0.0.1"
    port: int = 8088
    tls: ListenerTlsConfig | None = Field(default=None, description="HTTPS ingest.")
    max_body_bytes: int = 10_485_760
    token: SecretStr | None = Field(
        default=None, description="If set, requests must send 'Authorization: Bearer <token>'."
    )
    tokens: list[IngestToken] = Field(
        default_factory=list,
        description="Named tokens, one per sending host or group (with or instead of 'token').",
    )
    idle_timeout: Duration = Field(
        default=timedelta(seconds=5),
        gt=timedelta(0),
        description="An idle keep-alive connection is closed after this long.",
    )
    read_timeout: Duration = Field(
        default=timedelta(seconds=60),
        gt=timedelta(0),
        description="A request (headers and body), once begun, must arrive within this.",
    )

    @model_validator(mode="after")
    def _unique_token_names(self) -> HttpSourceConfig:
        names = [token.name for token in self.tokens]
        if len(set(names)) != len(names) or (self.token is not None and "default" in names):
            raise ValueError("token names must be unique ('default' is the name of 'token')")
        return self


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
        "are not missed; used only when the store cannot tell when every earlier event is "
        "searchable (Elasticsearch with no indexer running; SQLite always can).",
    )
    max_lookback: Duration = Field(
        default=timedelta(hours=24), description="How far back a restart backfills."
    )
    max_window: Duration = Field(
        default=timedelta(minutes=10), description="Backfill proceeds in windows this long."
    )
    page_size: int = 1000
    jitter_seconds: int = Field(
        default=5,
        ge=0,
        description="Each interval's tick starts at a phase drawn once within this many "
        "seconds, so ticks of different intervals and detectors stay apart; ticks then run "
        "exactly one interval apart.",
    )
    lease_ttl: Duration = Field(
        default=timedelta(minutes=10),
        gt=timedelta(0),
        description="A detector holds a rule's lease this long per run (renewed each window), "
        "so two detectors never run the same rule at once; longer than any one window's "
        "search plus the detectors' clock skew.",
    )


# --- alerting -------------------------------------------------------------------------------
def _default_channels() -> list[ChannelConfig]:
    return [ConsoleChannelConfig()]


class AlertingConfig(Section):
    channels: list[ChannelConfig] = Field(default_factory=_default_channels)
    min_severity: SeverityName = Field(
        default="low", description="Lowest severity notified, for channels that set none."
    )


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
    assets: AssetsConfig = Field(default_factory=AssetsConfig)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)

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
