"""Did the instance catch what the demo planted? Read its alerts and say so.

An attack is *caught* when an alert of one of its rules (matched by the rule file's stem) was
seen since the demo started. Alerts of the rules an attack fires as well (``also``) and of
the rules the benign stream rightly fires (background noise) are accounted for; any other
alert in that time is *unexpected*: a false positive of the benign stream, or activity that
did not come from the demo at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from canhgac.cli.demo.benign import BACKGROUND_RULES
from canhgac.cli.demo.model import PlantedAttack
from canhgac.models import Alert, AlertFilter
from canhgac.store.base import AlertStore
from canhgac.timeutil import floor_to, for_display, from_iso, to_iso

PAGE = 1000
MAX_ALERTS = 20_000


def rule_stem(rule_path: str) -> str:
    """``rules/linux/sshd/lnx_sshd_invalid_user.yml`` -> ``lnx_sshd_invalid_user``."""
    name = rule_path.replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in (".yml", ".yaml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@dataclass(frozen=True, slots=True)
class AttackOutcome:
    key: str
    title: str
    rules: tuple[str, ...]
    also: tuple[str, ...]
    planted: int  # how many times the burst was sent
    alerts: tuple[Alert, ...]  # alerts of ``rules``
    related: tuple[Alert, ...]  # alerts of ``also``

    @property
    def caught(self) -> bool:
        return bool(self.alerts)


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    since: str
    attacks: tuple[AttackOutcome, ...]
    background: tuple[Alert, ...]
    unexpected: tuple[Alert, ...]

    @property
    def missed(self) -> tuple[AttackOutcome, ...]:
        return tuple(attack for attack in self.attacks if not attack.caught)

    @property
    def all_caught(self) -> bool:
        return not self.missed

    @property
    def summary(self) -> str:
        caught = len(self.attacks) - len(self.missed)
        text = f"{caught}/{len(self.attacks)} planted attacks caught"
        if self.missed:
            text += f"; missed: {', '.join(attack.key for attack in self.missed)}"
        text += f"; {len(self.unexpected)} unexpected alert(s)"
        if self.background:
            text += f"; {len(self.background)} background alert(s)"
        return text


def alerts_since(store: AlertStore, since: str) -> list[Alert]:
    """Every alert last seen at or after ``since`` (paged; at most MAX_ALERTS)."""
    alerts: list[Alert] = []
    while len(alerts) < MAX_ALERTS:
        page = store.list_alerts(AlertFilter(since=since, limit=PAGE, offset=len(alerts)))
        alerts.extend(page)
        if len(page) < PAGE:
            break
    return alerts


def demo_since(started_at: str) -> str:
    """The lower bound for alerts: syslog and access-log times have whole seconds only."""
    return to_iso(floor_to(from_iso(started_at), timedelta(seconds=1)))


def build_outcome(
    store: AlertStore,
    planted: Sequence[PlantedAttack],
    started_at: str,
    *,
    background: Mapping[str, str] = BACKGROUND_RULES,
) -> DemoOutcome:
    """Compare the planted attacks with the alerts seen since ``started_at``."""
    since = demo_since(started_at)
    return outcome_from_alerts(alerts_since(store, since), planted, since, background=background)


def outcome_from_alerts(
    alerts: Iterable[Alert],
    planted: Sequence[PlantedAttack],
    since: str,
    *,
    background: Mapping[str, str] = BACKGROUND_RULES,
) -> DemoOutcome:
    by_stem: dict[str, list[Alert]] = {}
    for alert in alerts:
        by_stem.setdefault(rule_stem(alert.rule_path), []).append(alert)
    attacks: dict[str, AttackOutcome] = {}
    for attack in planted:
        known = attacks.get(attack.key)
        if known is not None:  # the same attack planted again in a later round
            attacks[attack.key] = replace(known, planted=known.planted + 1)
            continue
        attacks[attack.key] = AttackOutcome(
            key=attack.key,
            title=attack.title,
            rules=attack.rules,
            also=attack.also,
            planted=1,
            alerts=tuple(alert for stem in attack.rules for alert in by_stem.get(stem, ())),
            related=tuple(alert for stem in attack.also for alert in by_stem.get(stem, ())),
        )
    accounted = {stem for attack in attacks.values() for stem in (*attack.rules, *attack.also)}
    noise = [
        alert for stem in background if stem not in accounted for alert in by_stem.get(stem, ())
    ]
    accounted.update(background)
    unexpected = [
        alert for stem, group in by_stem.items() if stem not in accounted for alert in group
    ]
    return DemoOutcome(since, tuple(attacks.values()), tuple(noise), tuple(unexpected))


def wait_for_outcome(
    store: AlertStore,
    planted: Sequence[PlantedAttack],
    started_at: str,
    timeout_s: float,
    *,
    poll_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
) -> DemoOutcome:
    """Poll the store until every planted attack is caught or ``timeout_s`` has passed.

    Detection runs on a schedule (every minute by default, a few seconds behind ingestion),
    so the alerts of a demo arrive up to a couple of minutes after its lines.
    """
    deadline = clock() + timeout_s
    while True:
        outcome = build_outcome(store, planted, started_at)
        remaining = deadline - clock()
        if outcome.all_caught or remaining <= 0:
            return outcome
        sleep(min(poll_s, remaining))


# --- rendering ---------------------------------------------------------------------------------
def _events(alerts: Sequence[Alert]) -> int:
    return sum(alert.count for alert in alerts)


def attack_table(outcome: DemoOutcome) -> Table:
    table = Table(title="Canh Gác demo: planted attacks", title_justify="left")
    table.add_column("attack")
    table.add_column("expected rule")
    table.add_column("alerts", justify="right")
    table.add_column("status")
    for attack in outcome.attacks:
        rules = Text("\n".join(attack.rules))
        if attack.also:
            rules.append("\n" + "\n".join(f"(also {stem})" for stem in attack.also), style="dim")
        alerts = f"{len(attack.alerts)} ({_events(attack.alerts)} events)"
        if attack.related:
            alerts += f"\n+{len(attack.related)} related"
        if attack.caught:
            status = Text("✓ caught", style="bold green")
        else:
            status = Text("✗ missed", style="bold red")
        title = attack.title if attack.planted == 1 else f"{attack.title} (×{attack.planted})"
        table.add_row(title, rules, alerts, status)
    return table


def other_alerts_table(title: str, alerts: Sequence[Alert]) -> Table:
    """Alerts grouped by rule: stem, title, severity, alerts, events, last seen."""
    table = Table(title=title, title_justify="left")
    for column in ("rule", "title", "severity", "alerts", "events", "last seen"):
        table.add_column(column, justify="right" if column in ("alerts", "events") else "left")
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(rule_stem(alert.rule_path) or alert.rule_id, []).append(alert)
    for stem, group in sorted(groups.items()):
        last = max(alert.last_seen for alert in group)
        table.add_row(
            stem,
            group[0].rule_title,
            str(group[0].severity),
            str(len(group)),
            str(_events(group)),
            for_display(last),
        )
    return table


def render_outcome(outcome: DemoOutcome) -> RenderableType:
    """The attack table, the unexpected and background alerts, and the summary line."""
    parts: list[RenderableType] = [attack_table(outcome)]
    if outcome.unexpected:
        parts.append(other_alerts_table("Unexpected alerts", outcome.unexpected))
    if outcome.background:
        parts.append(other_alerts_table("Background alerts (expected noise)", outcome.background))
    style = "bold green" if outcome.all_caught and not outcome.unexpected else "bold yellow"
    if not outcome.all_caught:
        style = "bold red"
    parts.append(Text(outcome.summary, style=style))
    return Group(*parts)
