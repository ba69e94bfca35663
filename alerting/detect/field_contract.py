"""The ECS fields our parsers produce, per dataset: what a rule may compare and find.

``canhgac rules check`` warns about a rule field (after the pipeline's mapping) that no dataset
of the rule carries: such a condition can never be true (or, negated, is always true), which
is almost always a typo or a field from someone else's log format. Datasets whose parser keeps
every key of the source (auditd, FortiGate, CEF, Windows event data, JSON application logs)
accept any field under their prefix. A test checks the parsers against this contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

# Every event has these (the kernel's contract).
COMMON = frozenset(
    {"@timestamp", "event.original", "event.dataset", "event.module", "event.kind",
     "event.ingested", "message", "tags", "event.timestamp_fallback", "log.encoding_errors",
     # ECS categorization and related.*, completed for every event (ingest.parse.categories)
     "event.category", "event.type", "event.outcome", "related.ip", "related.user",
     "related.hosts",
     # provenance, set at intake (canhgac.health.fields)
     "canhgac.source", "log.source.address", "log.file.path", "log.offset"}
)  # fmt: skip

SYSLOG = frozenset(
    {"host.name", "process.name", "process.pid", "log.syslog.facility.code",
     "log.syslog.severity.code", "log.syslog.priority", "log.syslog.appname",
     "log.syslog.msgid", "log.syslog.procid", "log.syslog.version"}
)  # fmt: skip

AUTH = SYSLOG | frozenset(
    {"event.category", "event.action", "event.outcome", "user.name", "user.id",
     "user.effective.name", "user.effective.id", "user.target.name", "user.target.id",
     "group.name", "group.id", "source.ip", "source.port", "process.command_line",
     "process.working_directory", "source.domain", "system.auth.ssh.method",
     "system.auth.ssh.event",
     "system.auth.ssh.invalid_user", "system.auth.ssh.signature", "system.auth.ssh.user_state",
     "system.auth.sudo.tty", "system.auth.sudo.error", "system.auth.su.tty",
     "system.auth.session.id", "system.auth.login.tty", "system.auth.login.reason",
     "system.auth.pam.type", "system.auth.pam.service", "system.auth.pam.ruser",
     "system.auth.pam.module", "system.auth.pam.logname", "system.auth.useradd.shell",
     "system.auth.useradd.home", "system.auth.usermod.change"}
)  # fmt: skip

WEB = frozenset(
    {"event.category", "event.outcome", "source.ip", "user.name", "http.request.method",
     "url.original", "url.path", "url.query", "url.domain", "http.version",
     "http.response.status_code", "http.response.body.bytes", "http.request.referrer",
     "user_agent.original", "host.name"}
)  # fmt: skip

# auditd records joined into one event (ingest/parse/auditd_event.py); it never has the
# parent's image or command line.
AUDITD = frozenset(
    {"process.executable", "process.name", "process.pid", "process.parent.pid", "process.args",
     "process.args_count", "process.command_line", "process.title",
     "process.working_directory", "user.id", "user.name", "user.audit.id", "user.audit.name",
     "user.effective.id", "user.effective.name", "user.target.name", "user.target.id",
     "group.id", "event.outcome", "event.action", "event.category", "event.type", "file.path",
     "file.name", "file.inode", "destination.ip", "destination.port", "network.type",
     "network.direction", "source.ip", "host.name"}
)  # fmt: skip

NETWORK = frozenset(
    {"event.category", "event.action", "event.outcome", "event.code", "event.severity",
     "source.ip", "source.port", "destination.ip", "destination.port", "network.transport",
     "network.protocol", "source.nat.ip", "source.nat.port", "source.bytes", "destination.bytes",
     "source.domain", "destination.domain", "source.user.name", "destination.user.name",
     "source.geo.country_name", "destination.geo.country_name", "url.original",
     "http.request.method", "rule.id", "observer.name", "observer.serial_number",
     "observer.vendor", "observer.product", "observer.version", "observer.type",
     "observer.ingress.interface.name", "observer.egress.interface.name", "host.name"}
) | SYSLOG  # FortiGate and CEF arrive over syslog  # fmt: skip

WINDOWS = frozenset(
    {"event.code", "event.action", "event.outcome", "event.category", "host.name", "user.name",
     "user.domain", "winlog.channel", "winlog.computer_name", "winlog.provider_name",
     "winlog.provider_guid", "winlog.record_id", "winlog.event_id", "winlog.keywords",
     "winlog.task", "winlog.opcode", "winlog.version", "winlog.event_type",
     "winlog.activity_id", "winlog.related_activity_id", "winlog.process.pid",
     "winlog.process.thread.id", "winlog.user.name", "winlog.user.domain",
     "winlog.user.identifier", "winlog.user.type", "agent.type", "agent.version",
     "event.provider", "log.level", "process.command_line", "process.executable",
     "process.parent.executable", "source.ip", "source.port", "source.domain",
     "destination.ip", "destination.port", "destination.domain", "network.transport",
     "process.pid", "process.parent.pid", "process.parent.command_line",
     "process.working_directory", "file.path", "registry.path", "dns.question.name",
     "service.name", "event.type", "event.created"}
)  # fmt: skip

# Sysmon for Linux (ingest/parse/sysmon_linux.py): Windows-shaped, with the Linux extras.
SYSMON_LINUX = WINDOWS | frozenset(
    {"process.name", "file.name", "network.direction", "process.parent.user.name",
     "event.provider", "log.syslog.appname"}
) | SYSLOG  # fmt: skip

# The cloud audit parsers (ingest/parse/cloudtrail.py, azure.py, gcp_audit.py, o365.py): ECS
# fields, and the whole record under the integration's namespace (OPEN_PREFIXES).
CLOUD = frozenset(
    {"event.action", "event.provider", "event.id", "event.outcome", "cloud.provider",
     "cloud.region", "cloud.account.id", "cloud.project.id", "source.ip", "source.domain",
     "user.name", "user.id", "user.email", "user_agent.original"}
)  # fmt: skip
_CLOUD_NAMESPACES = {
    "aws.cloudtrail": ("aws.cloudtrail.",),
    "azure.activitylogs": ("azure.activitylogs.",),
    "azure.auditlogs": ("azure.auditlogs.",),
    "azure.signinlogs": ("azure.signinlogs.",),
    "azure.identity_protection": ("azure.identity_protection.",),
    "gcp.audit": ("gcp.audit.",),
    "google_workspace.admin": ("gcp.audit.", "google_workspace.admin."),
    "google_workspace.login": ("gcp.audit.", "google_workspace.login."),
    "o365.audit": ("o365.audit.",),
}

KNOWN_FIELDS: dict[str, frozenset[str]] = {
    "syslog": SYSLOG,
    "system.auth": AUTH,
    "nginx.access": WEB,
    "apache.access": WEB,
    "auditd.log": AUDITD,
    "fortinet.firewall": NETWORK,
    "cef": NETWORK | frozenset({"cef.version", "cef.severity", "cef.name", "cef.category"}),
    "windows": WINDOWS,
    "sysmon_linux.log": SYSMON_LINUX,
    **dict.fromkeys(_CLOUD_NAMESPACES, CLOUD),
}

# Datasets whose parser keeps every key of the source under a prefix.
OPEN_PREFIXES: dict[str, tuple[str, ...]] = {
    "syslog": ("log.syslog.structured_data.",),
    "system.auth": ("log.syslog.structured_data.", "system.auth.pam.", "system.auth.sudo."),
    "auditd.log": ("hanoi.auditd.",),
    "fortinet.firewall": ("fortinet.firewall.",),
    "cef": ("cef.extensions.",),
    # winlogbeat and nxlog records keep their own keys (winlog.user_data.*, hanoi.nxlog.*).
    "windows": ("winlog.", "hanoi.nxlog."),
    "sysmon_linux.log": ("winlog.", "hanoi.sysmon_linux."),
    **_CLOUD_NAMESPACES,
}

# Windows channels (what the pipeline restricts Windows rules by) -> dataset.
WINDOWS_CHANNELS = {
    "security": "windows.security",
    "system": "windows.system",
    "microsoft-windows-sysmon/operational": "windows.sysmon",
    "microsoft-windows-powershell/operational": "windows.powershell",
    "windows powershell": "windows.powershell",
}


def dataset_of_channel(channel: str) -> str:
    lowered = channel.lower()
    return WINDOWS_CHANNELS.get(lowered, "windows." + re.sub(r"[^a-z0-9]+", "_", lowered))


def contract_of(dataset: str) -> str | None:
    """The contract entry for a dataset; None when its fields are the source's own (JSON
    application logs): any field may be there."""
    if dataset in KNOWN_FIELDS:
        return dataset
    if dataset.startswith("windows."):
        return "windows"
    return None


def is_known(field: str, datasets: set[str]) -> bool:
    """Whether any of ``datasets`` can carry ``field``."""
    if field in COMMON:
        return True
    for dataset in datasets:
        contract = contract_of(dataset)
        if contract is None:
            return True
        if field in KNOWN_FIELDS[contract]:
            return True
        if field.startswith(OPEN_PREFIXES.get(contract, ())):
            return True
    return False


# The datasets each parser writes (a pattern: any matching name), for the sources a site
# configures; the source's dataset setting replaces them. A parser not listed (syslog, raw)
# writes any dataset unless the source sets one; auto and json always may.
PARSER_DATASETS: dict[str, tuple[str, ...]] = {
    "auditd": ("auditd.log",), "auth": ("system.auth",), "nginx": ("nginx.access",),
    "apache": ("apache.access",), "nginx_error": ("nginx.error",),
    "apache_error": ("apache.error",), "fortigate": ("fortinet.firewall",), "cef": ("cef",),
    "windows": ("windows.*",), "squid": ("squid.access",), "bind": ("bind.query",),
    "dnsmasq": ("dnsmasq.log",), "zeek": ("zeek.*",), "opencanary": ("opencanary.events",),
    "kubernetes_audit": ("kubernetes.audit",), "cisco_asa": ("cisco.asa",),
    "paloalto": ("panos.panos",), "sysmon_linux": ("sysmon_linux.log",),
    "windows_dns": ("windows_dns.debug",), "cloudtrail": ("aws.cloudtrail",),
    "azure": ("azure.*",), "gcp_audit": ("gcp.audit", "google_workspace.*"),
    "o365": ("o365.audit",),
}  # fmt: skip
# Parsers whose record, not the source's dataset setting, names the dataset of most events,
# or, for Windows, what the rules are restricted by (the channel); a JSON record may name its
# own (ingest/parse/record.py).
_RECORD_DATASETS = frozenset(("azure", "gcp_audit", "windows"))
_SELF_NAMED = frozenset(("auto", "json"))


def collected_datasets(sources: Iterable[tuple[str, str | None]]) -> tuple[str, ...] | None:
    """The dataset patterns the sources ``(parser, dataset setting)`` of a configuration
    write; None when one of them may write any dataset (or there are none)."""
    patterns: list[str] = []
    for parser, dataset in sources:
        written = PARSER_DATASETS.get(parser, ())
        if parser in _SELF_NAMED or not (written or dataset):
            return None
        if dataset:
            patterns.append(dataset)
        if not dataset or parser in _RECORD_DATASETS:
            patterns.extend(written)
    return tuple(patterns) or None


def is_collected(dataset: str, collected: tuple[str, ...]) -> bool:
    return any(fnmatchcase(dataset, pattern) for pattern in collected)
