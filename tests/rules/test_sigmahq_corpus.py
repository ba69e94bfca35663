"""The whole SigmaHQ corpus through ``rules import``'s judgement: how much of it we can run.

Every rule file of ``../shared/sigmahq-all`` (``rules/``, ``rules-emerging-threats/``,
``rules-threat-hunting/``) is loaded, converted for both stores, run once on an (empty)
SQLite store (:mod:`alerting.detect.store_probe`) and checked for rules that cannot fire with
the sources we collect, exactly as ``canhgac rules import`` does. Per log source the test
records imported / refused (with the reason) / cannot-fire counts (printed with ``-s``), and
fails when the share of importable rules falls below the level reached.

Levels measured on 2026-12-03 with this test (rules/pipelines/ecs.yml; importable = loads,
converts for SQLite and Elasticsearch, accepted by the store): ``rules/`` 2964 of 3141
(94.4 %; SQLite converts 2970, Elasticsearch 2965), ``rules-emerging-threats/`` 461 of 473,
``rules-threat-hunting/`` 129 of 140. Before the public cloud audit logs (CloudTrail, Azure,
GCP and Google Workspace, Microsoft 365) were collected: 2740 (87.2 %; SQLite 2745,
Elasticsearch 2741), 461 and 126; before the remaining Windows channels and Sysmon ids,
Sysmon for Linux, the Windows DNS debug log, the Linux daemons and the network devices were
mapped: 2629, 456 and 123; before the Elasticsearch event indices allowed 10000-character
regexes and before the store probe: 2496, 416 and 114 (of which one, SigmaHQ's
vulnerable-driver list, SQLite cannot run).

Every log source left out is a product decision with its reason in the import report
(rules/pipelines/ecs.yml, "product decisions"): in ``rules/`` macOS 69, SaaS 53, RPC Firewall
17, application logs 14, generic antivirus 8, Kernel-File ETW 8, bare ``product: windows`` 1;
the other 7 refusals are queries a store cannot run (``|fieldref`` (4, one of them
CloudTrail's) and ``\\b`` (2) on Elasticsearch, SQLite's expression depth (1)).
The whole corpus takes about three minutes here (2 shared cores). Raise a level when a change
lets more rules in; never lower one to make the test pass.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.pack_import import PackAssessment, RuleVerdict, assess_pack, reason_kind
from alerting.detect.store_probe import REFUSAL
from canhgac.config import DetectionConfig
from canhgac.store.sqlite.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
CORPUS = ROOT.parent / "shared" / "sigmahq-all"
LANGUAGES = ("sqlite", "elasticsearch")
# Tree -> (rule files, importable rules) reached (see the module docstring).
LEVELS = {
    "rules": (3141, 2964),
    "rules-emerging-threats": (473, 461),
    "rules-threat-hunting": (140, 129),
}
# The refusal of a log source nothing maps and no product decision names.
UNDECIDED = "maps none of its values to our datasets"


def _logsource(path: Path) -> str:
    try:
        document = next(yaml.safe_load_all(path.read_text(encoding="utf-8")), None)
    except yaml.YAMLError:
        return "(unreadable)"
    source = (document or {}).get("logsource") or {} if isinstance(document, dict) else {}
    parts = [str(source.get(key, "-")) for key in ("product", "category", "service")]
    return "/".join(parts)


def _tally(assessment: PackAssessment) -> dict[str, Counter[str]]:
    per_source: dict[str, Counter[str]] = defaultdict(Counter)
    for verdict in assessment.verdicts:
        counts = per_source[_logsource(verdict.path)]
        counts["files"] += 1
        counts["imported" if verdict.runnable else "refused"] += 1
        counts["cannot fire"] += bool(verdict.cannot_fire) and verdict.runnable
    return per_source


def _why(verdict: RuleVerdict) -> str | None:
    if verdict.problems:
        return reason_kind(verdict.problems[0])
    return None if verdict.loaded else "no rule in this file"


@pytest.fixture(scope="module")
def assessments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PackAssessment]:
    assert CORPUS.is_dir(), f"{CORPUS} is missing"
    pipeline = load_pipeline([PIPELINE])
    config = DetectionConfig(rules_dir=str(ROOT / "rules"), pipeline=[str(PIPELINE)])
    store = SQLiteStore(tmp_path_factory.mktemp("probe") / "probe.db", synchronous="OFF")
    try:
        return {
            tree: assess_pack(CORPUS / tree, pipeline, config, LANGUAGES, probe=store)
            for tree in LEVELS
        }
    finally:
        store.close()


@pytest.mark.parametrize("tree", list(LEVELS))
def test_the_share_of_importable_rules_does_not_fall(
    tree: str, assessments: dict[str, PackAssessment]
) -> None:
    assessment = assessments[tree]
    files, importable = LEVELS[tree]
    per_source = _tally(assessment)
    print(f"\n{tree}: per log source (product/category/service)")
    for source, counts in sorted(per_source.items(), key=lambda item: -item[1]["files"]):
        print(
            f"  {source:55} files {counts['files']:4}  imported {counts['imported']:4}  "
            f"refused {counts['refused']:4}  cannot fire {counts['cannot fire']:3}"
        )
    converted = ", ".join(f"{lang} {assessment.count('converted', lang)}" for lang in LANGUAGES)
    print(f"{tree}: converted: {converted}; importable {assessment.count('runnable')}")
    print(f"{tree}: refusals by reason")
    for reason, count in Counter(filter(None, map(_why, assessment.verdicts))).most_common():
        print(f"  {count:5}  {reason}")

    assert len(assessment.verdicts) == files
    assert assessment.count("runnable") >= importable
    # Every rule left out says why.
    assert all(_why(v) for v in assessment.verdicts if not v.runnable)


def test_every_rule_that_cannot_fire_names_the_missing_fields(
    assessments: dict[str, PackAssessment],
) -> None:
    flagged = [text for a in assessments.values() for v in a.verdicts for text in v.cannot_fire]
    assert flagged, "SigmaHQ has rules on ParentCommandLine for auditd: none was flagged"
    assert all(
        "its condition needs " in text and "which no parser produces" in text for text in flagged
    )


def test_sqlite_refuses_only_the_rule_too_deep_for_it(
    assessments: dict[str, PackAssessment],
) -> None:
    # The vulnerable-driver rule ORs thousands of hashes: deeper than SQLite's expression
    # limit. It converts, so only asking the store shows it cannot run.
    refused = {
        v.path.name: p
        for a in assessments.values()
        for v in a.verdicts
        for p in v.problems
        if REFUSAL in p
    }
    assert list(refused) == ["driver_load_win_vuln_drivers.yml"]
    assert "Expression tree is too large" in refused["driver_load_win_vuln_drivers.yml"]


def test_every_log_source_left_out_is_a_product_decision(
    assessments: dict[str, PackAssessment],
) -> None:
    undecided = [
        f"{v.path.name} ({_logsource(v.path)})"
        for a in assessments.values()
        for v in a.verdicts
        if any(UNDECIDED in p for p in v.problems)
    ]
    assert undecided == []
