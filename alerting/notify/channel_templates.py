"""A channel's two templates (one alert, one digest), loaded and checked when it is built.

The channel's ``template`` and ``digest_template`` files when it names them, else the ones
shipped in its ``language``; both are rendered once with a sample alert and digest, so a
template that cannot render stops the start (:mod:`alerting.notify.template`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alerting.notify.digest import Digest, digest_context
from alerting.notify.message import AlertLinks, AlertMessage, alert_message
from alerting.notify.template import MessageTemplate, load_template
from canhgac.config_channels import ChannelBase
from canhgac.models import Alert, Severity

#: Alerts listed one by one in a digest when the channel has no digest settings.
DEFAULT_MAX_ALERTS = 20


def sample_alert() -> Alert:
    """An alert with every field a template may read filled in."""
    return Alert(
        id="sample-alert",
        rule_id="sample-rule",
        rule_title="Mẫu — sample",
        rule_description="Mẫu — sample",
        severity=Severity.low,
        first_seen="2026-01-01T00:00:00.000000Z",
        last_seen="2026-01-01T00:00:00.000000Z",
        count=1,
        event_ids=["sample-event"],
        tags=["sample"],
        snapshot={"host.name": "host", "user.name": "user", "source.ip": "192.0.2.1"},
        created_at="2026-01-01T00:00:00.000000Z",
        updated_at="2026-01-01T00:00:00.000000Z",
    )


class ChannelTemplates:
    def __init__(self, config: ChannelBase, markup: str) -> None:
        self.language = config.language
        self.max_alerts = config.digest.max_alerts if config.digest else DEFAULT_MAX_ALERTS
        options = {"markup": markup, "language": config.language, "channel": config.name}
        self.alert: MessageTemplate = load_template("alert", path=config.template, **options)
        self.digest: MessageTemplate = load_template(
            "digest", path=config.digest_template, **options
        )
        links = AlertLinks("https://canhgac.invalid")
        sample = sample_alert()
        self.alert.check({"alert": alert_message(sample, links, self.language).template_context()})
        end = datetime(2026, 1, 1, 0, 15, tzinfo=UTC)
        digest = Digest("digest:sample", config.name, end, timedelta(minutes=15), (sample,))
        self.digest.check({"digest": digest_context(digest, links, self.language, 1)})

    def render_alert(self, message: AlertMessage) -> str:
        return self.alert.render({"alert": message.template_context()})

    def render_digest(self, digest: Digest, links: AlertLinks) -> str:
        context = digest_context(digest, links, self.language, self.max_alerts)
        return self.digest.render({"digest": context})
