"""Configuration: one YAML file plus ``CANHGAC_*`` environment variables.

Precedence, highest first (pydantic-settings' explicit source tuple):

1. values passed in code (tests, the CLI's own flags);
2. environment variables ``CANHGAC_<SECTION>__<KEY>`` (``__`` separates nesting levels),
   e.g. ``CANHGAC_STORE__SQLITE__PATH=/data/canhgac.db``;
3. secret files in ``CANHGAC_SECRETS_DIR`` (one file per variable name, Docker/systemd style);
4. the YAML file (``--config``, default ``canhgac.yaml`` if it exists);
5. the defaults below: the embedded mode, listening on loopback only.

Every model rejects unknown keys; errors are reported one line each, naming the key and the
YAML ``file:line`` it came from.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SecretStr,
    Tag,
    ValidationError,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from canhgac.errors import ConfigError

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


# --- sources --------------------------------------------------------------------------------
class SourceBase(Section):
    name: str = Field(description="Unique name; part of every event id from this source.")
    parser: str = Field(
        default="auto",
        description="Parser registry name (auto, rfc3164, rfc5424, auth, auditd, nginx, "
        "apache, json, fortigate, cef, windows).",
    )
    encoding: str = Field(default="utf-8", description="Byte encoding, e.g. windows-1258.")
    dataset: str | None = Field(default=None, description="Overrides event.dataset.")


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


class SyslogTcpSourceConfig(SourceBase):
    type: Literal["syslog_tcp"] = "syslog_tcp"
    host: str = "127.0.0.1"
    port: int = 5514
    max_message_bytes: int = 1_048_576


class HttpSourceConfig(SourceBase):
    type: Literal["http"] = "http"
    parser: str = "json"
    host: str = "127.0.0.1"
    port: int = 8088
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
        # The order is the documented precedence; the YAML comes in through init kwargs
        # of load_settings() as the lowest-priority source below.
        return (init_settings, env_settings, file_secret_settings, _YAML_SOURCE(settings_cls))


class _YamlSource(PydanticBaseSettingsSource):
    data: dict[str, Any] = {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.data)


def _YAML_SOURCE(settings_cls: type[BaseSettings]) -> PydanticBaseSettingsSource:
    source = _YamlSource(settings_cls)
    source.data = _current_yaml.get("data", {})
    return source


# load_settings() hands the parsed YAML to the source above; pydantic-settings builds
# sources inside the Settings constructor, so this is set just around that call.
_current_yaml: dict[str, dict[str, Any]] = {}


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the YAML file (if any), apply the environment, validate everything."""
    data: dict[str, Any] = {}
    lines: dict[tuple[str | int, ...], int] = {}
    label = "<defaults>"
    if path is not None:
        label = str(path)
        data, lines = _read_yaml(Path(path))
    secrets_dir = os.environ.get("CANHGAC_SECRETS_DIR")
    _current_yaml["data"] = data
    try:
        if secrets_dir:
            return Settings(_secrets_dir=secrets_dir, **overrides)  # type: ignore[call-arg]  # pydantic-settings init option
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, label, lines)) from None
    finally:
        _current_yaml.clear()


def _read_yaml(path: Path) -> tuple[dict[str, Any], dict[tuple[str | int, ...], int]]:
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc}") from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping of sections")
    lines: dict[tuple[str | int, ...], int] = {}
    _index_lines(node, (), lines)
    return data, lines


def _index_lines(
    node: yaml.Node | None, prefix: tuple[str | int, ...], out: dict[tuple[str | int, ...], int]
) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*prefix, key_node.value)
            out[key] = key_node.start_mark.line + 1
            _index_lines(value_node, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key = (*prefix, index)
            out[key] = item.start_mark.line + 1
            _index_lines(item, key, out)


def _describe(exc: ValidationError, label: str, lines: dict[tuple[str | int, ...], int]) -> str:
    problems: list[tuple[int, str]] = []
    for error in exc.errors():
        # Discriminated unions add the tag ("file", "http") to the location; drop it.
        loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
        dotted = ".".join(str(part) for part in loc)
        line = _nearest_line(loc, lines)
        where = f"{label}:{line}" if line else label
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{dotted}'"
        else:
            message = f"'{dotted}': {error['msg']}"
        problems.append((line or 0, f"{where}: {message}"))
    # In file order, so the report reads top to bottom like the file.
    return "\n".join(text for _, text in sorted(problems))


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and part in {
        "file",
        "syslog_udp",
        "syslog_tcp",
        "http",
        "memory",
        "kafka",
        "sqlite",
        "elasticsearch",
        "console",
        "webhook",
        "email",
    }


def _nearest_line(
    loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]
) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None
