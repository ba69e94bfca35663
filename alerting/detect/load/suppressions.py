"""Rule suppressions: who accepted which false positive, why, and until when.

In code they are *suppressions*; the files, the folder, the CLI and the UI call them
*exceptions* (``rules/exceptions/``, ``canhgac rules impact``, the triage "exception" form), and
those names are kept as they are. They live as YAML under ``rules/exceptions/*.yml``, next to
the rules they change::

    exceptions:
      - id: soc-vulnerability-scanner
        rules: [web_scan_many_paths]      # rule ids or names (detection or correlation rules)
        owner: soc@hanoi.gov.vn
        reason: Weekly authorised scan from the SOC's own scanner
        expires: 2027-06-30               # last day it applies (Hanoi time)
        match:                            # a Sigma selection; a list of them means "any of"
          source.ip|cidr: 10.20.99.0/28

A suppression becomes a Sigma filter (``condition: not <match>``) added to its rules before they
are compiled, so it is part of the very query each store runs (see
:mod:`alerting.detect.load.filters` for why). An expired one stops applying and is reported,
never silently kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sigma.exceptions import SigmaError
from sigma.filters import SigmaGlobalFilter

from canhgac.errors import RuleError
from canhgac.timeutil import DISPLAY_ZONE
from canhgac.yaml_lines import YamlLines

SUPPRESSIONS_DIR = "exceptions"
# The detection name a suppression's match gets inside the rule it changes (shown by
# `rules convert`, so it keeps the name the files use).
MATCH_NAME = "exception"


class RuleSuppression(BaseModel):
    """One accepted false positive (the YAML boundary; extra keys are typos)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, description="Short unique name, used in reports.")
    rules: list[str] = Field(min_length=1, description="Rule ids or names it applies to.")
    owner: str = Field(min_length=1, description="Who accepted it and answers for it.")
    reason: str = Field(min_length=1, description="Why these events are not an attack.")
    expires: date = Field(description="The last day (Hanoi time) the exception applies.")
    match: dict[str, Any] | list[dict[str, Any]] = Field(
        description="A Sigma selection (or a list of them: any of) of the events to ignore."
    )

    @field_validator("id", "owner", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    def expired(self, today: date) -> bool:
        return today > self.expires


class SuppressionFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exceptions: list[RuleSuppression] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LoadedSuppression:
    """A valid suppression with where it is written."""

    suppression: RuleSuppression
    path: Path
    line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def sigma_filter(self, negate: bool = True) -> SigmaGlobalFilter:
        """The suppression as a Sigma filter body; ``negate=False`` selects what it ignores
        (the impact preview)."""
        condition = f"not {MATCH_NAME}" if negate else MATCH_NAME
        return SigmaGlobalFilter.from_dict(
            {"rules": "any", MATCH_NAME: self.suppression.match, "condition": condition}
        )


@dataclass(slots=True)
class SuppressionSet:
    suppressions: list[LoadedSuppression] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)

    def active(self, today: date) -> list[LoadedSuppression]:
        return [e for e in self.suppressions if not e.suppression.expired(today)]

    def expired(self, today: date) -> list[LoadedSuppression]:
        return [e for e in self.suppressions if e.suppression.expired(today)]


def today_in_hanoi(now: datetime | None = None) -> date:
    """Expiry dates are written in the city's calendar."""
    return (now or datetime.now(DISPLAY_ZONE)).astimezone(DISPLAY_ZONE).date()


def expiry_warning(loaded: LoadedSuppression) -> str:
    e = loaded.suppression
    return (
        f"{loaded.where}: exception '{e.id}' (owner {e.owner}) expired on {e.expires} and no "
        f"longer applies; renew it or delete it"
    )


def suppression_files(location: Path) -> list[Path]:
    """``location`` itself if it is a file, else its YAML files."""
    if location.is_file():
        return [location]
    if not location.is_dir():
        return []
    return sorted(p for p in location.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_suppressions(location: str | Path) -> SuppressionSet:
    """Every suppression in a file or under a directory (none if it does not exist); one error
    per problem."""
    result = SuppressionSet()
    seen: dict[str, LoadedSuppression] = {}
    for path in suppression_files(Path(location)):
        for item in _load_file(path):
            if isinstance(item, RuleError):
                result.errors.append(item)
            elif item.suppression.id in seen:
                first = seen[item.suppression.id]
                result.errors.append(
                    RuleError(
                        f"duplicate exception id '{item.suppression.id}' (also at {first.where})",
                        str(path),
                        item.line,
                    )
                )
            else:
                seen[item.suppression.id] = item
                result.suppressions.append(item)
    return result


def _load_file(path: Path) -> list[LoadedSuppression | RuleError]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
        raw = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError) as exc:
        return [RuleError(f"cannot read exception file: {exc}", where, 1)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [
            RuleError(
                f"invalid YAML: {getattr(exc, 'problem', exc)}", where, mark.line + 1 if mark else 1
            )
        ]
    lines = YamlLines.of(text)
    try:
        parsed = SuppressionFile.model_validate(raw if raw is not None else {})
    except ValidationError as exc:
        return [_validation_error(error, where, lines) for error in exc.errors()]
    loaded: list[LoadedSuppression | RuleError] = []
    for index, suppression in enumerate(parsed.exceptions):
        item = LoadedSuppression(suppression, path, lines.key("exceptions", index) or 1)
        try:
            item.sigma_filter()
        except SigmaError as exc:
            line = lines.key("exceptions", index, "match") or item.line
            message = " ".join(str(exc.args[0] if exc.args else exc).split())
            loaded.append(
                RuleError(f"exception '{suppression.id}': invalid match: {message}", where, line)
            )
            continue
        loaded.append(item)
    return loaded


def _validation_error(error: Any, where: str, lines: YamlLines) -> RuleError:
    loc = tuple(error["loc"])
    dotted = ".".join(str(part) for part in loc) or "file"
    if error["type"] == "extra_forbidden":
        message = f"unknown key '{dotted}'"
    elif error["type"] == "missing":
        message = f"'{dotted}' is required"
    else:
        message = f"'{dotted}': {error['msg']}"
    return RuleError(message, where, lines.key(*loc) or 1)
