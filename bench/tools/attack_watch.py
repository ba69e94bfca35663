"""When did the alert of each planted attack appear? Polls the instance's alert store.

An attack counts as alerted by an alert of one of its rules that covers its time: first seen
no later than the burst's end, last seen no earlier than its first line. A fresh alert's
latency is its ``created_at`` minus the moment the attack's first line was sent; an alert
that already existed (a rule grouping by host within a suppression window) and took the
attack in has its ``updated_at`` instead, which the poll sees before the next round (a minute
later) could move it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path

import yaml

from canhgac.cli.demo.generator import MAX_BURST_S
from canhgac.models import Alert, AlertFilter
from canhgac.store.base import AlertStore
from canhgac.timeutil import floor_to, from_iso, to_iso

from .soak_stats import AttackSent


def rule_ids(rules_dir: Path, stems: Iterable[str] | None = None) -> dict[str, str]:
    """Rule file stem -> the rule's id, for the stems asked for (None: every rule)."""
    wanted = None if stems is None else set(stems)
    found: dict[str, str] = {}
    for path in rules_dir.rglob("*.yml"):
        if (wanted is None or path.stem in wanted) and path.stem not in found:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
            if isinstance(document, dict) and "id" in document:
                found[path.stem] = str(document["id"])
    return found


class AttackWatch:
    def __init__(self, store: AlertStore, ids: dict[str, str], wall_start: float) -> None:
        self.store = store
        self.ids = ids
        self.wall_start = wall_start  # the stream's start on the wall clock

    def poll(self, attacks: Iterable[AttackSent]) -> None:
        """Stamp ``alerted_at`` on every attack an alert now covers."""
        for attack in attacks:
            if attack.alerted_at is not None:
                continue
            seen = self._first_alerted(attack)
            if seen is not None:
                attack.alerted_at = seen - self.wall_start

    def _first_alerted(self, attack: AttackSent) -> float | None:
        planted = from_iso(attack.planted_at)
        begin = floor_to(planted, timedelta(seconds=1))
        end = to_iso(planted + timedelta(seconds=MAX_BURST_S + 1))
        moments: list[float] = []
        for stem in attack.rules:
            rule_id = self.ids.get(stem)
            if rule_id is None:
                continue
            query = AlertFilter(rule_id=rule_id, since=to_iso(begin), limit=100)
            for alert in self.store.list_alerts(query):
                if alert.first_seen <= end:
                    moments.append(_alerted_moment(alert, to_iso(begin)))
        return min(moments) if moments else None


def _alerted_moment(alert: Alert, begin: str) -> float:
    fresh = alert.first_seen >= begin
    return from_iso(alert.created_at if fresh else alert.updated_at).timestamp()
