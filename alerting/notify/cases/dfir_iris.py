"""DFIR-IRIS (2.1+): create an alert, ``POST /alerts/add`` with an API key (``Authorization:
Bearer``).

The body is the documented alert object (``alert_title``, ``alert_description``,
``alert_source``, ``alert_source_ref`` = our alert id, ``alert_source_link`` = its page,
``alert_source_content`` = the snapshot, ``alert_severity_id``, ``alert_status_id``,
``alert_customer_id``, ...). IRIS answers ``{"status": "success", ...}``; anything else is a
failure even with 200. The description is Markdown, its values escaped: the channel's own
``template`` in the ``markdown`` markup when it names one.
"""

from __future__ import annotations

import json
from typing import Any

from alerting.notify.http import Answer
from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import markdown_text
from alerting.notify.message import AlertMessage
from canhgac.config_channels import DfirIrisChannelConfig
from canhgac.errors import NotificationError
from canhgac.models import Severity

#: IRIS's default severities: 2 Informational, 3 Low, 4 Medium, 5 High, 6 Critical.
SEVERITY_ID = {
    Severity.informational: 2,
    Severity.low: 3,
    Severity.medium: 4,
    Severity.high: 5,
    Severity.critical: 6,
}


def iris_description(message: AlertMessage) -> str:
    facts = "\n".join(
        f"- {markdown_text(label)}: {markdown_text(value)}" for label, value in message.facts()
    )
    description = markdown_text(message.description)
    return f"{description}\n\n{facts}" if description else facts


def iris_alert(
    message: AlertMessage, config: DfirIrisChannelConfig, description: str
) -> dict[str, Any]:
    return {
        "alert_title": message.headline,
        "alert_description": description,
        "alert_source": config.source,
        "alert_source_ref": message.alert_id,
        "alert_source_link": message.link or "",
        "alert_source_content": {
            "alert_id": message.alert_id,
            "rule_id": message.rule_id,
            "severity": str(message.severity),
            "count": message.count,
            **message.context,
        },
        "alert_source_event_time": message.first_seen,
        "alert_severity_id": SEVERITY_ID[message.severity],
        "alert_status_id": config.status_id,
        "alert_customer_id": config.customer_id,
        "alert_tags": ",".join([*message.tags, f"rule:{message.rule_id}"]),
        "alert_context": dict(message.context),
    }


class DfirIrisChannel(HttpChannel[DfirIrisChannelConfig]):
    config_type = DfirIrisChannelConfig
    kind = "dfir_iris"
    markup = "markdown"
    takes_digests = False

    def endpoint(self) -> str:
        return f"{self.config.url.rstrip('/')}/alerts/add"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.api_key.get_secret_value()}"}

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return iris_alert(message, self.config, self.alert_text_or(message, iris_description))

    def check(self, answer: Answer) -> None:
        try:
            status = json.loads(answer.body).get("status")
        except (ValueError, AttributeError):
            status = None
        if status != "success":
            raise NotificationError(f"{self.poster.target}: answer status {status!r}")
