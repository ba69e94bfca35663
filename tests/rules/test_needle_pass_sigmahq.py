"""The SQLite store's needle pass (canhgac/store/sqlite/needle_scan.py) finds, rule by rule,
what each rule's own SQL finds: 128 SigmaHQ Windows rules (the peers bench's set) over
events planted from their detections, one detection cycle with the pass and one without."""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from canhgac.store.sqlite import needle_scan

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "sigmahq-all"
sys.path.insert(0, str(ROOT / "bench"))  # the bench's own imports are relative to it

from bench_detect_peers import ingest, run_ours  # noqa: E402
from tools.peer_events import generate, load_sigma_rules, write_jsonl  # noqa: E402
from tools.peer_rules import choose_rules  # noqa: E402

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="no SigmaHQ corpus beside the repo")


def test_the_needle_pass_matches_what_each_rule_finds_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = choose_rules(CORPUS, ROOT / "rules" / "pipelines" / "ecs.yml", tmp_path)
    rules = load_sigma_rules(rules_dir)
    start = datetime.now(UTC) - timedelta(hours=1, minutes=5)
    write_jsonl(generate(rules, 4000, 0.4, start), tmp_path / "events.jsonl")
    stored, dead, _, _ = ingest(tmp_path / "events.jsonl", tmp_path / "events.db")
    assert (stored, dead) == (4000, 0)
    shutil.copy(tmp_path / "events.db", tmp_path / "alone.db")

    monkeypatch.setattr(needle_scan, "WORTH_SCANS", 1)
    needled = run_ours(tmp_path / "events.db", rules_dir, stored)
    monkeypatch.setattr(needle_scan, "WORTH_SCANS", 10**9)
    alone = run_ours(tmp_path / "alone.db", rules_dir, stored)

    assert len(rules) == 128
    assert sum(1 for count in alone.matches.values() if count) > 100  # most rules fire
    assert needled.matches == alone.matches
