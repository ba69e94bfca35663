"""The ECS reference (``../shared/ecs/ecs_flat.yml``, v9.4) as a checker for event fields.

A field is *ECS-conformant* when its name is in the reference and its value has the
reference's type; *custom* when it is under the one custom namespace ``hanoi.<dataset>.*``;
*integration* when it is under a namespace of an Elastic integration whose content (Kibana
dashboards, Elastic and Sigma rules) reads it as is (``winlog.*`` from the Windows
integration, ``auditd.log.*``, ``fortinet.firewall.*``, ``cef.*``, the cloud audit logs'
``aws.cloudtrail.*``, ``azure.<log>.*``, ``gcp.audit.*``, ``o365.audit.*``); *bookkeeping* when it is
Canh Gác's own provenance (``canhgac.*``) or a pipeline flag. Everything else is a
violation. ``event.kind/category/type/outcome`` must hold ECS allowed values, and each
category an event.type ECS expects with it.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ECS_FLAT = Path(__file__).resolve().parents[2] / ".." / "shared" / "ecs" / "ecs_flat.yml"
ECS_FLAT_FALLBACK = Path("/work/shared/ecs/ecs_flat.yml")
CUSTOM_PREFIX = "hanoi."
# Field sets of Elastic's integrations (Windows, Auditbeat/auditd, Fortinet, CEF, and the
# Filebeat system/nginx/apache modules), which Elastic's content and SigmaHQ pipelines read.
INTEGRATION_PREFIXES = (
    "winlog.",
    "auditd.log.",
    "fortinet.firewall.",
    "cef.",
    "system.auth.",
    "nginx.error.",
    "apache.error.",
    # the cloud audit integrations (AWS, Azure, GCP, Google Workspace, Microsoft 365)
    "aws.cloudtrail.",
    "azure.activitylogs.",
    "azure.auditlogs.",
    "azure.signinlogs.",
    "azure.identity_protection.",
    "azure.platformlogs.",
    "gcp.audit.",
    "google_workspace.admin.",
    "google_workspace.login.",
    "o365.audit.",
)
INTEGRATION_FIELDS = frozenset(("user.audit.id", "user.audit.name"))  # Auditbeat's names
BOOKKEEPING_PREFIX = "canhgac."
# Flags of our own pipeline (documented in ingest.parse.base and the store docs).
BOOKKEEPING_FIELDS = frozenset(
    ("event.timestamp_fallback", "log.encoding_errors", "event.fields_truncated")
)
CATEGORIZATION = ("event.kind", "event.category", "event.type", "event.outcome")
_TEXT = {"keyword", "constant_keyword", "wildcard", "match_only_text", "text"}
_INTEGER = {"long", "integer", "short", "byte", "unsigned_long"}
_NUMBER = _INTEGER | {"float", "double", "scaled_float", "half_float"}


@cache
def reference() -> dict[str, dict[str, Any]]:
    path = ECS_FLAT if ECS_FLAT.exists() else ECS_FLAT_FALLBACK
    loaded: dict[str, dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def ecs_type(name: str) -> str | None:
    spec = reference().get(name)
    return None if spec is None else str(spec["type"])


def allowed_values(name: str) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in reference()[name].get("allowed_values", [])}


def _is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_ip(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value.partition("%")[0])
    except ValueError:
        return False
    return True


def value_fits(kind: str, value: Any) -> bool:
    """Whether ``value`` (or every item of a list) is of the ECS type ``kind``."""
    if isinstance(value, list):
        return all(value_fits(kind, item) for item in value)
    if kind in _TEXT:
        return isinstance(value, str)
    if kind in _INTEGER:
        return type(value) is int
    if kind in _NUMBER:
        return type(value) in (int, float)
    if kind == "boolean":
        return type(value) is bool
    if kind == "ip":
        return _is_ip(value)
    if kind in ("date", "date_nanos"):
        return _is_date(value)
    return True  # object, flattened, nested, geo_point: not written flat by our parsers


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@dataclass
class Conformance:
    """Field occurrences counted by kind, and every violation with an example."""

    written: Counter[str] = field(default_factory=Counter)
    ecs: set[str] = field(default_factory=set)
    custom: set[str] = field(default_factory=set)
    integration: set[str] = field(default_factory=set)
    bookkeeping: set[str] = field(default_factory=set)
    violations: dict[str, str] = field(default_factory=dict)

    def add(self, fields: dict[str, Any], where: str) -> None:
        for name, value in fields.items():
            self.written[name] += 1
            problem = self._classify(name, value)
            if problem:
                self.violations.setdefault(name, f"{where}: {problem}")
        self._categorization(fields, where)

    def _classify(self, name: str, value: Any) -> str | None:
        kind = ecs_type(name)
        if kind is not None:
            if not value_fits(kind, value):
                return f"{value!r} is not ECS {kind}"
            self.ecs.add(name)
            return None
        if name.startswith(CUSTOM_PREFIX):
            self.custom.add(name)
        elif name.startswith(INTEGRATION_PREFIXES) or name in INTEGRATION_FIELDS:
            self.integration.add(name)
        elif name.startswith(BOOKKEEPING_PREFIX) or name in BOOKKEEPING_FIELDS:
            self.bookkeeping.add(name)
        else:
            return "not an ECS field and not under hanoi.<dataset>."
        return None

    def _categorization(self, fields: dict[str, Any], where: str) -> None:
        for name in CATEGORIZATION:
            if name == "event.outcome" and fields.get("event.kind") != "event":
                continue
            if name not in fields:
                self.violations.setdefault(f"{name} (missing)", where)
                continue
            allowed = allowed_values(name)
            values = fields[name] if isinstance(fields[name], list) else [fields[name]]
            bad = [value for value in values if value not in allowed]
            if bad:
                self.violations.setdefault(f"{name}={bad}", where)
        self._type_fits_category(fields, where)

    def _type_fits_category(self, fields: dict[str, Any], where: str) -> None:
        """ECS lists the event.type values expected with each event.category."""
        categories = allowed_values("event.category")
        types = _as_list(fields.get("event.type"))
        for category in _as_list(fields.get("event.category")):
            expected = set(categories.get(category, {}).get("expected_event_types", []))
            if expected and not expected & set(types):
                self.violations.setdefault(f"event.type {types} for category {category}", where)
