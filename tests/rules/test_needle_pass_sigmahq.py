"""The SQLite store's needle pass (canhgac/store/sqlite/needle_scan.py) finds, rule by rule,
what each rule's own SQL finds: 128 SigmaHQ Windows rules (the peers bench's set) over
events planted from their detections, one detection cycle with the pass and one without.
And the needles themselves (alerting/detect/compile/sqlite/prefilter.py: what a condition
requires, an OR's shared factor, a field's key) drop no match: the same cycle with rules
compiled without any finds the same."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.sqlite import backend as sqlite_backend
from canhgac.store.sqlite import needle_scan

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "sigmahq-all"
sys.path.insert(0, str(ROOT / "bench"))  # the bench's own imports are relative to it

from bench_detect_peers import ingest, run_ours  # noqa: E402
from tools.peer_events import generate, load_sigma_rules, write_jsonl  # noqa: E402
from tools.peer_rules import choose_rules  # noqa: E402

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no SigmaHQ corpus beside the repo")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """The rules' directory, a store of 4,000 events planted from them, and their count."""
    tmp_path = tmp_path_factory.mktemp("needles")
    rules_dir = choose_rules(CORPUS, ROOT / "rules" / "pipelines" / "ecs.yml", tmp_path)
    rules = load_sigma_rules(rules_dir)
    assert len(rules) == 128
    start = datetime.now(UTC) - timedelta(hours=1, minutes=5)
    write_jsonl(generate(rules, 4000, 0.4, start), tmp_path / "events.jsonl")
    stored, dead, _, _ = ingest(tmp_path / "events.jsonl", tmp_path / "events.db")
    assert (stored, dead) == (4000, 0)
    return rules_dir, tmp_path / "events.db", stored


def _cycle(planted: tuple[Path, Path, int], copy: Path) -> Counter[str]:
    """Each rule's matches in one detection cycle over a copy of the planted store."""
    rules_dir, pristine, stored = planted
    shutil.copy(pristine, copy)
    return run_ours(copy, rules_dir, stored).matches


def test_the_needle_pass_matches_what_each_rule_finds_alone(
    planted: tuple[Path, Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(needle_scan, "WORTH_SCANS", 1)
    needled = _cycle(planted, tmp_path / "needled.db")
    monkeypatch.setattr(needle_scan, "WORTH_SCANS", 10**9)
    alone = _cycle(planted, tmp_path / "alone.db")

    assert sum(1 for count in alone.values() if count) > 100  # most rules fire
    assert needled == alone


def test_the_needles_a_rule_requires_drop_no_match(
    planted: tuple[Path, Path, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guarded = _cycle(planted, tmp_path / "guarded.db")
    monkeypatch.setattr(sqlite_backend, "required_prefilters", lambda condition: [])
    unguarded = _cycle(planted, tmp_path / "unguarded.db")

    assert sum(1 for count in unguarded.values() if count) > 100
    assert guarded == unguarded
