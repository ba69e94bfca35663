"""Creating an exception from an alert: pre-filled, impact previewed, saved as detection reads it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alerting.detect.load.suppressions import load_suppressions
from alerting.triage.actions import TriageActions
from alerting.triage.errors import InvalidInputError
from alerting.triage.exception_draft import (
    ExceptionDraft,
    draft_for,
    rule_exception,
    sigma_literal,
)
from alerting.triage.exception_service import ExceptionService

from .conftest import (
    RULE,
    SCANNER,
    ClientFor,
    TriageEnv,
    make_alert,
    scanner_rules,
    seed_scanner_alerts,
)

TODAY = date(2026, 11, 28)
TODAY_TIME = datetime(2026, 11, 28, 3, tzinfo=UTC)


def _form(csrf: str, **fields: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf,
        "id": "soc-scanner",
        "rules": RULE,
        "owner": "soc@hanoi.gov.vn",
        "reason": "Máy quét lỗ hổng được phép của SOC",
        "expires": (date.today() + timedelta(days=30)).isoformat(),
        "days": "7",
        "field": ["source.ip"],
        "value:source.ip": SCANNER,
    }
    form.update(fields)
    return form


# --- the draft --------------------------------------------------------------------------------
def test_match_values_are_literal_in_sigma() -> None:
    assert sigma_literal(r"web-*?\x") == r"web-\*\?\\x"


def test_the_draft_is_pre_filled_from_the_alert() -> None:
    alert = make_alert(
        "a1",
        TODAY_TIME,
        rule_id=RULE,
        snapshot={"host.name": "Web-01", "user.name": "lan", "source.ip": SCANNER, "x": 1},
    )
    draft = draft_for(alert, "Người dùng author", TODAY)
    assert draft.rules == [RULE]
    assert draft.match == {"host.name": "Web-01", "user.name": "lan", "source.ip": SCANNER}
    assert draft.owner == "Người dùng author" and draft.expires == TODAY + timedelta(days=90)
    assert ExceptionDraft.model_validate(draft.model_dump() | {"reason": "x"}).id == draft.id


def test_expiry_must_be_ahead_and_within_a_year() -> None:
    base: dict[str, Any] = {
        "id": "x",
        "rules": [RULE],
        "owner": "o",
        "reason": "r",
        "match": {"user.name": "a"},
    }
    for expires in (TODAY - timedelta(days=1), TODAY + timedelta(days=400)):
        with pytest.raises(InvalidInputError):
            rule_exception(ExceptionDraft(expires=expires, **base), TODAY)


# --- the pages --------------------------------------------------------------------------------
def test_the_form_is_for_rule_authors_and_pre_filled(
    seeded: TriageEnv, client_for: ClientFor
) -> None:
    analyst, _ = client_for("analyst")
    assert analyst.get("/alerts/scan1/exception").status_code == 403
    assert 'id="create-exception"' not in analyst.get("/alerts/scan1").text
    author, _ = client_for("author")
    assert 'id="create-exception"' in author.get("/alerts/scan1").text
    page = author.get("/alerts/scan1/exception")
    assert page.status_code == 200
    for text in (RULE, f'value="{SCANNER}"', 'value="svc_scan"', 'value="web-01"'):
        assert text in page.text
    assert 'id="ex-save"' not in page.text  # no saving before a preview


def test_preview_then_save_writes_the_exception_detection_loads(
    seeded: TriageEnv, client_for: ClientFor
) -> None:
    author, csrf = client_for("author")
    preview = author.post("/alerts/scan1/exception/preview", data=_form(csrf))
    assert preview.status_code == 200, preview.text
    assert 'data-suppressed="3"' in preview.text and 'id="ex-save"' in preview.text
    assert 'id="ex-close"' not in preview.text  # rule authors do not close alerts
    fingerprint = preview.text.split('name="fingerprint" value="')[1].split('"')[0]

    # Changed after the preview: shown again with its new impact, not saved.
    changed = author.post(
        "/alerts/scan1/exception", data=_form(csrf, days="1", fingerprint=fingerprint)
    )
    assert changed.status_code == 200 and 'id="exception-error"' in changed.text
    exceptions_dir = seeded.tmp_path / "rules" / "exceptions"
    assert not (exceptions_dir / "soc-scanner.yml").exists()

    saved = author.post("/alerts/scan1/exception", data=_form(csrf, fingerprint=fingerprint))
    assert saved.status_code == 303
    assert saved.headers["location"] == "/alerts/scan1?notice=done_exception"
    [loaded] = load_suppressions(exceptions_dir).suppressions
    assert loaded.suppression.id == "soc-scanner" and loaded.suppression.rules == [RULE]
    assert loaded.suppression.match == {"source.ip": SCANNER}
    [entry] = seeded.triage.list_audit(actor="author", limit=1)
    assert entry.action == "exception.create" and entry.after is not None
    assert entry.after["would_have_suppressed"] == 3 and entry.after["alert_id"] == "scan1"
    untouched = seeded.store.get_alert("scan1")
    assert untouched is not None and untouched.status.value == "new"

    again = author.post("/alerts/scan1/exception", data=_form(csrf, fingerprint=fingerprint))
    assert again.status_code == 409 and "exception_exists" not in again.text


def test_a_wildcard_in_the_logs_matches_only_itself(
    seeded: TriageEnv, client_for: ClientFor
) -> None:
    author, csrf = client_for("author")
    form = _form(csrf, field=["host.name"], **{"value:host.name": "*"})
    preview = author.post("/alerts/star/exception/preview", data=form)
    assert 'data-suppressed="1"' in preview.text  # "star" only, not every web-01 alert


def test_an_admin_saves_and_closes_as_false_positive(
    seeded: TriageEnv, client_for: ClientFor
) -> None:
    admin, csrf = client_for("admin")
    preview = admin.post("/alerts/scan2/exception/preview", data=_form(csrf))
    fingerprint = preview.text.split('name="fingerprint" value="')[1].split('"')[0]
    saved = admin.post(
        "/alerts/scan2/exception", data=_form(csrf, fingerprint=fingerprint, close="1")
    )
    assert saved.headers["location"] == "/alerts/scan2?notice=done_exception_closed"
    alert = seeded.store.get_alert("scan2")
    assert alert is not None and alert.close_reason == "false_positive"
    [comment] = seeded.triage.list_comments("scan2")
    assert comment.text.startswith("Exception soc-scanner:")


# --- the API ----------------------------------------------------------------------------------
def _api(client: TestClient, csrf: str, path: str, body: dict[str, object]) -> Any:
    return client.post(path, json=body, headers={"X-CSRF-Token": csrf})


def test_the_api_drafts_previews_and_creates(seeded: TriageEnv, client_for: ClientFor) -> None:
    author, csrf = client_for("author")
    draft = author.get("/api/v1/alerts/scan3/exception/draft").json()
    assert draft["rules"] == [RULE] and draft["match"]["source.ip"] == SCANNER
    body = {
        "id": "api-scanner",
        "rules": [RULE],
        "owner": "soc",
        "reason": "scanner",
        "expires": (date.today() + timedelta(days=10)).isoformat(),
        "match": {"source.ip": SCANNER},
        "days": 7,
    }
    preview = _api(author, csrf, "/api/v1/alerts/scan3/exception/preview", body)
    assert preview.json()["suppressed"] == 3
    unknown = _api(
        author, csrf, "/api/v1/alerts/scan3/exception/preview", body | {"rules": ["nope"]}
    )
    assert unknown.json()["error"]["code"] == "exception_unknown_rule"
    closing = _api(author, csrf, "/api/v1/alerts/scan3/exception", body | {"close": True})
    assert closing.status_code == 403
    created = _api(author, csrf, "/api/v1/alerts/scan3/exception", body)
    assert created.status_code == 201
    assert created.json()["file"] == "api-scanner.yml"
    assert created.json()["impact"]["suppressed"] == 3


@pytest.mark.integration
def test_the_preview_counts_the_same_on_elasticsearch(env: TriageEnv) -> None:
    from canhgac.store.elasticsearch.store import ElasticsearchStore

    from .test_triage_store_contract import es_config

    store = ElasticsearchStore(es_config())
    try:
        seed_scanner_alerts(store, env.clock.now)
        detection = scanner_rules(env.tmp_path / "rules")
        actions = TriageActions(store, env.triage, assign_channel=None, clock=env.clock)
        service = ExceptionService(store, env.triage, actions, detection, env.clock)
        draft = service.draft(service.alert("scan1"), "soc").model_copy(update={"reason": "x"})
        only_scanner = draft.model_copy(update={"match": {"source.ip": SCANNER}, "days": 7})
        assert service.preview(only_scanner).suppressed == 3
        star = draft.model_copy(update={"match": {"host.name": "*"}, "days": 7})
        assert service.preview(star).suppressed == 1
    finally:
        store.delete_indices()
        store.close()
