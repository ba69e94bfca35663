"""TheHive 5: create an alert, ``POST /api/v1/alert`` with an API key (``Authorization:
Bearer``).

The alert's ``sourceRef`` is our alert id, and TheHive refuses a second alert with the same
``type``/``source``/``sourceRef``: a repeat after a crash (delivery is at least once) is
answered 400 "already exists", which counts as delivered. Who/where values become observables
(``ip``, ``hostname``, ``other``); the description is Markdown, its values escaped: the
channel's own ``template`` in the ``markdown`` markup when it names one.
"""

from __future__ import annotations

from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import markdown_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import TheHiveChannelConfig
from canhgac.models import Severity
from canhgac.timeutil import from_iso

#: TheHive's severities: 1 low, 2 medium, 3 high, 4 critical.
SEVERITY = {
    Severity.informational: 1,
    Severity.low: 1,
    Severity.medium: 2,
    Severity.high: 3,
    Severity.critical: 4,
}
#: Snapshot fields -> TheHive observable data types.
OBSERVABLE_TYPES = {"source.ip": "ip", "host.name": "hostname", "user.name": "other"}


def thehive_description(message: AlertMessage) -> str:
    lines = [f"**{markdown_text(message.headline)}**", ""]
    if message.description:
        lines += [markdown_text(message.description), ""]
    lines += [
        f"- {markdown_text(label)}: {markdown_text(value)}" for label, value in message.facts()
    ]
    if message.link:
        lines += ["", f"[{message.labels['open']}]({message.link})"]
    return "\n".join(lines)


def thehive_alert(
    message: AlertMessage, config: TheHiveChannelConfig, description: str
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": config.alert_type,
        "source": config.source,
        "sourceRef": message.alert_id,
        "title": message.headline,
        "description": description,
        "severity": SEVERITY[message.severity],
        "date": int(from_iso(message.first_seen).timestamp() * 1000),
        "tags": [*message.tags, f"rule:{message.rule_id}"],
        "tlp": config.tlp,
        "pap": config.pap,
        "observables": [
            {"dataType": OBSERVABLE_TYPES[field], "data": value, "message": field}
            for field, value in message.context.items()
            if field in OBSERVABLE_TYPES
        ],
    }
    if message.link:
        body["externalLink"] = message.link
    return body


class TheHiveChannel(HttpChannel[TheHiveChannelConfig]):
    config_type = TheHiveChannelConfig
    kind = "thehive"
    markup = "markdown"
    takes_digests = False

    def endpoint(self) -> str:
        return f"{self.config.url.rstrip('/')}/api/v1/alert"

    def headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"}
        if self.config.organisation:
            headers["X-Organisation"] = self.config.organisation
        return headers

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        description = self.alert_text_or(message, thehive_description)
        return thehive_alert(message, self.config, description)

    def already_delivered(self, status: int, body: str) -> bool:
        return status == 400 and "already exists" in body.lower()
