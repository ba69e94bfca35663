"""Alerts are stored with their priority (rule severity x asset criticality), read from the
asset inventory in use when the alert is created."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerting.detect.run.engine import DetectionEngine
from canhgac.assets.loader import parse_inventory
from canhgac.assets.lookup import AssetIndex
from canhgac.assets.priority import with_priority
from canhgac.config import DetectionConfig
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore

INVENTORY = """\
assets:
  - name: Hệ thống e-Cabinet
    department: Văn phòng UBND thành phố
    criticality: critical
    hosts: [ecab-app01]
  - name: Camera giao thông
    department: Sở Giao thông Vận tải
    criticality: low
    networks: [10.60.0.0/16]
"""


def test_each_new_alert_gets_the_priority_of_its_asset(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    current = {"index": AssetIndex(parse_inventory(INVENTORY, "inv.yaml"))}
    rule = kit.compile_text(kit.rule_text("sel:\n  user.name: bob\ncondition: sel"))  # high
    store.write_events(
        [
            kit.event("e1", user__name="bob", host__name="ECAB-APP01"),
            kit.event("e2", user__name="bob", source__ip="10.60.1.2"),
            kit.event("e3", user__name="bob", source__ip="8.8.8.8"),
        ]
    )
    clock.advance(timedelta(seconds=10))
    engine = DetectionEngine(
        store,
        DetectionConfig(ingest_delay=timedelta(seconds=5)),
        clock=clock,
        prioritize=lambda alert: with_priority(current["index"], alert),
    )
    engine.run_rule(rule)
    stored = {a.event_ids[0]: a for a in store.list_alerts(AlertFilter(sort="priority"))}
    assert [(e, a.priority, a.asset) for e, a in stored.items()] == [
        ("e1", 12, "Hệ thống e-Cabinet"),  # high (3) x critical (4)
        ("e3", 6, None),  # high x an unknown asset (medium, 2)
        ("e2", 3, "Camera giao thông"),  # high x low (1)
    ]


def test_without_an_inventory_alerts_have_no_priority(
    store: SQLiteStore, kit: Any, clock: Any
) -> None:
    rule = kit.compile_text(kit.rule_text("sel:\n  user.name: bob\ncondition: sel"))
    store.write_events([kit.event("e1", user__name="bob", host__name="ecab-app01")])
    clock.advance(timedelta(seconds=10))
    DetectionEngine(
        store, DetectionConfig(ingest_delay=timedelta(seconds=5)), clock=clock
    ).run_rule(rule)
    [alert] = store.list_alerts(AlertFilter())
    assert (alert.priority, alert.asset) == (None, None)
