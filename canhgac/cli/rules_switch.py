"""`canhgac rules disable|enable RULE --reason ...`: switch a loaded rule off or back on from
the host's console, the same way the rules page does (:mod:`alerting.triage.rule_switch`):
a reason is required, the switch is written to the audit log (actor ``cli:<login>``), and
every detector sharing the store obeys it at its next tick, with no restart.

RULE is a rule id, a rule file, or a title (any case); one that names several rules is
refused with their ids.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canhgac.cli.completion import complete_rule
from canhgac.cli.options import ConfigOption, settings_from
from canhgac.cli.terminal import console, printable
from canhgac.errors import CanhGacError

if TYPE_CHECKING:  # the triage stack is imported when a command runs, not with the CLI
    from alerting.triage.rule_catalog import RuleCatalog, RuleInfo
    from alerting.triage.rule_switch import RuleSwitches

RuleArgument = Annotated[
    str, typer.Argument(help="Rule id, rule file or title.", autocompletion=complete_rule)
]
ReasonOption = Annotated[
    str, typer.Option("--reason", help="Why (required; written to the audit log).")
]


def register(rules_app: typer.Typer) -> None:
    rules_app.command("disable")(disable)
    rules_app.command("enable")(enable)


def actor() -> str:
    """Who the audit log names: the console's login."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@contextmanager
def _switches(config: Path | None) -> Iterator[tuple[RuleSwitches, RuleCatalog]]:
    from alerting.triage.rule_catalog import RuleCatalog
    from alerting.triage.rule_switch import RuleSwitches
    from alerting.triage.stores import build_triage_store
    from canhgac.store.registry import build_store

    settings = settings_from(config)
    catalog = RuleCatalog(settings.detection.rules_dir, settings.detection.default_interval)
    store = build_store(settings.store)
    try:
        triage = build_triage_store(settings)
        try:
            yield RuleSwitches(store, triage, catalog), catalog
        finally:
            triage.close()
    finally:
        store.close()


def resolve(catalog: RuleCatalog, reference: str) -> RuleInfo:
    """The one rule ``reference`` names, or an error naming what it matched."""
    found = catalog.find(reference)
    if not found:
        raise CanhGacError(f"no loaded rule is named {reference!r} (an id, a rule file or a title)")
    if len(found) > 1:
        ids = ", ".join(info.rule_id for info in found)
        raise CanhGacError(f"{reference!r} names {len(found)} rules ({ids}): give the rule id")
    return found[0]


def _switch(rule: str, reason: str, config: Path | None, enabled: bool) -> None:
    from alerting.triage.errors import TriageError

    with _switches(config) as (switches, catalog):
        info = resolve(catalog, rule)
        try:
            switches.switch(actor(), info.rule_id, enabled=enabled, reason=reason)
        except TriageError as exc:
            raise CanhGacError(exc.message) from None
    what = "enabled; it resumes from now" if enabled else "disabled from its next tick"
    console.print(f"{printable(info.rule_id)} ({printable(info.title)}) {what}")


def disable(rule: RuleArgument, reason: ReasonOption, config: ConfigOption = None) -> None:
    """Stop running a rule (audited); it finishes the windows up to now, searches nothing
    after."""
    _switch(rule, reason, config, False)


def enable(rule: RuleArgument, reason: ReasonOption, config: ConfigOption = None) -> None:
    """Run a disabled rule again (audited), from now: what was ingested while it was disabled
    is not searched (`canhgac rules backtest` covers it on demand)."""
    _switch(rule, reason, config, True)
