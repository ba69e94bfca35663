"""The rule author's tools: `canhgac rules convert|backtest|import|impact`, and the project
checks and summary of `canhgac rules check`.

Every command compiles rules through :func:`alerting.detect.detector.load_detection`, the path
production takes (filters, exceptions, correlations, the configured pipeline), so what a tool
prints is what the scheduler runs. Heavy imports stay inside the commands.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from canhgac.cli.completion import complete_rule
from canhgac.cli.options import ConfigOption, settings_from
from canhgac.cli.progress import tracked
from canhgac.cli.terminal import block, console, line, print_table

if TYPE_CHECKING:
    from alerting.detect.compile.rules import CompiledRule, CompiledRuleSet
    from canhgac.config import DetectionConfig, Settings


def register(rules_app: typer.Typer) -> None:
    rules_app.command("convert")(convert)
    rules_app.command("backtest")(backtest)
    rules_app.command("import")(import_pack)
    rules_app.command("impact")(impact)


def detection_for(settings: Settings, rules_dir: Path | None) -> DetectionConfig:
    if rules_dir is None:
        return settings.detection
    return settings.detection.model_copy(update={"rules_dir": str(rules_dir)})


def compile_for_every_store(detection: DetectionConfig) -> dict[str, CompiledRuleSet]:
    """The rules compiled for each store's query language (loaded and mapped once)."""
    from alerting.detect.compile.pipeline import load_pipeline
    from alerting.detect.compile.rules import QUERY_COMPILERS
    from alerting.detect.detector import compile_detection
    from alerting.detect.load.ruleset import load_rules

    ruleset = load_rules(detection.rules_dir)
    pipeline = load_pipeline(detection.pipeline)
    return {
        language: compile_detection(ruleset, pipeline, language, detection)
        for language in QUERY_COMPILERS
    }


def select_rules(compiled: CompiledRuleSet, reference: str) -> list[CompiledRule]:
    """The compiled rules a RULE argument names: a rule file, a rule id or name, or a title
    (any case)."""
    everything = [*compiled.rules, *compiled.correlation_inputs]
    path = Path(reference)
    if path.is_file():
        return [r for r in everything if Path(r.source.path).resolve() == path.resolve()]
    by_id = [r for r in everything if reference in (r.id, r.source.rule.name)]
    if by_id:
        return by_id
    title = " ".join(reference.split()).casefold()
    return [r for r in everything if " ".join(r.title.split()).casefold() == title]


def _rules_dir_for(reference: str, settings: Settings) -> Path | None:
    """A rule file outside the configured rules folder is converted among its neighbours."""
    path = Path(reference)
    configured = Path(settings.detection.rules_dir).resolve()
    if path.is_file() and configured not in path.resolve().parents:
        return path.resolve().parent
    return None


def errors_of(compiled: CompiledRuleSet, reference: str) -> list[str]:
    """The errors of the rule file ``reference`` (why it is not runnable)."""
    path = Path(reference)
    if not path.is_file():
        return []
    return [str(e) for e in compiled.errors if e.path and Path(e.path).resolve() == path.resolve()]


def _fail_unknown(console: Console, compiled: CompiledRuleSet, reference: str) -> None:
    for error in errors_of(compiled, reference):
        line(console, error)
    line(console, f"no runnable rule matches {reference!r}")
    raise typer.Exit(1)


RuleArgument = Annotated[
    str,
    typer.Argument(
        help="A rule file, a rule id or name, or a rule title.", autocompletion=complete_rule
    ),
]
#: ``--target`` values: our stores' own queries, or Kibana's languages for a cross-check.
STORE_TARGETS = {"dsl": "elasticsearch", "sql": "sqlite"}
TARGETS = ("stores", "dsl", "sql", "lucene", "esql", "kql")


# --- convert ------------------------------------------------------------------------------------
def convert(
    rule: RuleArgument,
    target: Annotated[
        str,
        typer.Option(
            help="stores: the query each store runs (dsl: Elasticsearch Query DSL, sql: "
            "SQLite); lucene or esql: the rule in Kibana's languages, to cross-check there.",
            autocompletion=lambda incomplete: [t for t in TARGETS if t.startswith(incomplete)],
        ),
    ] = "stores",
    config: ConfigOption = None,
) -> None:
    """Print the query each store runs for RULE (filters and exceptions included), or the
    rule in Lucene / ES|QL for Kibana."""
    from alerting.detect.correlation.run import CorrelationQuery
    from canhgac.text import dumps

    if target not in TARGETS:
        raise typer.BadParameter(f"{target!r}: one of {', '.join(TARGETS)}", param_hint="--target")
    if target == "kql":
        from canhgac.cli.rules_kibana import KQL_NOTE

        line(console, KQL_NOTE)
        raise typer.Exit(2)
    settings = settings_from(config)
    detection = detection_for(settings, _rules_dir_for(rule, settings))
    if target in ("lucene", "esql"):
        _convert_for_kibana(detection, rule, target)
        return
    found = False
    for language, compiled in compile_for_every_store(detection).items():
        if target in STORE_TARGETS and STORE_TARGETS[target] != language:
            continue
        selected = select_rules(compiled, rule)
        for error in [] if selected else errors_of(compiled, rule):
            line(console, f"{language}: {error}")
        found = found or bool(selected)
        for item in selected:
            line(console, f"{language} — {item.title} ({item.id})")
            query = item.query
            text = str(query) if isinstance(query, str | CorrelationQuery) else dumps(query)
            block(console, text)
    if not found:
        line(console, f"no runnable rule matches {rule!r}")
        raise typer.Exit(1)


def _convert_for_kibana(detection: DetectionConfig, rule: str, target: str) -> None:
    from alerting.detect.compile.pipeline import load_pipeline
    from alerting.detect.detector import load_detection
    from alerting.detect.load.ruleset import LoadedRule
    from canhgac.cli.rules_kibana import CASE_NOTE, kibana_query

    compiled = load_detection(detection, "sqlite")
    selected = select_rules(compiled, rule)
    if not selected:
        _fail_unknown(console, compiled, rule)
    pipeline = load_pipeline(detection.pipeline)
    for item in selected:
        line(console, f"{target} — {item.title} ({item.id})")
        if isinstance(item.source, LoadedRule):
            line(console, kibana_query(item.source.rule, pipeline, target))
        else:
            line(console, "a correlation: not converted (use --target dsl or sql)")
    line(console, CASE_NOTE)


# --- backtest -----------------------------------------------------------------------------------
def parse_moment(text: str) -> datetime:
    """A date (midnight in Hanoi) or an ISO 8601 time (Hanoi time unless it has a zone)."""
    from canhgac.timeutil import DISPLAY_ZONE

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: expected a date (2026-11-20) or an ISO time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=DISPLAY_ZONE)


def backtest(
    rule: RuleArgument,
    start: Annotated[str, typer.Option("--from", help="Start (date or ISO time, Hanoi).")],
    end: Annotated[str | None, typer.Option("--to", help="End (default: now).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run RULE over the stored events ingested between --from and --to: the alerts it would
    have raised, per day. Nothing is stored or notified."""
    from alerting.detect.backtest import backtest as run_backtest
    from alerting.detect.detector import load_detection
    from canhgac.store.registry import build_store
    from canhgac.timeutil import DISPLAY_ZONE, from_iso, utcnow

    settings = settings_from(config)
    since, until = parse_moment(start), parse_moment(end) if end else utcnow()
    store = build_store(settings.store)
    try:
        compiled = load_detection(settings.detection, store.query_language)
        selected = select_rules(compiled, rule)
        if not selected:
            _fail_unknown(console, compiled, rule)
        for item in selected:
            with tracked(f"backtest {item.id}") as progress:
                result = run_backtest(
                    item,
                    store,
                    since,
                    until,
                    window=settings.detection.max_window,
                    page_size=settings.detection.page_size,
                    now=utcnow(),
                    on_window=progress.at,
                )
            line(
                console,
                f"{item.title}: {len(result.drafts)} alerts from {result.matches} matched events "
                f"({result.windows} windows of event.ingested)",
            )
            table = Table()
            for column in ("day (Hanoi)", "alerts", "events", "already in the queue"):
                table.add_column(column, justify="right")
            days: dict[str, list[int]] = {}
            for draft in result.drafts:
                day = from_iso(draft.alert.first_seen).astimezone(DISPLAY_ZONE).date().isoformat()
                row = days.setdefault(day, [0, 0, 0])
                row[0] += 1
                row[1] += len(draft.event_ids)
                row[2] += store.get_alert(draft.alert.id) is not None
            for day, (alerts, events, known) in sorted(days.items()):
                table.add_row(day, str(alerts), str(events), str(known))
            print_table(console, table)
    finally:
        store.close()


# --- impact -----------------------------------------------------------------------------------
def impact(
    exceptions: Annotated[Path, typer.Argument(help="An exception file (or folder) to preview.")],
    days: Annotated[int, typer.Option(help="How many days of alerts to replay.")] = 7,
    config: ConfigOption = None,
) -> None:
    """How many alerts of the last DAYS days each exception would have suppressed."""
    from alerting.detect.suppressions import (
        load_suppressions,
        preview_impact,
        preview_rules,
        today_in_hanoi,
    )
    from canhgac.store.registry import build_store
    from canhgac.timeutil import utcnow

    settings = settings_from(config)
    loaded = load_suppressions(exceptions)
    for error in loaded.errors:
        line(console, str(error))
    if loaded.errors:
        raise typer.Exit(1)
    store = build_store(settings.store)
    try:
        compiled = preview_rules(settings.detection, store.query_language)
        for item in loaded.suppressions:
            report = preview_impact(
                item, compiled.rules, compiled.pipeline, store, days=days, now=utcnow()
            )
            expired = " (expired)" if item.suppression.expired(today_in_hanoi()) else ""
            table = Table(
                title=f"exception '{item.suppression.id}'{expired}: alerts since {report.since}"
            )
            for column in ("rule", "alerts", "would be suppressed", "reduced", "events excluded"):
                table.add_column(column, justify="right" if column != "rule" else "left")
            for rule in report.rules:
                table.add_row(
                    rule.title,
                    *map(str, (rule.alerts, rule.suppressed, rule.reduced, rule.events_excluded)),
                )
            console.print(table)
    finally:
        store.close()


StrictOption = Annotated[
    bool,
    typer.Option("--strict", help="Refuse rules that cannot fire with the sources you collect."),
]


# --- import ---------------------------------------------------------------------------------------
def import_pack(
    source: Annotated[Path, typer.Argument(help="A SigmaHQ-style rule folder or .zip.")],
    into: Annotated[
        Path | None, typer.Option(help="Target folder (default: <rules_dir>/imported).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; copy nothing.")] = False,
    strict: StrictOption = False,
    config: ConfigOption = None,
) -> None:
    """Import the rules of SOURCE that we can run (log source collected, converts on every
    store, the configured store accepts the query); report every other rule with the reason.
    A rule that cannot fire with the sources you collect is imported with a warning (refused
    with --strict)."""
    from canhgac.cli.rules_import import run_import

    settings = settings_from(config)
    raise typer.Exit(run_import(settings, source, into, dry_run, console, strict))


# --- check --------------------------------------------------------------------------------------
def check_report(
    settings: Settings, path: Path | None, console: Console, strict: bool = False
) -> int:
    """Load and convert for every store, ask the configured store about every query, run the
    project checks, print one line per problem and a summary table; non-zero when any rule
    has an error (or, ``strict``, cannot fire with the sources you collect)."""
    from alerting.detect.compile.pipeline import load_pipeline
    from alerting.detect.correlation.run import CorrelationQuery
    from alerting.detect.rule_checks import check_rules
    from alerting.detect.store_probe import refuse_rejected
    from canhgac.cli.rules_import import collected_by
    from canhgac.cli.rules_probe import probe_store
    from canhgac.timeutil import utcnow

    detection = detection_for(settings, path)
    results = compile_for_every_store(detection)
    with probe_store(settings) as probe:
        probed = refuse_rejected(results[probe.query_language], probe, utcnow()) if probe else None
    if probed is None or probed.unavailable:
        why = probed.unavailable if probed else "the store cannot be reached"
        line(console, f"warning: the queries were not run on the configured store: {why}")
    shown: set[str] = set()
    for language, compiled in results.items():
        for error in compiled.errors:
            if str(error) not in shown:
                shown.add(str(error))
                line(console, str(error) if language == "sqlite" else f"{error} (on {language})")
    main = results["sqlite"]
    for warning in main.warnings:
        line(console, f"warning: {warning}")
    findings = check_rules(
        [*main.rules, *main.correlation_inputs],
        load_pipeline(detection.pipeline),
        collected_by(settings),
    )
    for finding in findings:
        refused = strict and finding.kind == "cannot fire"
        line(console, str(finding) if refused else f"warning: {finding}")
    table = Table(title="rules check")
    for column in ("loaded and converted", "errors", "warnings", "store"):
        table.add_column(column, justify="right")
    for language, compiled in results.items():
        converted = len(compiled.rules) + len(compiled.correlation_inputs)
        warned = len(compiled.warnings) + len(findings)
        table.add_row(str(converted), str(len(compiled.errors)), str(warned), language)
    console.print(table)
    checks = Table(title="project checks")
    for column in (
        "correlations",
        "without tests",
        "unknown fields",
        "cannot fire",
        "expired exceptions",
    ):
        checks.add_column(column, justify="right")
    everything = [*main.rules, *main.correlation_inputs]
    checks.add_row(
        str(sum(1 for r in everything if isinstance(r.query, CorrelationQuery))),
        str(sum(1 for f in findings if f.kind == "no tests")),
        str(sum(1 for f in findings if f.kind == "unknown field")),
        str(sum(1 for f in findings if f.kind == "cannot fire")),
        str(sum(1 for w in main.warnings if "expired on" in w)),
    )
    console.print(checks)
    cannot_fire = strict and any(f.kind == "cannot fire" for f in findings)
    return 1 if cannot_fire or any(compiled.errors for compiled in results.values()) else 0
