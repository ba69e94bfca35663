"""`canhgac rules import`: bring the runnable rules of a SigmaHQ-style pack into our rules.

A zip is unpacked into a temporary folder first, defensively: only ``.yml``/``.yaml`` members,
no absolute paths or ``..``, bounded sizes (a pack is text; a zip bomb is not a pack). The
rules are judged by :func:`alerting.detect.pack_import.assess_pack`; the runnable ones are copied
under the target folder with their relative paths, every other one is reported with its reason.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from rich.console import Console
from rich.table import Table

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import QUERY_COMPILERS
from alerting.detect.field_contract import collected_datasets
from alerting.detect.load.ruleset import load_rules
from alerting.detect.pack_import import PackAssessment, assess_pack
from canhgac.cli.progress import tracked
from canhgac.cli.rules_probe import probe_store
from canhgac.cli.terminal import line, print_table
from canhgac.config import Settings

RULE_SUFFIXES = (".yml", ".yaml")
MAX_MEMBER_BYTES = 1 << 20
MAX_TOTAL_BYTES = 200 << 20
DEFAULT_FOLDER = "imported"


def unpack(archive: Path, target: Path, console: Console) -> None:
    """Extract the YAML members of ``archive`` into ``target``, refusing unsafe ones."""
    total = 0
    with zipfile.ZipFile(archive) as bundle:
        for member in bundle.infolist():
            name = PurePosixPath(member.filename)
            if member.is_dir() or not name.name.endswith(RULE_SUFFIXES):
                continue
            if name.is_absolute() or ".." in name.parts:
                line(console, f"{archive}: skipped {member.filename}: unsafe path")
                continue
            total += member.file_size
            if member.file_size > MAX_MEMBER_BYTES or total > MAX_TOTAL_BYTES:
                line(console, f"{archive}: skipped {member.filename}: too large for a rule")
                continue
            destination = target.joinpath(*name.parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with bundle.open(member) as source, destination.open("wb") as out:
                out.write(source.read(MAX_MEMBER_BYTES + 1)[:MAX_MEMBER_BYTES])


def collected_by(settings: Settings) -> tuple[str, ...] | None:
    """The datasets this configuration's sources write (None: any, or not known)."""
    return collected_datasets((source.parser, source.dataset) for source in settings.sources)


def run_import(
    settings: Settings,
    source: Path,
    into: Path | None,
    dry_run: bool,
    console: Console,
    strict: bool = False,
) -> int:
    detection = settings.detection
    target = into or Path(detection.rules_dir) / DEFAULT_FOLDER
    existing = load_rules(detection.rules_dir)
    # Ids the pack may not reuse: the rules it is imported next to (not an earlier import).
    known = {
        rule_id: str(path)
        for rule_id, path in [(r.id, r.path) for r in existing.rules]
        + [(c.id, c.path) for c in existing.correlations]
        if target.resolve() not in Path(path).resolve().parents
    }
    pipeline = load_pipeline(detection.pipeline)
    with tempfile.TemporaryDirectory(prefix="canhgac-import-") as tmp:
        folder = source
        if source.is_file() and zipfile.is_zipfile(source):
            folder = Path(tmp)
            unpack(source, folder, console)
        elif not source.is_dir():
            line(console, f"{source}: not a folder or a zip file")
            return 2
        languages = list(QUERY_COMPILERS)
        with tracked(f"import {source.name}", total=2 + len(languages)) as progress:

            def step(what: str) -> None:
                progress.update(description=f"import {source.name}: {what}")
                progress.advance()

            with probe_store(settings) as probe:
                assessment = assess_pack(
                    folder,
                    pipeline,
                    detection,
                    languages,
                    known,
                    step,
                    probe,
                    strict,
                    collected=collected_by(settings),
                )
        # A zip's rules are named inside the archive, not in the temporary folder.
        report(assessment, console, str(source) if folder != source else None)
        imported = 0 if dry_run else copy_runnable(assessment, target)
    if dry_run:
        console.print(f"would import {assessment.count('runnable')} rules into {target}")
    else:
        console.print(f"imported {imported} rules into {target}")
    return 0


def copy_runnable(assessment: PackAssessment, target: Path) -> int:
    copied = 0
    for verdict in assessment.verdicts:
        if not verdict.runnable:
            continue
        destination = target / verdict.path.relative_to(assessment.source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(verdict.path, destination)
        copied += 1
    return copied


def report(assessment: PackAssessment, console: Console, shown_as: str | None = None) -> None:
    def show(text: str) -> None:
        if shown_as is not None:
            text = text.replace(str(assessment.source), shown_as)
        line(console, text)

    for verdict in assessment.verdicts:
        if verdict.problems:
            show(verdict.problems[0])
        elif not verdict.loaded:
            show(f"{verdict.path}:1: no rule in this file")
        for warning in verdict.warnings:
            show(f"warning: {warning}")
    table = Table(title=f"import {shown_as or assessment.source}")
    table.add_column("rule files", justify="right")
    table.add_column("loaded", justify="right")
    for language in assessment.languages:
        table.add_column(f"converted ({language})", justify="right")
    table.add_column("runnable on every store", justify="right")
    table.add_column("cannot fire", justify="right")
    table.add_column("pass check", justify="right")
    table.add_row(
        str(len(assessment.verdicts)),
        str(assessment.count("loaded")),
        *(str(assessment.count("converted", language)) for language in assessment.languages),
        str(assessment.count("runnable")),
        str(assessment.count("cannot_fire")),
        str(assessment.count("passes_check")),
    )
    print_table(console, table)
    reasons = Table(title="why the others cannot run")
    reasons.add_column("rules", justify="right")
    reasons.add_column("reason")
    for reason, count in assessment.reasons():
        reasons.add_row(str(count), reason)
    print_table(console, reasons)
