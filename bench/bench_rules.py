"""Loading, validating and converting every SigmaHQ rule: Canh Gác vs sigma-cli, same files.

Runs, in the same session and on the same folder (default ../shared/sigmahq, 407 rules):

* Canh Gác in process, phase by phase: load (YAML, pySigma parsing, conditions, our settings),
  validate (pySigma's offline validators and the project checks), convert (filters,
  exceptions, correlations and the SQLite and Elasticsearch compilers);
* ``canhgac rules check DIR`` as a fresh process (interpreter start and imports included);
* ``sigma convert -t sqlite`` from sigma-cli as a fresh process, with our pipeline (the same
  field mapping and log-source refusals) and without any pipeline.

Each command runs ``--repeat`` times; the median is shown with its ratio to sigma-cli.

    .venv/bin/python bench/bench_rules.py [--rules ../shared/sigmahq] [--repeat 3]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sigma.validation import SigmaValidator
from sigma.validators.core import validators as core_validators

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import QUERY_COMPILERS
from alerting.detect.detector import compile_detection
from alerting.detect.load.ruleset import load_rules
from alerting.detect.rule_checks import check_rules
from canhgac.config import DetectionConfig

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
BIN = Path(sys.executable).parent
# Validators that download MITRE data on first use; the benchmark runs offline.
ONLINE_VALIDATORS = {"attacktag", "d3_fendtag"}


def median_seconds(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def in_process(rules: Path, repeat: int) -> dict[str, tuple[float, str]]:
    pipeline = load_pipeline([PIPELINE])
    config = DetectionConfig(rules_dir=str(rules), pipeline=[str(PIPELINE)])
    validator = SigmaValidator(
        [cls for name, cls in core_validators.items() if name not in ONLINE_VALIDATORS]
    )
    load_s, ruleset = median_seconds(lambda: load_rules(rules), repeat)

    def validate() -> int:
        issues = [i for r in ruleset.rules for i in validator.validate_rule(r.rule)]
        return len(issues) + len(validator.finalize())

    validate_s, issues = median_seconds(validate, repeat)
    phases = {
        "load": (load_s, f"{len(ruleset.rules)} rules, {len(ruleset.errors)} refused"),
        "validate (pySigma)": (validate_s, f"{issues} issues"),
    }
    total = load_s + validate_s
    compiled: dict[str, Any] = {}
    for language in QUERY_COMPILERS:
        seconds, compiled[language] = median_seconds(
            functools.partial(compile_detection, ruleset, pipeline, language, config), repeat
        )
        converted = len(compiled[language].rules) + len(compiled[language].correlation_inputs)
        phases[f"convert ({language})"] = (seconds, f"{converted} converted")
        total += seconds
    sqlite = compiled["sqlite"]
    checks_s, findings = median_seconds(
        lambda: check_rules([*sqlite.rules, *sqlite.correlation_inputs], pipeline), repeat
    )
    phases["project checks"] = (checks_s, f"{len(findings)} findings")
    phases["total in process"] = (total + checks_s, "")
    return phases


def command(argv: list[str], repeat: int) -> float:
    def run() -> None:
        subprocess.run(argv, check=False, capture_output=True, cwd=ROOT)

    seconds, _ = median_seconds(run, repeat)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT.parent / "shared" / "sigmahq")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rules = args.rules.resolve()
    count = sum(1 for _ in rules.rglob("*.yml"))
    print(f"{count} rule files in {rules}, median of {args.repeat} runs\n")

    phases = in_process(rules, args.repeat)
    sigma = str(BIN / "sigma")
    reference = command(
        [sigma, "convert", "-t", "sqlite", "-p", str(PIPELINE), "-s", str(rules)], args.repeat
    )
    bare = command(
        [sigma, "convert", "-t", "sqlite", "--without-pipeline", "-s", str(rules)], args.repeat
    )
    check = command(
        [str(BIN / "canhgac"), "rules", "check", str(rules), "--config", "/dev/null"], args.repeat
    )

    rows = [(f"canhgac, {name}", seconds, note) for name, (seconds, note) in phases.items()]
    rows += [
        ("canhgac rules check DIR (process)", check, "load, both stores, checks"),
        ("sigma convert -t sqlite -p ecs.yml", reference, "same pipeline"),
        ("sigma convert -t sqlite --without-pipeline", bare, "no field mapping"),
    ]
    width = max(len(name) for name, _, _ in rows)
    print(f"{'':{width}}  {'seconds':>8}  {'vs sigma convert':>16}")
    for name, seconds, note in rows:
        print(f"{name:{width}}  {seconds:8.3f}  {seconds / reference:15.2f}x  {note}")


if __name__ == "__main__":
    main()
