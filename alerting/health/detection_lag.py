"""Detection that has stopped searching: rules whose coverage trails the clock.

Each rule's watermark (the end of the last window whose alerts are stored) is read from the
store, so the judgement holds whichever detector runs the rule: a detector that died holding
the rules' leases, a store that refuses every search, a tick stuck in one query all leave
watermarks behind, while ``canhgac_rule_delay_seconds`` (as of each rule's last run) shows
nothing. A rule is *behind* when its watermark is older than its interval plus
``health.detection_stall``; a rule a person switched off is never behind (it stops on
purpose), and one with no watermark yet counts from when this monitor first saw it. So does
every rule after a restart: a backfill after downtime is not a stall unless it does not catch
up in that time.

All rules behind make one finding (one alert per stall, not one per rule: a dead detector
stops them all at once), whose episode is the oldest watermark among them: a stall that goes
on keeps adding to the same alert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerting.health.judge import Finding, minutes
from alerting.health.rules import DETECTION_BEHIND
from canhgac.config import HealthConfig
from canhgac.health.model import SourceKey
from canhgac.store.base import Store
from canhgac.timeutil import from_iso, to_iso

#: The key detection's own findings are filed under (they belong to no log source).
DETECTION_KEY = SourceKey(source="canhgac-detection")
#: Rules named in the alert's message; the count says how many more there are.
NAMED = 5


@dataclass(frozen=True, slots=True)
class ScheduledRule:
    """A rule detection is meant to run every ``interval_s`` seconds."""

    id: str
    title: str
    interval_s: float


@dataclass(frozen=True, slots=True)
class RuleLag:
    rule: ScheduledRule
    #: the rule's watermark, or when it was first seen without one
    since: datetime
    behind_s: float
    #: how long it has been behind in this monitor's sight (at most ``behind_s``)
    stalled_s: float


def rule_lags(
    store: Store,
    rules: Sequence[ScheduledRule],
    now: datetime,
    first_seen: dict[str, datetime],
) -> list[RuleLag]:
    """How far each enabled rule's coverage trails ``now``, most behind first.
    ``first_seen`` (rule id -> time) is kept by the caller across runs."""
    ids = [rule.id for rule in rules]
    states = store.get_rule_states(ids)
    switches = store.get_rule_switches(ids)
    lags = []
    for rule in rules:
        switch = switches.get(rule.id)
        if switch is not None and not switch.enabled:
            continue
        seen = first_seen.setdefault(rule.id, now)
        state = states.get(rule.id)
        since = from_iso(state.watermark) if state else seen
        stalled = (now - max(since, seen)).total_seconds()
        lags.append(RuleLag(rule, since, (now - since).total_seconds(), stalled))
    for gone in set(first_seen) - set(ids):
        del first_seen[gone]
    return sorted(lags, key=lambda lag: -lag.behind_s)


def behind(lags: Sequence[RuleLag], config: HealthConfig) -> list[RuleLag]:
    stall = config.detection_stall.total_seconds()
    return [lag for lag in lags if lag.stalled_s > lag.rule.interval_s + stall]


def stall_finding(lags: Sequence[RuleLag], config: HealthConfig, now: datetime) -> Finding | None:
    """The finding for the rules :func:`behind`, if any."""
    stalled = behind(lags, config)
    if not stalled:
        return None
    worst = stalled[0]
    names = ", ".join(f"{lag.rule.title} ({minutes(lag.behind_s)})" for lag in stalled[:NAMED])
    more = len(stalled) - NAMED
    more_vi = f" và {more} quy tắc khác" if more > 0 else ""
    more_en = f" and {more} more" if more > 0 else ""
    since = to_iso(worst.since)
    stall = minutes(config.detection_stall.total_seconds())
    return Finding(
        DETECTION_BEHIND,
        DETECTION_KEY,
        episode=since,
        first_seen=since,
        last_seen=to_iso(now),
        message_vi=(
            f"{len(stalled)} quy tắc phát hiện đã dừng tìm kiếm (chậm hơn chu kỳ chạy quá"
            f" {stall}): {names}{more_vi}"
        ),
        message_en=(
            f"{len(stalled)} detection rules stopped searching (behind by more than their"
            f" interval plus {stall}): {names}{more_en}"
        ),
        values={
            "rules_behind": len(stalled),
            "worst_rule_id": worst.rule.id,
            "worst_behind_s": round(worst.behind_s),
        },
    )
