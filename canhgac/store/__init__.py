"""Stores: where events, dead letters, alerts and rule run-state live."""

from canhgac.store.base import AlertWrite, EventPage, Store

__all__ = ["AlertWrite", "EventPage", "Store"]
