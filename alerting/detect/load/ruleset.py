"""Load a directory of Sigma rules, collecting every problem instead of stopping at the first.

Each problem becomes one :class:`~canhgac.errors.RuleError` whose message starts with
``path:line:``; the good rules load regardless, so one broken file never silences the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sigma import exceptions as sigma_errors
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleLocation
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule

from alerting.detect.load.correlations import (
    LoadedCorrelation,
    load_correlation,
    split_condition_ranges,
)
from alerting.detect.load.rule_settings import RuleSettings, RuleSettingsError, parse_settings
from alerting.detect.load.suppressions import SUPPRESSIONS_DIR
from canhgac.errors import RuleError
from canhgac.yaml_lines import FAST_SAFE_LOADER, YamlLines

RULE_SUFFIXES = (".yml", ".yaml")
# Sigma test fixtures sit next to rules in some packs; pipelines and exceptions are not rules.
FIXTURE_SUFFIXES = (".tests.yml", ".tests.yaml")
PIPELINES_DIR = "pipelines"
NOT_RULE_DIRS = (PIPELINES_DIR, SUPPRESSIONS_DIR)

# The rule key each pySigma error class is about, for the line number.
ERROR_KEYS: dict[type[SigmaError], tuple[str, ...]] = {
    sigma_errors.SigmaTitleError: ("title",),
    sigma_errors.SigmaIdentifierError: ("id",),
    sigma_errors.SigmaNameError: ("name",),
    sigma_errors.SigmaStatusError: ("status",),
    sigma_errors.SigmaLevelError: ("level",),
    sigma_errors.SigmaDateError: ("date",),
    sigma_errors.SigmaModifiedError: ("modified",),
    sigma_errors.SigmaAuthorError: ("author",),
    sigma_errors.SigmaDescriptionError: ("description",),
    sigma_errors.SigmaReferencesError: ("references",),
    sigma_errors.SigmaTagError: ("tags",),
    sigma_errors.SigmaRelatedError: ("related",),
    sigma_errors.SigmaLicenseError: ("license",),
    sigma_errors.SigmaScopeError: ("scope",),
    sigma_errors.SigmaTaxonomyError: ("taxonomy",),
    sigma_errors.SigmaFieldsError: ("fields",),
    sigma_errors.SigmaFalsePositivesError: ("falsepositives",),
    sigma_errors.SigmaLogsourceError: ("logsource",),
    sigma_errors.SigmaConditionError: ("detection", "condition"),
    sigma_errors.SigmaCollectionError: ("action",),
}


@dataclass(frozen=True, slots=True)
class LoadedRule:
    """A valid Sigma rule with where it came from and its ``canhgac:`` settings."""

    rule: SigmaRule
    path: Path
    lines: YamlLines
    settings: RuleSettings

    @property
    def id(self) -> str:
        return str(self.rule.id)

    @property
    def title(self) -> str:
        return str(self.rule.title)

    def line_of(self, *key: str | int) -> int:
        return self.lines.key(*key) or 1

    def error(self, message: str, *key: str | int) -> RuleError:
        return RuleError(message, str(self.path), self.line_of(*key))


@dataclass(frozen=True, slots=True)
class LoadedFilter:
    """A valid Sigma filter document with where it came from."""

    filter: SigmaFilter
    path: Path
    lines: YamlLines

    @property
    def id(self) -> str:
        return str(self.filter.id)

    @property
    def title(self) -> str:
        return str(self.filter.title)

    def references(self) -> list[str] | None:
        """The rule references it names; None for ``rules: any``."""
        rules = self.filter.filter.rules
        return None if isinstance(rules, str) else [ref.reference for ref in rules]


@dataclass(slots=True)
class RuleSet:
    """The rules that loaded and one error per problem found."""

    rules: list[LoadedRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    correlations: list[LoadedCorrelation] = field(default_factory=list)
    filters: list[LoadedFilter] = field(default_factory=list)

    @property
    def messages(self) -> list[str]:
        """The errors as ``path:line: message`` lines."""
        return [str(error) for error in self.errors]


def rule_files(rules_dir: Path) -> list[Path]:
    """Every rule file under ``rules_dir`` in a stable order (fixtures and pipelines excluded)."""
    found = []
    for path in sorted(rules_dir.rglob("*")):
        relative = path.relative_to(rules_dir)
        if (
            path.is_file()
            and path.name.endswith(RULE_SUFFIXES)
            and not path.name.endswith(FIXTURE_SUFFIXES)
            and not any(part in NOT_RULE_DIRS for part in relative.parts[:-1])
            and not any(part.startswith(".") for part in relative.parts)
        ):
            found.append(path)
    return found


def load_rules(rules_dir: str | Path) -> RuleSet:
    """Load every Sigma rule under ``rules_dir``; see :class:`RuleSet`."""
    directory = Path(rules_dir)
    result = RuleSet()
    if not directory.is_dir():
        result.errors.append(RuleError("rules directory does not exist", str(directory), 1))
        return result
    first_path: dict[str, Path] = {}
    for path in rule_files(directory):
        for item in _load_file(path):
            if isinstance(item, RuleError):
                result.errors.append(item)
            elif item.id in first_path:
                result.errors.append(
                    RuleError(
                        f"duplicate rule id {item.id} (also in {first_path[item.id]})",
                        str(path),
                        item.lines.key("id") or 1,
                    )
                )
            else:
                first_path[item.id] = path
                _add(result, item)
    return result


def _add(result: RuleSet, item: LoadedRule | LoadedCorrelation | LoadedFilter) -> None:
    if isinstance(item, LoadedRule):
        result.rules.append(item)
    elif isinstance(item, LoadedCorrelation):
        result.correlations.append(item)
    else:
        result.filters.append(item)


if TYPE_CHECKING:
    _SafeLoader = yaml.SafeLoader
else:  # libyaml's parser when available: YAML parsing is most of loading a rule pack
    _SafeLoader = FAST_SAFE_LOADER


class _RuleLoader(_SafeLoader):
    """Safe YAML with two Sigma-specific rules: duplicate keys are errors (pySigma's own loader
    agrees), and dates stay strings so pySigma reports a bad one as a rule error instead of
    the YAML library raising a bare ValueError."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}'", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep)


_RuleLoader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def _load_file(path: Path) -> Iterator[LoadedRule | LoadedCorrelation | LoadedFilter | RuleError]:
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield RuleError(f"cannot read rule file: {one_line(str(exc))}", where, 1)
        return
    try:
        documents = list(yaml.load_all(text, Loader=_RuleLoader))
    except yaml.YAMLError as exc:
        # libyaml's syntax messages are terser than PyYAML's; only a broken file pays for this.
        exc = _python_yaml_error(text) or exc
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        yield RuleError(
            f"invalid YAML: {one_line(str(problem))}", where, mark.line + 1 if mark else 1
        )
        return
    lines = YamlLines.of(text)
    if not any(isinstance(doc, dict) for doc in documents):
        yield RuleError("not a Sigma rule (no YAML mapping)", where, 1)
        return
    try:
        yield from _parse_rules(path, documents, lines)
    except Exception as exc:  # noqa: BLE001 - pySigma on malformed input; never stop the load
        yield RuleError(f"cannot parse rule: {type(exc).__name__}: {one_line(str(exc))}", where, 1)


def _python_yaml_error(text: str) -> yaml.YAMLError | None:
    try:
        for _ in yaml.compose_all(text, Loader=yaml.SafeLoader):
            pass
    except yaml.YAMLError as exc:
        return exc
    return None


def _parse_rules(
    path: Path, documents: list[Any], lines: YamlLines
) -> Iterator[LoadedRule | LoadedCorrelation | LoadedFilter | RuleError]:
    where = str(path)
    documents, conditions = split_condition_ranges(documents)
    # Correlations reference rules of other files and filters apply to rules of other files:
    # both are resolved once the whole directory is loaded (alerting.detect.correlation.plan,
    # alerting.detect.load.filters).
    collection = SigmaCollection.from_dicts(
        documents,
        collect_errors=True,
        source=SigmaRuleLocation(path),
        resolve_references=False,
        collect_filters=True,
    )
    reported: set[int] = set()
    for rule in [*collection.rules, *collection.filters]:
        reported.update(id(error) for error in rule.errors)
        if rule.errors:
            for error in rule.errors:
                yield RuleError(_message(error), where, sigma_error_line(error, lines))
        elif isinstance(rule, SigmaCorrelationRule):
            loaded = load_correlation(rule, path, lines, conditions.get(str(rule.id)))
            yield from loaded if isinstance(loaded, list) else [loaded]
        elif isinstance(rule, SigmaFilter):
            yield LoadedFilter(rule, path, lines)
        elif isinstance(rule, SigmaRule):
            yield from _check_rule(rule, path, lines)
    for error in collection.errors:
        if id(error) not in reported:
            yield RuleError(_message(error), where, sigma_error_line(error, lines))


def _check_rule(rule: SigmaRule, path: Path, lines: YamlLines) -> Iterable[LoadedRule | RuleError]:
    """What pySigma only finds at conversion time (conditions), plus our own requirements."""
    where = str(path)
    problems: list[RuleError] = []
    if rule.id is None:
        # Alert ids and the detection watermark are keyed by the rule id.
        problems.append(RuleError("rule has no 'id' (a UUID is required)", where, 1))
    try:
        for condition in rule.detection.parsed_condition:
            _ = condition.parsed
    except SigmaError as exc:
        problems.append(RuleError(_message(exc), where, sigma_error_line(exc, lines)))
    settings = RuleSettings()
    try:
        settings = parse_settings(rule.custom_attributes)
    except RuleSettingsError as exc:
        located = sorted((lines.key(*loc) or 1, message) for loc, message in exc.problems)
        problems.extend(RuleError(message, where, line) for line, message in located)
    if problems:
        return problems
    return [LoadedRule(rule, path, lines, settings)]


def sigma_error_line(error: SigmaError, lines: YamlLines) -> int:
    """The line a pySigma error is about: its key, else a fragment it quotes, else 1."""
    if error.source is not None and error.source.line:
        return int(error.source.line)
    for error_class, key in ERROR_KEYS.items():
        if isinstance(error, error_class):
            line = lines.key(*key)
            if line is not None:
                return line
    # Detection problems (modifiers, values, regexes) quote the offending text.
    detection = lines.key("detection") or 1
    quoted = lines.quoted_in(_message(error), start=detection)
    return quoted or lines.quoted_in(_message(error)) or detection


def _message(error: BaseException) -> str:
    # str(error) appends " in <absolute path>"; the location is reported as path:line instead.
    return one_line(str(error.args[0]) if error.args else type(error).__name__)


def one_line(text: str) -> str:
    """A problem is reported on one line, whatever the library's message looked like."""
    return " ".join(text.split())
