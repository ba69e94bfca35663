"""Whether a rule's condition can be true once the fields nobody produces are absent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from alerting.detect.cannot_fire import can_fire
from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.field_contract import collected_datasets, is_collected, is_known
from alerting.detect.load.ruleset import load_rules
from alerting.detect.rule_checks import cannot_fire_reasons
from canhgac.models import Event
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from tests.support import cloud_records as cloud

MISSING = {"ParentCommandLine", "CurrentDirectory"}
NEVER = "5b3f1b0e-0000-4000-8000-0000000000c1"
FINE = "5b3f1b0e-0000-4000-8000-0000000000c2"
RECEIVED = "2026-11-30T10:00:00.000000Z"


def _rule(detection: str) -> SigmaRule:
    text = (
        "title: t\nlogsource:\n  product: linux\n  category: process_creation\ndetection:\n"
        + "".join(f"  {line}\n" for line in detection.strip().splitlines())
    )
    [rule] = SigmaCollection.from_yaml(text)
    assert isinstance(rule, SigmaRule)
    return rule


@pytest.mark.parametrize(
    ("detection", "fires"),
    [
        ("sel:\n  ParentCommandLine|contains: git\ncondition: sel", False),
        ("sel:\n  Image|endswith: /bash\n  ParentCommandLine|contains: git\ncondition: sel", False),
        ("a:\n  ParentCommandLine: x\nb:\n  CurrentDirectory: /tmp\ncondition: a or b", False),
        ("a:\n  ParentCommandLine: x\nb:\n  Image: /bin/sh\ncondition: a or b", True),
        # a filter on a missing field never excludes anything: the rule still fires
        ("sel:\n  Image: /bin/sh\nf:\n  ParentCommandLine: x\ncondition: sel and not f", True),
        ("sel:\n  ParentCommandLine: x\ncondition: not sel", True),
        ("sel:\n  ParentCommandLine: null\ncondition: sel", True),
        ("sel:\n  ParentCommandLine|exists: false\ncondition: sel", True),
        ("sel:\n  ParentCommandLine|exists: true\ncondition: sel", False),
        ("sel:\n  - ParentCommandLine: x\n  - Image: /bin/sh\ncondition: sel", True),
        ("sel:\n  ParentCommandLine: x\nkw:\n  - whoami\ncondition: sel or kw", True),
        ("s1:\n  ParentCommandLine: x\ns2:\n  CurrentDirectory: y\ncondition: 1 of s*", False),
        ("s1:\n  ParentCommandLine: x\ns2:\n  CurrentDirectory: y\ncondition: all of s*", False),
        ("s1:\n  ParentCommandLine: x\ns2:\n  CommandLine: y\ncondition: all of s*", False),
        ("s1:\n  ParentCommandLine: x\ns2:\n  CommandLine: y\ncondition: 1 of s*", True),
    ],
)
def test_a_condition_with_absent_fields(detection: str, fires: bool) -> None:
    assert can_fire(_rule(detection), MISSING.__contains__) is fires


def test_a_rule_with_two_conditions_fires_if_either_can() -> None:
    rule = _rule("a:\n  ParentCommandLine: x\nb:\n  Image: /bin/sh\ncondition:\n  - a\n  - b")
    assert can_fire(rule, MISSING.__contains__)
    assert not can_fire(rule, {"ParentCommandLine", "Image"}.__contains__)


def test_the_rules_page_gets_the_reason_per_rule_id(tmp_path: Path) -> None:
    pipeline_path = Path(__file__).resolve().parents[3] / "rules" / "pipelines" / "ecs.yml"
    head = "status: test\nlevel: low\nlogsource:\n  product: linux\n  category: process_creation\n"
    (tmp_path / "never.yml").write_text(
        f"title: Never\nid: {NEVER}\n{head}detection:\n  sel:\n"
        "    Company|contains: Microsoft\n  condition: sel\n",
        encoding="utf-8",
    )
    (tmp_path / "fine.yml").write_text(
        f"title: Fine\nid: {FINE}\n{head}detection:\n  sel:\n"
        "    Image|endswith: /bash\n  condition: sel\n",
        encoding="utf-8",
    )
    pipeline = load_pipeline([pipeline_path])
    compiled = compile_rules(
        load_rules(tmp_path), pipeline, "sqlite", default_interval=timedelta(minutes=1)
    )
    assert len(compiled.rules) == 2

    reasons = cannot_fire_reasons(compiled.rules, pipeline)

    assert reasons == {
        # Windows PE metadata: neither auditd nor Sysmon for Linux has it.
        NEVER: "cannot fire with the sources you collect: its condition needs "
        "Company, which no parser produces for auditd.log, sysmon_linux.log"
    }


def test_the_datasets_a_configuration_collects() -> None:
    assert collected_datasets([("auditd", None)]) == ("auditd.log",)
    assert collected_datasets([("syslog", "netdevice.syslog"), ("zeek", None)]) == (
        "netdevice.syslog",
        "zeek.*",
    )
    # the record names the dataset of most of these parsers' events: both are kept
    assert collected_datasets([("azure", "azure.hanoi")]) == ("azure.hanoi", "azure.*")
    # a parser that may write anything (auto, json, syslog) leaves every dataset possible
    assert collected_datasets([("auditd", None), ("auto", None)]) is None
    assert collected_datasets([]) is None
    assert is_collected("windows.security", ("windows.*",))
    assert not is_collected("auditd.log", ("windows.*", "sysmon_linux.log"))


def test_the_cloud_parsers_write_only_fields_their_contract_knows() -> None:
    for parser, records in cloud.BY_PARSER.items():
        for text in cloud.lines(parser):
            event = to_record(text.encode(), Origin("c", "c:1", RECEIVED, parser=parser), 0)
            assert isinstance(event, Event), event
            dataset = str(event.fields["event.dataset"])
            unknown = [name for name in event.fields if not is_known(name, {dataset})]
            assert unknown == [], (parser, dataset)
        assert records


def test_the_rules_page_judges_by_the_collected_datasets(tmp_path: Path) -> None:
    pipeline_path = Path(__file__).resolve().parents[3] / "rules" / "pipelines" / "ecs.yml"
    (tmp_path / "parent.yml").write_text(
        f"title: Parent\nid: {NEVER}\nstatus: test\nlevel: low\nlogsource:\n  product: linux\n"
        "  category: process_creation\ndetection:\n  sel:\n    ParentImage|endswith: /git\n"
        "  condition: sel\n",
        encoding="utf-8",
    )
    pipeline = load_pipeline([pipeline_path])
    compiled = compile_rules(
        load_rules(tmp_path), pipeline, "sqlite", default_interval=timedelta(minutes=1)
    )

    assert cannot_fire_reasons(compiled.rules, pipeline) == {}
    assert cannot_fire_reasons(compiled.rules, pipeline, ("auditd.log", "sysmon_linux.log")) == {}
    assert cannot_fire_reasons(compiled.rules, pipeline, ("auditd.log",)) == {
        NEVER: "cannot fire with the sources you collect: its condition needs "
        "ParentImage, which no parser produces for auditd.log"
    }
