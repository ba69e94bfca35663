"""The rule pack under rules/: every rule loads, is documented, has fixtures and converts.

These tests check the pack as data. Running each fixture through the real parsers, store and
engine (must_fire fires, must_not_fire does not) is the detection tests' job; the fixtures here
are only checked for shape, so that runner gets what it expects.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.validation import SigmaValidator
from sigma.validators.core import validators as core_validators

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"
PIPELINE = RULES / "pipelines" / "ecs.yml"
SIGMAHQ = ROOT.parent / "shared" / "sigmahq"
FIXTURE_SUFFIX = ".tests.yml"

MIN_RULES = 25
MIN_CASES = 2
AUTHOR = "Canh Gác"
PARSERS = {
    "rfc3164", "rfc5424", "syslog", "auth", "auditd", "nginx", "apache", "json",
    "fortigate", "cef", "windows", "auto", "squid", "bind",
    "dnsmasq", "zeek", "opencanary", "kubernetes_audit",
    "cisco_asa", "paloalto", "sysmon_linux", "windows_dns",
    "cloudtrail", "azure", "gcp_audit", "o365",
}  # fmt: skip
JSON_PARSERS = {"windows", "json", "zeek", "opencanary", "kubernetes_audit", "cloudtrail", "azure",
                "gcp_audit", "o365"}  # fmt: skip
SETTINGS_KEYS = {"interval", "group_by", "suppress"}
DURATION = re.compile(r"^\d+[smhd]$")
ECS_FIELD = re.compile(r"^[a-z@][\w@]*(\.[\w@-]+)+$")
ATTACK_TAG = re.compile(r"^attack\.([a-z]+(-[a-z]+)*|t\d{4}(\.\d{3})?|[gs]\d{4})$")
TECHNIQUE_TAG = re.compile(r"^attack\.t\d{4}(\.\d{3})?$")
ENGLISH_START = re.compile(r"^(Detects|Collects) ")
# pySigma validators that download MITRE data at first use; tests run offline. The tag shape is
# still checked by ATTACK_TAG below.
ONLINE_VALIDATORS = {"attacktag", "d3_fendtag"}
# Directory for a rule whose log source has no product.
PRODUCTLESS_DIRS = {"webserver": "web", "proxy": "proxy", "dns": "dns", "firewall": "firewall"}
# What the pipeline adds to every mapped rule: one of these must be in each converted query.
LOGSOURCE_FIELDS = ("`event.dataset`", "`winlog.channel`", "`process.name`")


def rule_paths() -> list[Path]:
    """The detection rules (correlations and exceptions have their own checks, in
    tests/alerting/detect/test_detect_correlation_pack.py)."""
    return sorted(
        path
        for path in RULES.rglob("*.yml")
        if not path.name.endswith(FIXTURE_SUFFIX)
        and not {"pipelines", "exceptions"} & set(path.parts)
        and "correlation" not in load_yaml(path)
    )


def fixture_path(rule_path: Path) -> Path:
    return rule_path.with_name(rule_path.stem + FIXTURE_SUFFIX)


def rule_id(path: Path) -> str:
    return str(path.relative_to(RULES))


def load_rule(path: Path) -> SigmaRule:
    collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
    errors = [str(error) for rule in collection for error in rule.errors]
    assert not errors, f"{rule_id(path)}: {errors}"
    rules = list(collection)
    assert len(rules) == 1 and isinstance(rules[0], SigmaRule), rule_id(path)
    return rules[0]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pipeline() -> ProcessingPipeline:
    # Parsing takes ~40 ms; a backend re-links the items on construction, so one object serves.
    return ProcessingPipeline.from_yaml(PIPELINE.read_text(encoding="utf-8"))


def detection_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from detection_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from detection_strings(item)


ALL_RULES = rule_paths()
params = pytest.mark.parametrize("path", ALL_RULES, ids=rule_id)


def test_pack_has_enough_rules() -> None:
    assert len(ALL_RULES) >= MIN_RULES


@params
def test_rule_loads_with_pysigma(path: Path) -> None:
    rule = load_rule(path)
    assert rule.title and rule.detection.parsed_condition


@params
def test_rule_metadata(path: Path) -> None:
    rule = load_rule(path)
    raw = load_yaml(path)
    assert isinstance(rule.id, uuid.UUID) and rule.id.version == 4
    assert rule.author == AUTHOR
    assert rule.level is not None and rule.status is not None and rule.date is not None
    assert rule.references and rule.falsepositives
    assert raw["title"].isascii(), "titles are English"
    tags = [str(tag) for tag in rule.tags]
    assert tags, "ATT&CK tags are required"
    assert all(ATTACK_TAG.match(tag) or tag.startswith("cve.") for tag in tags), tags
    assert any(TECHNIQUE_TAG.match(tag) for tag in tags), "at least one technique"
    # English first (it may quote a Vietnamese name), then " / ", then the Vietnamese text.
    english, separator, vietnamese = raw["description"].partition(" / ")
    assert separator and ENGLISH_START.match(english) and not vietnamese.isascii()


@params
def test_rule_text_is_nfc(path: Path) -> None:
    # Stored events are NFC; a decomposed rule value would need folding on every comparison.
    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


def test_rule_ids_are_unique_and_not_taken_from_sigmahq() -> None:
    ids = Counter(str(load_rule(path).id) for path in ALL_RULES)
    assert [i for i, n in ids.items() if n > 1] == []
    public = {
        str(document.get("id"))
        for path in SIGMAHQ.rglob("*.yml")
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(document, dict)
    }
    assert len(public) > 100, f"the SigmaHQ reference rules are missing at {SIGMAHQ}"
    assert set(ids) & public == set()


def test_pysigma_validators_find_no_issue() -> None:
    # What `sigma check` reports: dangling detections, wildcards instead of modifiers, duplicate
    # titles and references, invalid modifier combinations, control characters, ...
    validator = SigmaValidator(
        [cls for name, cls in core_validators.items() if name not in ONLINE_VALIDATORS]
    )
    issues = [issue for path in ALL_RULES for issue in validator.validate_rule(load_rule(path))]
    issues += validator.finalize()
    assert [str(issue) for issue in issues] == []


def test_rule_file_names_are_unique() -> None:
    names = Counter(path.name for path in ALL_RULES)
    assert [name for name, n in names.items() if n > 1] == []


@params
def test_rule_path_follows_its_logsource(path: Path) -> None:
    logsource = load_rule(path).logsource
    product_dir, kind_dir = path.relative_to(RULES).parts[:2]
    expected_product = logsource.product or PRODUCTLESS_DIRS.get(str(logsource.category))
    assert product_dir == expected_product
    assert kind_dir in {logsource.category, logsource.service}
    assert len(path.relative_to(RULES).parts) == 3


@params
def test_rule_settings_block(path: Path) -> None:
    settings = load_yaml(path).get("canhgac")
    if settings is None:
        return
    assert isinstance(settings, dict) and set(settings) <= SETTINGS_KEYS, settings
    for key in ("interval", "suppress"):
        if key in settings:
            assert DURATION.match(str(settings[key])), f"{key}: {settings[key]!r}"
    group_by = settings.get("group_by", [])
    assert isinstance(group_by, list)
    assert all(isinstance(name, str) and ECS_FIELD.match(name) for name in group_by), group_by


def test_some_rules_match_vietnamese_values() -> None:
    # Exercises Unicode case folding in the engine (ASCII-only LIKE would miss "QUẢN TRỊ").
    vietnamese = [
        path
        for path in ALL_RULES
        if any(not value.isascii() for value in detection_strings(load_yaml(path)["detection"]))
    ]
    assert len(vietnamese) >= 2, vietnamese


# --- fixtures ----------------------------------------------------------------------------------


def check_case(case: Any, where: str) -> None:
    assert isinstance(case, dict), where
    if "fields" in case:
        assert set(case) == {"fields"}, where
        fields = case["fields"]
        assert isinstance(fields, dict) and fields.get("event.dataset"), where
        assert all(not isinstance(v, (dict, list)) for v in fields.values()), where
        return
    if "lines" in case:  # the records of one audit event, joined as the collector does
        assert set(case) == {"parser", "lines"} and case["parser"] in {"auditd", "auto"}, where
        lines = case["lines"]
        assert isinstance(lines, list) and len(lines) >= 2, where
        assert all(isinstance(line, str) and "\n" not in line for line in lines), where
        return
    assert set(case) == {"parser", "line"}, where
    assert case["parser"] in PARSERS, where
    line = case["line"]
    assert isinstance(line, str) and line.strip() and "\n" not in line, where
    if case["parser"] in JSON_PARSERS:
        assert isinstance(json.loads(line), dict), where


@params
def test_rule_has_fixtures(path: Path) -> None:
    fixtures = fixture_path(path)
    assert fixtures.is_file(), f"missing {fixtures.name}"
    data = load_yaml(fixtures)
    assert set(data) == {"rule", "must_fire", "must_not_fire"}
    assert data["rule"] == path.name
    for block in ("must_fire", "must_not_fire"):
        cases = data[block]
        assert isinstance(cases, list) and len(cases) >= MIN_CASES, block
        for index, case in enumerate(cases):
            check_case(case, f"{fixtures.name} {block}[{index}]")
    lines = [case.get("line") for block in ("must_fire", "must_not_fire") for case in data[block]]
    assert len([line for line in lines if line]) == len({line for line in lines if line}), (
        "an event cannot both fire and not fire"
    )


def test_every_fixture_file_has_its_rule() -> None:
    orphans = [
        str(path.relative_to(RULES))
        for path in RULES.rglob("*" + FIXTURE_SUFFIX)
        if not path.with_name(path.name.removesuffix(FIXTURE_SUFFIX) + ".yml").is_file()
    ]
    assert orphans == []


# --- conversion --------------------------------------------------------------------------------


def run_on_empty_table(query: str) -> None:
    """Execute ``query`` against an empty ``logs`` table holding every column it names."""
    columns = sorted(set(re.findall(r"`([^`]+)`", query)))
    with sqlite3.connect(":memory:") as conn:
        conn.create_function("regexp", 2, lambda pattern, value: bool(re.search(pattern, value)))
        conn.execute("CREATE TABLE logs (" + ", ".join(f'"{c}"' for c in columns) + ")")
        assert conn.execute(query).fetchall() == []
    conn.close()


@params
def test_rule_converts_with_the_pipeline(path: Path, pipeline: ProcessingPipeline) -> None:
    backend = sqliteBackend(processing_pipeline=pipeline)  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
    queries = backend.convert_rule(load_rule(path))  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
    assert len(queries) == 1
    query = queries[0]
    assert any(field in query for field in LOGSOURCE_FIELDS), "not restricted to its source"
    run_on_empty_table(query)
