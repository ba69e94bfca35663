"""When this instance's sources began storing events that no rule has searched yet.

A rule without a stored watermark starts one interval before its first run. A process that
both collects and detects (the embedded mode) starts its sources first and loads its rules
after, so its first events are stored seconds before any rule runs; if the process is killed
in between, the next one's first windows would begin after those events, and they would never
be searched. So before its sources start such a process *holds* the time they start, in the
store beside the rules' watermarks, unless an earlier process's hold is still there (it died
before its rules started: its events are the older ones). New rules then start no later than
the hold (:meth:`DetectionEngine.anchor`), and once every rule's start is stored the hold is
*released*.
"""

from __future__ import annotations

from datetime import datetime

from canhgac.models import RuleState
from canhgac.store.base import RuleStateStore
from canhgac.timeutil import from_iso, to_iso

#: Kept among the rules' states (no rule id looks like it), so both stores hold it as is.
HOLD_ID = "canhgac:collect-start"
# A released hold is rewritten, not deleted (the stores' rule states have no delete).
RELEASED = "released"


def hold(store: RuleStateStore, now: datetime) -> datetime:
    """The time from which the rules must search: ``now``, or an unreleased earlier hold."""
    state = store.get_rule_state(HOLD_ID)
    if state is not None and state.watermark != RELEASED:
        return from_iso(state.watermark)
    store.save_rule_states([RuleState(rule_id=HOLD_ID, watermark=to_iso(now))])
    return now


def release(store: RuleStateStore) -> None:
    store.save_rule_states([RuleState(rule_id=HOLD_ID, watermark=RELEASED)])
