"""The peers of ``bench_detect_peers.py``: rsigma and Zircolite, run as child processes.

Each peer reads the same JSON-lines file and the same Sigma rule files; what we keep of a run
is its wall time, the CPU time of the child (``RUSAGE_CHILDREN`` around the run: user +
system, so a multi-threaded peer is charged for every core it used) and its matches per rule
id.

* rsigma (crate ``rsigma``, a streaming Sigma evaluator in Rust) is built once into a cache
  directory with ``cargo install``; without cargo it is skipped with a message. It is run as
  ``rsigma engine eval -r RULES -p sysmon -e @EVENTS``: rsigma evaluates every rule on every
  event unless a pipeline restricts the log source, and its builtin ``sysmon`` pipeline adds
  ``EventID: 1`` to process_creation rules (Security rules name their event ids themselves).
  It prints one JSON object per match, with the rule's ``rule_id``.
* Zircolite (not on any registry) is run only from a checkout the user names
  (``--zircolite DIR``), with its own pySigma conversion of the same YAML files; its output
  file lists each rule with its ``id`` and ``count``.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

CARGO = Path("/root/.cargo/bin/cargo")
RSIGMA_VERSION = "0.23.0"


@dataclass(slots=True)
class PeerRun:
    """One engine's pass over the events."""

    engine: str
    wall_s: float
    cpu_s: float
    matches: Counter[str] = field(default_factory=Counter)  # rule id -> matches
    note: str = ""


def _cargo() -> Path | None:
    found = shutil.which("cargo")
    if found:
        return Path(found)
    return CARGO if CARGO.exists() else None


def build_rsigma(cache: Path) -> Path | None:
    """The rsigma binary under ``cache`` (built there on first use), or None without cargo."""
    binary = cache / "bin" / "rsigma"
    if binary.exists():
        return binary
    cargo = _cargo()
    if cargo is None:
        print("rsigma: skipped, cargo is not installed (https://rustup.rs)")
        return None
    print(f"rsigma: building {RSIGMA_VERSION} into {cache} (several minutes, once)")
    command = [
        str(cargo),
        "install",
        "rsigma",
        "--version",
        RSIGMA_VERSION,
        "--locked",
        "--no-default-features",
        "--features",
        "rsigma-runtime",
        "--root",
        str(cache),
    ]
    built = subprocess.run(command, check=False)
    if binary.exists():  # also when another run's build finished first
        return binary
    if built.returncode != 0:
        print(f"rsigma: skipped, cargo install failed (exit {built.returncode})")
        return None
    return binary


def timed_child(engine: str, command: list[str], stdout: Path) -> PeerRun:
    """Run ``command`` with its standard output in ``stdout``, timing it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with stdout.open("wb") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    note = ""
    if done.returncode != 0:
        note = f"exit {done.returncode}: {done.stderr.decode(errors='replace')[-400:]}"
    elif done.stderr:
        note = done.stderr.decode(errors="replace").strip().splitlines()[-1][:200]
    return PeerRun(engine, wall, cpu, note=note)


def rsigma_matches(output: Path) -> Counter[str]:
    """Matches per rule id in rsigma's output (one JSON object per line)."""
    counts: Counter[str] = Counter()
    with output.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("{"):
                result = json.loads(line)
                counts[str(result.get("rule_id") or result.get("rule_title"))] += 1
    return counts


def run_rsigma(binary: Path, rules: Path, events: Path, workdir: Path, pipeline: str) -> PeerRun:
    command = [str(binary), "engine", "eval", "-r", str(rules), "-e", f"@{events}"]
    if pipeline:
        command += ["-p", pipeline]
    output = workdir / "rsigma.jsonl"
    run = timed_child("rsigma", command, output)
    run.matches = rsigma_matches(output)
    return run


def zircolite_matches(output: Path) -> Counter[str]:
    """Matches per rule id in Zircolite's JSON output (a list of rules with their count)."""
    if not output.exists():
        return Counter()
    counts: Counter[str] = Counter()
    for rule in json.loads(output.read_text(encoding="utf-8") or "[]"):
        counts[str(rule.get("id") or rule.get("title"))] += int(rule.get("count", 0))
    return counts


def run_zircolite(
    checkout: Path, rules: Path, events: Path, workdir: Path, extra: list[str]
) -> PeerRun:
    """Zircolite from its checkout, on the YAML rules (its pySigma conversion, sysmon
    pipeline), the events given as JSON lines. ``extra``: the flags that say so, which
    changed between Zircolite versions (``--zircolite-args``)."""
    output = workdir / "zircolite.json"
    # Its own virtualenv when the checkout has one (Zircolite's requirements are not ours).
    own = checkout / ".venv" / "bin" / "python"
    command = [
        str(own) if own.exists() else sys.executable,
        str(checkout / "zircolite.py"),
        "--events",
        str(events),
        *extra,
        "--outfile",
        str(output),
    ]
    for path in sorted(rules.rglob("*.yml")):
        command += ["--ruleset", str(path)]
    run = timed_child("zircolite", command, workdir / "zircolite.log")
    run.matches = zircolite_matches(output)
    return run
