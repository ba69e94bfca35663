"""English messages of the city context: assets, internal/external, alert priority."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "sort.priority": "Highest priority first",
    "field.priority": "Priority",
    "priority.none": "No priority (recorded before the asset inventory)",
    "priority.explain": "Rule severity × asset criticality (0–16), set when the alert was created",
    "priority_band.urgent": "Urgent",
    "priority_band.high": "High",
    "priority_band.medium": "Medium",
    "priority_band.low": "Low",
    "criticality.low": "Low",
    "criticality.medium": "Medium",
    "criticality.high": "High",
    "criticality.critical": "Critical",
    "asset_role.host": "Host",
    "asset_role.source": "Source",
    "asset_role.destination": "Destination",
    "assets.title": "City context",
    "assets.field": "Field",
    "assets.value": "Value",
    "assets.zone": "Network",
    "assets.internal": "Internal",
    "assets.external": "External",
    "assets.asset": "System",
    "assets.department": "Department",
    "assets.criticality": "Criticality",
    "assets.description": "Description",
    "assets.unknown": "Not in the inventory",
    "assets.none": "No host or address in this alert.",
}
