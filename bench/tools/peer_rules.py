"""The fixed rule set of ``bench_detect_peers.py``: SigmaHQ rules every engine is given.

The choice is deterministic: the files of two SigmaHQ folders in path order, keeping the first
ones that import on our SQLite store (they load, convert through ``rules/pipelines/ecs.yml``,
are plain detection rules, not correlations, and the store accepts their query), up to a quota
per folder:

* ``rules/windows/process_creation/`` (Sysmon event 1 / Security 4688): 96 rules;
* ``rules/windows/builtin/security/`` (the Security channel, any event id): 32 rules.

Both are Windows event logs, so one generated event set (NXLog's flat JSON, raw Sigma field
names) serves every engine. Linux rules are left out: their events would need another input
format for each engine (auditd or Sysmon for Linux), which is another comparison.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.detector import compile_detection
from alerting.detect.load.ruleset import LoadedRule, load_rules
from alerting.detect.store_probe import refuse_rejected
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.timeutil import utcnow
from tools.detection import window_config

# (folder of the corpus, name of its copy, how many rules to keep)
QUOTAS: tuple[tuple[str, str, int], ...] = (
    ("rules/windows/process_creation", "process_creation", 96),
    ("rules/windows/builtin/security", "security", 32),
)
# Files compiled at once while looking for the next importable ones.
CHUNK = 64


def _importable(files: Sequence[Path], into: Path, pipeline: Path, probe: SQLiteStore) -> set[str]:
    """The names of ``files`` that import as plain rules (copied to the empty dir ``into``)."""
    into.mkdir(parents=True)
    for path in files:
        shutil.copy(path, into / path.name)
    config = window_config(into, pipeline)
    compiled = compile_detection(load_rules(into), load_pipeline([pipeline]), "sqlite", config)
    refuse_rejected(compiled, probe, utcnow())
    broken = {Path(error.path).name for error in compiled.errors if error.path}
    # A file feeding a correlation is not run alone: not comparable with a plain evaluator.
    broken |= {rule.source.path.name for rule in compiled.correlation_inputs}
    return {
        rule.source.path.name
        for rule in compiled.rules
        if isinstance(rule.source, LoadedRule) and rule.source.path.name not in broken
    }


def choose_rules(corpus: Path, pipeline: Path, workdir: Path) -> Path:
    """Copy the chosen files to ``workdir/rules/<group>/`` and return ``workdir/rules``."""
    directory = workdir / "rules"
    probe = SQLiteStore(workdir / "probe.db", synchronous="OFF")
    try:
        for folder, group, quota in QUOTAS:
            files = sorted((corpus / folder).rglob("*.yml"))
            kept: list[Path] = []
            for start in range(0, len(files), CHUNK):
                chunk = files[start : start + CHUNK]
                names = _importable(
                    chunk, workdir / "scratch" / f"{group}-{start}", pipeline, probe
                )
                kept += [path for path in chunk if path.name in names]
                if len(kept) >= quota:
                    break
            (directory / group).mkdir(parents=True)
            for path in kept[:quota]:
                shutil.copy(path, directory / group / path.name)
    finally:
        probe.close()
        shutil.rmtree(workdir / "scratch", ignore_errors=True)
    return directory
