"""Jira: create an issue, ``POST /rest/api/2/issue`` (REST v2: the description is wiki markup).

Jira Cloud authenticates with the account's email and an API token (Basic); Jira Data Center
with a personal access token (Bearer) -- ``email`` unset. Every value in the description goes
through :func:`~alerting.notify.markup.jira_wiki_text`, so log content makes no link, macro or
formatting; a channel's own ``template`` writes the description in the ``jira`` markup. The
summary is one line of at most 255 characters (Jira's limit).
"""

from __future__ import annotations

import base64
from typing import Any

from alerting.notify.http_channel import HttpChannel
from alerting.notify.markup import jira_wiki_text
from alerting.notify.message import AlertMessage
from alerting.notify.render import shorten
from canhgac.config_channels import JiraChannelConfig

MAX_SUMMARY = 255


def jira_description(message: AlertMessage) -> str:
    lines = [f"h3. {jira_wiki_text(message.headline)}"]
    if message.description:
        lines.append(jira_wiki_text(message.description))
    lines.append("||Trường||Giá trị||")
    lines += [
        f"|{jira_wiki_text(label)}|{jira_wiki_text(value)}|" for label, value in message.facts()
    ]
    if message.link:
        lines.append(f"[{message.labels['open']}|{message.link}]")
    return "\n".join(lines)


def jira_issue(
    message: AlertMessage, config: JiraChannelConfig, description: str
) -> dict[str, Any]:
    return {
        "fields": {
            "project": {"key": config.project},
            "issuetype": {"name": config.issue_type},
            "summary": shorten(message.headline, MAX_SUMMARY),
            "description": description,
            # Labels cannot hold spaces; the alert id lets a search find a repeat.
            "labels": [
                *config.labels,
                f"severity-{message.severity}",
                f"canhgac-{''.join(message.alert_id.split())}",
            ],
        }
    }


class JiraChannel(HttpChannel[JiraChannelConfig]):
    config_type = JiraChannelConfig
    kind = "jira"
    markup = "jira"
    takes_digests = False

    def endpoint(self) -> str:
        return f"{self.config.url.rstrip('/')}/rest/api/2/issue"

    def headers(self) -> dict[str, str]:
        token = self.config.token.get_secret_value()
        if self.config.email is None:
            return {"Authorization": f"Bearer {token}"}
        basic = base64.b64encode(f"{self.config.email}:{token}".encode()).decode("ascii")
        return {"Authorization": f"Basic {basic}"}

    def payload(self, message: AlertMessage) -> dict[str, Any]:
        return jira_issue(message, self.config, self.alert_text_or(message, jira_description))
