"""The city context the triage pages and API show beside an alert or an entity: which
inventory asset a host or address belongs to (name, department, criticality, description) and
whether an address is internal or external. Read from the current inventory at query time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from canhgac.assets.context import FieldContext, alert_context, event_context
from canhgac.assets.lookup import AssetIndex, Resolved
from canhgac.assets.model import Asset
from canhgac.config_assets import DEFAULT_INTERNAL_NETWORKS
from canhgac.models import Alert

AssetSource = Callable[[], AssetIndex]
_NO_INVENTORY = AssetIndex.empty(DEFAULT_INTERNAL_NETWORKS)


def no_inventory() -> AssetIndex:
    """The context without an inventory: only internal/external by the default ranges."""
    return _NO_INVENTORY


@dataclass(frozen=True, slots=True)
class AssetRow:
    field: str
    role: str  # host | source | destination
    value: str
    #: The entity page kind the value links to (``ip`` or ``host``).
    pivot: str
    #: For an address: in the city's ranges or not; None for a host name.
    internal: bool | None
    network: str | None
    asset: Asset | None


def _row(context: FieldContext) -> AssetRow:
    found = context.resolved
    return AssetRow(
        field=context.field,
        role=context.role,
        value=found.value,
        pivot="host" if found.internal is None else "ip",
        internal=found.internal,
        network=found.network,
        asset=found.asset,
    )


def alert_asset_rows(index: AssetIndex, alert: Alert) -> list[AssetRow]:
    return [_row(context) for context in alert_context(index, alert)]


def event_asset_rows(index: AssetIndex, fields: Mapping[str, Any]) -> list[AssetRow]:
    return [_row(context) for context in event_context(index, fields)]


#: Entity kind -> how its value is looked up (a user has no asset).
_ENTITY_LOOKUPS: dict[str, tuple[str, str, Callable[[AssetIndex, str], Resolved | None]]] = {
    "ip": ("source.ip", "source", lambda index, value: index.address(value)),
    "host": ("host.name", "host", lambda index, value: index.host(value)),
}


def entity_asset_row(index: AssetIndex, kind: str, value: str) -> AssetRow | None:
    lookup = _ENTITY_LOOKUPS.get(kind)
    if lookup is None:
        return None
    field, role, resolve = lookup
    found = resolve(index, value)
    return None if found is None else _row(FieldContext(field, role, found))
