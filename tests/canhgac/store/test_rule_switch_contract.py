"""Rule switches (:class:`canhgac.store.base.RuleSwitchStore`) behave the same on every store:
the latest switch per rule, read back at once (detection reads them every tick), any id."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from canhgac.models import RuleState, RuleSwitch
from canhgac.store.base import Store
from canhgac.store.sqlite.store import SQLiteStore
from tests.canhgac.store.test_store_contract import STORES

VIETNAMESE = "Quy tắc gây quá nhiều cảnh báo giả trên máy chủ cổng dịch vụ công"


@pytest.fixture(
    params=["sqlite", pytest.param("elasticsearch", marks=pytest.mark.integration)],
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from STORES[request.param](tmp_path)


def _switch(rule_id: str, enabled: bool, at: str, reason: str = "noisy") -> RuleSwitch:
    return RuleSwitch(rule_id=rule_id, enabled=enabled, reason=reason, actor="lan", changed_at=at)


def test_no_switch_is_stored_until_a_rule_is_switched(store: Store) -> None:
    assert store.get_rule_switches(["r1", "r2"]) == {}
    assert store.get_rule_switches([]) == {}


def test_the_latest_switch_of_each_rule_is_read_back_at_once(store: Store) -> None:
    off = _switch("r1", False, "2026-12-03T01:00:00.000000Z", VIETNAMESE)
    store.save_rule_switch(off)
    store.save_rule_switch(_switch("r2", False, "2026-12-03T01:00:01.000000Z"))
    assert store.get_rule_switches(["r1", "r3"]) == {"r1": off}

    on = _switch("r1", True, "2026-12-03T02:00:00.000000Z", "fixed by an exception")
    store.save_rule_switch(on)

    found = store.get_rule_switches(["r1", "r2", "r1"])
    assert found["r1"] == on
    assert found["r2"].enabled is False
    assert set(found) == {"r1", "r2"}


def test_switches_are_apart_from_the_rules_run_state(store: Store) -> None:
    # A completed window replaces the rule's state; the switch must survive it.
    store.save_rule_switch(_switch("r1", False, "2026-12-03T01:00:00.000000Z"))
    store.save_rule_states([RuleState(rule_id="r1", watermark="2026-12-03T01:00:05.000000Z")])
    assert store.get_rule_switches(["r1"])["r1"].enabled is False
    state = store.get_rule_state("r1")
    assert state is not None and state.watermark == "2026-12-03T01:00:05.000000Z"


@pytest.mark.parametrize(
    "rule_id",
    ["a/b/../c", "x' OR '1'='1", "<script>alert(1)</script>", "quy-tắc-đăng-nhập", "*", "_all"],
)
def test_any_rule_id_is_one_key_and_never_syntax(store: Store, rule_id: str) -> None:
    store.save_rule_switch(_switch(rule_id, False, "2026-12-03T01:00:00.000000Z"))
    assert store.get_rule_switches([rule_id])[rule_id].rule_id == rule_id
    assert store.get_rule_switches(["other"]) == {}


def test_many_rules_are_read_in_one_call(store: Store) -> None:
    ids = [f"rule-{n:04d}" for n in range(1200)]
    for rule_id in ids[::100]:
        store.save_rule_switch(_switch(rule_id, False, "2026-12-03T01:00:00.000000Z"))
    assert sorted(store.get_rule_switches(ids)) == ids[::100]


def test_a_sqlite_database_made_before_switches_gains_the_table(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as conn:  # as a database of the previous version was
        conn.execute("DROP TABLE rule_switches")
    store = SQLiteStore(path)
    try:
        assert store.get_rule_switches(["r1"]) == {}
        store.save_rule_switch(_switch("r1", False, "2026-12-03T01:00:00.000000Z"))
        assert store.get_rule_switches(["r1"])["r1"].enabled is False
    finally:
        store.close()
