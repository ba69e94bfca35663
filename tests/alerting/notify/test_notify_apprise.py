"""The Apprise channel against a real HTTP server on 127.0.0.1 (Apprise's ``json://`` service,
whose request shape Apprise documents), through the dispatcher and a real SQLite outbox."""

from __future__ import annotations

from typing import Any

import pytest

from alerting.notify.dispatcher import DispatchReport
from canhgac.errors import ConfigError
from canhgac.models import Alert
from canhgac.store.sqlite.store import SQLiteStore

from .test_notify_chat import LINK, TITLE, deliver


def _apprise(receiver: Any, **options: Any) -> dict[str, Any]:
    host = receiver.url.removeprefix("http://")
    return {"type": "apprise", "name": "ntfy", "urls": [f"json://{host}/hook"], **options}


def test_apprise_posts_the_alert_as_plain_text_with_its_link(
    store: SQLiteStore, hostile_alert: Alert, http_receiver: Any, clock: Any
) -> None:
    assert deliver(store, hostile_alert, _apprise(http_receiver), clock) == DispatchReport(sent=1)

    [(path, _, body)] = http_receiver.requests
    assert path == "/hook"
    assert body["title"] == TITLE
    lines = body["message"].splitlines()
    # Plain text: log values arrive as they are, markup nowhere to interpret them.
    assert "host.name: máy-chủ-01 <b>x</b>" in lines
    assert "Quy tắc: ssh-bruteforce" in lines
    assert lines[-1] == f"Mở cảnh báo: {LINK}"


def test_a_refused_apprise_delivery_is_retried(
    store: SQLiteStore, make_alert: Any, http_receiver: Any, clock: Any
) -> None:
    http_receiver.default = (500, "{}")
    alert = make_alert()
    assert deliver(store, alert, _apprise(http_receiver), clock) == DispatchReport(retrying=1)
    [row] = store.list_notifications(alert.id)
    assert row.last_error is not None and "Apprise could not deliver" in row.last_error


def test_an_unknown_apprise_url_is_refused_at_start_without_showing_it(
    store: SQLiteStore, make_alert: Any, clock: Any
) -> None:
    channel = {"type": "apprise", "urls": ["json://127.0.0.1:9/ok", "nosuchservice://SECRET"]}
    with pytest.raises(ConfigError, match="url #2 is not an Apprise URL") as refused:
        deliver(store, make_alert(), channel, clock)
    assert "SECRET" not in str(refused.value)
