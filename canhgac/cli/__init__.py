"""The ``canhgac`` command: the only place that wires ``ingest`` and ``alerting`` together.

Exit codes: 0 success, 1 the work found problems (rule errors, failing rule tests, missed
demo attacks), 2 bad usage or configuration.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from canhgac.cli.completion import complete_fixture_store, complete_severity, complete_status
from canhgac.cli.listing import FormatOption, JsonOption
from canhgac.cli.logs import setup_logging
from canhgac.cli.options import ConfigOption, VerboseOption, config_from, settings_from
from canhgac.cli.rules_tools import StrictOption
from canhgac.cli.rules_tools import register as _register_rule_tools
from canhgac.cli.terminal import console
from canhgac.errors import CanhGacError, ConfigError

app = typer.Typer(
    help="Canh Gác: SOC log monitoring — collect city logs, run Sigma rules, raise alerts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
rules_app = typer.Typer(
    help="Check, test and convert Sigma rules; disable or enable a loaded rule.",
    no_args_is_help=True,
)
alerts_app = typer.Typer(help="The alert queue.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(alerts_app, name="alerts")
incidents_app = typer.Typer(
    help="Incidents: list and show them, assign, move on, comment, close.", no_args_is_help=True
)
app.add_typer(incidents_app, name="incidents")
users_app = typer.Typer(help="Local accounts of the web UI.", no_args_is_help=True)
app.add_typer(users_app, name="users")
deadletters_app = typer.Typer(
    help="Input that could not become an event: list it, replay it.", no_args_is_help=True
)
app.add_typer(deadletters_app, name="deadletters")

log = logging.getLogger("canhgac")

#: Everything the process creates (database and WAL files, the initial password, checkpoints,
#: folders) is its own alone: files 0600, folders 0700, whatever umask the shell had. Logs
#: and alerts are confidential, and the triage database holds password hashes.
PRIVATE_UMASK = 0o077


def package_version() -> str:
    """The installed distribution's version (the source tree's when run uninstalled)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("canhgac")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"canhgac {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    """Canh Gác: SOC log monitoring — collect city logs, run Sigma rules, raise alerts."""


@app.command()
def run(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Run the roles the config names (default: collect, index, detect and web, embedded)."""
    _run_roles(config, verbose, None)


@app.command()
def collect(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Run only the collector: sources -> transport (Kafka in the scaled mode)."""
    _run_roles(config, verbose, ["collect"])


@app.command()
def index(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Run only the indexer: transport -> store (a Kafka consumer group member)."""
    _run_roles(config, verbose, ["index"])


@app.command()
def detect(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Run only detection: scheduled rules -> alerts -> notifications."""
    _run_roles(config, verbose, ["detect"])


@app.command()
def web(config: ConfigOption = None, verbose: VerboseOption = False) -> None:
    """Run only the analysts' web UI and REST API."""
    _run_roles(config, verbose, ["web"])


def _run_roles(config: Path | None, verbose: bool, roles: list[str] | None) -> None:
    setup_logging(verbose)
    from canhgac.cli.config_checks import check_config
    from canhgac.cli.listeners import check_listeners
    from canhgac.cli.runtime import Runtime

    loaded = config_from(config)
    if roles is not None:
        settings = loaded.settings.model_copy(update={"roles": roles})
        loaded = replace(loaded, settings=settings)
    # Refused before anything exists: no database, account or file is created by a start
    # that cannot succeed.
    check_config(loaded, loaded.settings.roles)
    check_listeners(loaded, loaded.settings.roles)
    runtime = Runtime(loaded.settings)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received, stopping", signal.Signals(signum).name)
        runtime.stopped.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        runtime.start()
    except OSError as exc:  # a listener lost a race for its port since the check: one line
        raise CanhGacError(f"cannot start: {exc}") from None
    try:
        while not runtime.stopped.wait(1.0):
            pass
    finally:
        runtime.stop()
    log.info("stopped")


@app.command()
def demo(
    config: ConfigOption = None,
    duration: Annotated[int, typer.Option(help="Seconds of traffic to send.")] = 60,
    rate: Annotated[float, typer.Option(help="Events per second.")] = 20.0,
    seed: Annotated[int, typer.Option(help="Random seed of the stream.")] = 7,
    wait: Annotated[int, typer.Option(help="Seconds to wait for the alerts.")] = 180,
) -> None:
    """Send a demo stream with planted attacks to a running instance, then report."""
    setup_logging(False)
    from canhgac.cli.demo import render_outcome, run_demo, targets_from_settings, wait_for_outcome
    from canhgac.cli.runtime import demo_log_path
    from canhgac.store.registry import build_store
    from canhgac.timeutil import now_iso

    settings = settings_from(config)
    # The instance tails the demo's access log only in demo mode; otherwise web lines go to
    # the first configured file source, or are skipped when there is none.
    targets = targets_from_settings(settings, file_path=demo_log_path(settings))
    started = now_iso()
    planted = run_demo(targets, duration, rate, seed)
    store = build_store(settings.store)
    try:
        outcome = wait_for_outcome(store, planted, started, wait)
    finally:
        store.close()
    console.print(render_outcome(outcome))
    raise typer.Exit(0 if outcome.all_caught else 1)


@rules_app.command("check")
def rules_check(
    path: Annotated[Path | None, typer.Argument(help="Rules folder (default: config).")] = None,
    config: ConfigOption = None,
    strict: StrictOption = False,
) -> None:
    """Load and convert every rule, ask the configured store about every query; print each
    problem as path:line: message (--strict: a rule that cannot fire is an error)."""
    from canhgac.cli.rules import check_rules

    raise typer.Exit(check_rules(settings_from(config), path, console, strict))


@rules_app.command("test")
def rules_test(
    path: Annotated[Path | None, typer.Argument(help="Rules folder (default: config).")] = None,
    config: ConfigOption = None,
    store: Annotated[
        str,
        typer.Option(
            "--store",
            help="sqlite (a temporary database) or elasticsearch (temporary indices on the "
            "configured node, else on $CANHGAC_TEST_ES_URL).",
            autocompletion=complete_fixture_store,
        ),
    ] = "sqlite",
) -> None:
    """Run every rule's must-fire and must-not-fire events through parse, store and query."""
    from canhgac.cli.rules import run_rule_tests

    raise typer.Exit(run_rule_tests(settings_from(config), path, console, store))


# convert, backtest, import and impact.
_register_rule_tools(rules_app)

from canhgac.cli.rules_switch import register as _register_rule_switch  # noqa: E402

_register_rule_switch(rules_app)

from canhgac.cli.deadletters import register as _register_dead_letters  # noqa: E402

_register_dead_letters(deadletters_app)


@alerts_app.command("list")
def alerts_list(
    config: ConfigOption = None,
    status: Annotated[
        str | None,
        typer.Option(help="new, acknowledged or closed.", autocompletion=complete_status),
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(help="informational … critical.", autocompletion=complete_severity),
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 50,
    output: FormatOption = "table",
    as_json: JsonOption = False,
) -> None:
    """List alerts, newest first."""
    from canhgac.cli.alerts import list_alerts

    list_alerts(
        settings_from(config), status, severity, limit, "json" if as_json else output, console
    )


from canhgac.cli.incidents import register as _register_incidents  # noqa: E402

_register_incidents(incidents_app)

from canhgac.cli.users import register as _register_users  # noqa: E402

_register_users(users_app)


def main() -> None:
    os.umask(PRIVATE_UMASK)
    try:
        app()
    except ConfigError as exc:
        errors = Console(stderr=True)
        errors.print("[red]configuration error[/red]", markup=True, highlight=False)
        # The problems quote configured values, which are no markup.
        errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except CanhGacError as exc:
        # One line, never wrapped: scripts and tests read it (it names a file, a cause).
        errors = Console(stderr=True)
        errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)


__all__ = ["app", "main"]
