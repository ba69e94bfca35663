"""An exception drafted from an alert: pre-filled, validated, and written as the rules expect.

The draft becomes a :class:`~alerting.detect.suppressions.RuleSuppression` written to
``<rules_dir>/exceptions/<id>.yml``, the folder and YAML format detection loads exceptions from
(see :mod:`alerting.detect.suppressions`), so the exception is reviewed and versioned with
the rules like any other and applies the next time the rules are loaded.

Match values come from the alert, which comes from the logs: an attacker who can choose a host
name could put Sigma wildcards in it and widen the exception. Every value is therefore escaped
to match itself literally.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alerting.detect.suppressions import (
    SUPPRESSIONS_DIR,
    LoadedSuppression,
    RuleSuppression,
    SuppressionFile,
    load_suppressions,
)
from alerting.triage.errors import ConflictError, InvalidInputError
from canhgac.models import Alert
from canhgac.text import nfc

#: The snapshot fields offered for the match, in this order (the issue names these three).
SUGGESTED_FIELDS = ("host.name", "user.name", "source.ip")
MAX_MATCH_FIELDS = 10
MAX_DAYS = 90
DEFAULT_DAYS = 30
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
#: The error codes drafting and saving may answer with (each has a translated message).
EXCEPTION_ERROR_CODES = (
    "exception_expired",
    "exception_expiry",
    "exception_exists",
    "exception_unknown_rule",
    "exception_changed",
)
_SIGMA_SPECIAL = re.compile(r"([*?\\])")
_NOT_ID = re.compile(r"[^a-z0-9]+")


class ExceptionDraft(BaseModel):
    """What the form (or the API) sends to preview or save an exception."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID_PATTERN, description="Short unique name: a-z, 0-9, '.', '_', '-'")
    rules: list[str] = Field(min_length=1, max_length=20, description="Rule ids it applies to")
    owner: str = Field(min_length=1, max_length=200, description="Who answers for it")
    reason: str = Field(min_length=1, max_length=2000, description="Why this is not an attack")
    expires: date = Field(description="Last day (Hanoi time) it applies")
    match: dict[str, str] = Field(
        min_length=1,
        max_length=MAX_MATCH_FIELDS,
        description="Field -> exact value; events with all of them are excepted",
    )
    days: int = Field(
        default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Impact preview period in days"
    )

    @field_validator("owner", "reason")
    @classmethod
    def _text(cls, value: str) -> str:
        value = nfc(value.strip())
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("rules")
    @classmethod
    def _rule_ids(cls, value: list[str]) -> list[str]:
        cleaned = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        if not cleaned or any(len(v) > 200 for v in cleaned):
            raise ValueError("name 1 to 20 rule ids of at most 200 characters")
        return cleaned

    @field_validator("match")
    @classmethod
    def _match(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not 1 <= len(name) <= 200 or len(text) > 8000 or "|" in name:
                raise ValueError("fields are 1 to 200 characters without '|'")
        return value


def sigma_literal(value: str) -> str:
    """``value`` as a Sigma string that matches exactly itself (no wildcards)."""
    return _SIGMA_SPECIAL.sub(r"\\\1", value)


def suggested_id(alert: Alert, today: date) -> str:
    """A readable id: the rule, the first matched value, the date; the user may change it."""
    values = [str(alert.snapshot[f]) for f in SUGGESTED_FIELDS if _offered(alert, f)]
    words = _NOT_ID.sub("-", " ".join([alert.rule_id[:30], *values[:1]]).lower()).strip("-")
    return f"{words[:60].strip('-') or 'exception'}-{today:%Y%m%d}"


def _offered(alert: Alert, field: str) -> bool:
    value = alert.snapshot.get(field)
    return isinstance(value, (str, int)) and not isinstance(value, bool) and str(value) != ""


def candidate_fields(alert: Alert) -> dict[str, str]:
    """The alert's fields an exception may match on: the suggested ones first, then the
    rest of the group key and snapshot (scalar values only)."""
    found: dict[str, str] = {
        f: str(alert.snapshot[f]) for f in SUGGESTED_FIELDS if _offered(alert, f)
    }
    for source in (alert.group_key, alert.snapshot):
        for name, value in source.items():
            if name not in found and isinstance(value, (str, int, float)) and "|" not in name:
                found[name] = str(value)
    return found


def draft_for(alert: Alert, owner: str, today: date) -> ExceptionDraft:
    """The form's starting point for ``alert``: its rule, the suggested fields it has."""
    fields = candidate_fields(alert)
    match = {f: fields[f] for f in SUGGESTED_FIELDS if f in fields}
    return ExceptionDraft.model_construct(
        id=suggested_id(alert, today),
        rules=[alert.rule_id],
        owner=owner,
        reason="",
        expires=today + DEFAULT_LIFETIME,
        match=match or dict(list(fields.items())[:1]),
        days=DEFAULT_DAYS,
    )


def rule_exception(draft: ExceptionDraft, today: date) -> RuleSuppression:
    """The exception as detection reads it; refuses an expiry in the past or too far ahead."""
    if draft.expires < today:
        raise InvalidInputError("the expiry date is in the past", code="exception_expired")
    if draft.expires > today + MAX_LIFETIME:
        raise InvalidInputError(
            "an exception lasts at most a year; renew it when it expires", code="exception_expiry"
        )
    match = {name: sigma_literal(value) for name, value in draft.match.items()}
    try:
        return RuleSuppression(
            id=draft.id,
            rules=draft.rules,
            owner=draft.owner,
            reason=draft.reason,
            expires=draft.expires,
            match=match,
        )
    except ValidationError as exc:  # a draft built without validation (the pre-filled one)
        raise InvalidInputError(f"the exception is incomplete: {exc.errors()[0]['msg']}") from None


def loaded(exception: RuleSuppression, path: Path) -> LoadedSuppression:
    """The exception as if loaded from ``path``; its Sigma match is checked here."""
    item = LoadedSuppression(exception, path, 1)
    try:
        item.sigma_filter()
    except Exception as exc:  # noqa: BLE001 - pySigma raises many types for a bad selection
        raise InvalidInputError(f"the match is not valid Sigma: {exc}") from None
    return item


def exception_path(rules_dir: str | Path, exception_id: str) -> Path:
    return Path(rules_dir) / SUPPRESSIONS_DIR / f"{exception_id}.yml"


def write_exception(rules_dir: str | Path, exception: RuleSuppression, note: str) -> Path:
    """Write ``exception`` to its own file under ``rules_dir/exceptions``; refuses an id that
    any exception file already uses. The file is created exclusively and checked by loading
    it back as detection will."""
    folder = Path(rules_dir) / SUPPRESSIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    known = load_suppressions(folder)
    if any(e.suppression.id == exception.id for e in known.suppressions):
        raise ConflictError(f"an exception {exception.id!r} exists", code="exception_exists")
    path = exception_path(rules_dir, exception.id)
    body: dict[str, Any] = SuppressionFile(exceptions=[exception]).model_dump()
    text = "".join(f"# {line}\n" for line in note.splitlines()) + yaml.safe_dump(
        body, allow_unicode=True, sort_keys=False, width=100
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise ConflictError(f"{path.name} exists", code="exception_exists") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    check = load_suppressions(path)
    if check.errors or len(check.suppressions) != 1:
        path.unlink()
        raise InvalidInputError(f"the exception does not load back: {check.errors[:1]}")
    return path
