"""Times at the edges (year 0001, year 9999, offsets past the end of time) are refused with a
message on every route that takes one, never a 500 or a dropped connection."""

from __future__ import annotations

import pytest

from alerting.triage.errors import InvalidInputError
from alerting.triage.queue import parse_time

from .conftest import ClientFor, TriageEnv, make_alert

EDGE_TIMES = [
    "0001-01-01T00:00",  # Hanoi local: before year 1 in UTC
    "0001-01-01",
    "0999-06-01T00:00Z",  # a three-digit year would break the fixed-width text order
    "9999-12-31T23:59",
    "9999-12-31T23:59-12:00",  # after year 9999 in UTC
    "1969-12-31T23:59Z",
]


@pytest.mark.parametrize("text", EDGE_TIMES)
def test_parse_time_refuses_edges_with_a_message(text: str) -> None:
    with pytest.raises(InvalidInputError, match="out of range"):
        parse_time(text)


def test_parse_time_keeps_ordinary_times() -> None:
    assert parse_time("2026-11-27T10:15") == "2026-11-27T03:15:00.000000Z"
    assert parse_time("1970-01-01T00:00Z") == "1970-01-01T00:00:00.000000Z"


@pytest.mark.parametrize("text", EDGE_TIMES)
def test_edge_dates_are_never_a_server_error(client_for: ClientFor, text: str) -> None:
    client, csrf = client_for("admin")
    for field in ("since", "until"):
        api = client.get("/api/v1/alerts", params={field: text})
        assert api.status_code == 422, api.text
        assert "out of range" in api.json()["error"]["message"]
        # Pages drop the filter they cannot use and say so; the refresh fragment too.
        page = client.get("/alerts", params={field: text})
        assert page.status_code == 200
        assert client.get("/alerts/rows", params={field: text}).status_code == 200
    token = client.post(
        "/api/v1/tokens",
        json={"name": "edge", "role": "ops", "expires_at": text},
        headers={"X-CSRF-Token": csrf},
    )
    assert token.status_code == 422 and "out of range" in token.json()["error"]["message"]


def test_stored_alerts_still_list_with_edge_filters(client_for: ClientFor, env: TriageEnv) -> None:
    env.add_alert(make_alert("a1", env.clock.now))
    client, _ = client_for("analyst")
    page = client.get("/alerts", params={"since": "0001-01-01T00:00"})
    assert page.status_code == 200 and "/alerts/a1" in page.text
