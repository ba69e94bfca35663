"""Security headers, template hygiene, languages and time display."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alerting.triage.actions import BulkAction
from alerting.triage.app import create_app
from alerting.triage.handlers import _KNOWN_PAGE_CODES
from alerting.triage.headers import CONTENT_SECURITY_POLICY
from alerting.triage.i18n import CATALOGUES, DEFAULT_LANGUAGE, Translator
from alerting.triage.render import Pages, literal, local_time
from alerting.triage.situation import TACTICS, ChartRange
from canhgac.assets.model import Criticality
from canhgac.assets.priority import BANDS
from canhgac.errors import StoreError
from canhgac.health.model import Quality
from canhgac.health.model import Status as HealthStatus
from canhgac.models import Alert, AlertSort, AlertStatus, Severity
from canhgac.store.incidents import IncidentStatus
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.triage import CloseReason, Role

from .conftest import ClientFor, TriageEnv, login, make_alert

TEMPLATES = Path(__file__).resolve().parents[3] / "alerting" / "triage" / "templates"
STATIC = TEMPLATES.parent / "static"


def test_the_policy_forbids_inline_scripts_and_framing() -> None:
    directives = dict(d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/alerts", "/static/app.js", "/login", "/nowhere", "/api/v1/alerts", "/api/v1/x"]
)
def test_every_kind_of_response_carries_the_security_headers(
    client_for: ClientFor, path: str
) -> None:
    client, _ = client_for("analyst")
    answer = client.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-frame-options"] == "DENY"
    if not path.startswith("/static/"):
        assert answer.headers["cache-control"] == "no-store"


def test_templates_have_no_inline_script_style_or_escaping_escape_hatch() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert re.search(r'src="/static/[\w.]+"', tag), (template.name, tag)
        assert re.search(r"<script\b[^>]*>\s*[^<\s]", text) is None, template.name
        assert re.search(r"\son[a-z]+\s*=", text) is None, template.name
        assert re.search(r"\sstyle\s*=|<style", text) is None, template.name
        assert "|safe" not in text and "autoescape false" not in text, template.name
        assert "javascript:" not in text.lower(), template.name


def test_static_script_builds_no_html_from_strings() -> None:
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    # The only HTML it inserts is the server-rendered (escaped) queue fragment.
    assert script.count("innerHTML") == 1
    for banned in ("eval(", "new Function", "document.write", "insertAdjacentHTML"):
        assert banned not in script


def test_autoescape_is_on_for_every_template() -> None:
    env = Pages().env
    for name in env.list_templates():
        assert env.autoescape is True or env.autoescape(name), name
    rendered = env.from_string("{{ v }}").render(v="<b onmouseover=x>")
    assert rendered == "&lt;b onmouseover=x&gt;"


def test_literal_escapes_and_reveals_invisible_characters() -> None:
    shown = str(literal("a<b>\u202egnp.exe\u200b\x07"))
    assert "<b>" not in shown and "&lt;b&gt;" in shown
    assert "\u202e" not in shown and "\u200b" not in shown and "\x07" not in shown
    assert shown.count('class="ctl"') == 3
    assert "U+202E" in shown and "U+200B" in shown and "U+0007" in shown
    assert str(literal("Nguyễn Văn A\n\tok")) == "Nguyễn Văn A\n\tok"


def test_times_are_shown_in_hanoi_with_the_zone() -> None:
    shown = str(local_time("2026-11-27T17:30:00.000000Z"))
    assert "2026-11-28 00:30:00" in shown and "UTC+07:00" in shown
    assert 'datetime="2026-11-27T17:30:00.000000Z"' in shown
    assert str(local_time("<not a time>")) == "&lt;not a time&gt;"


# --- languages ------------------------------------------------------------------------------
def test_catalogues_have_the_same_keys_and_placeholders() -> None:
    reference = CATALOGUES[DEFAULT_LANGUAGE]
    formatter = string.Formatter()
    for lang, messages in CATALOGUES.items():
        assert set(messages) == set(reference), lang
        for key, text in messages.items():
            fields = {f for _, f, _, _ in formatter.parse(text) if f}
            assert fields == {f for _, f, _, _ in formatter.parse(reference[key]) if f}, key
            assert text.strip(), (lang, key)


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\('([\w.]+)'\s*[,)]""", text))
    families = {
        "severity": [s.value for s in Severity],
        "status": [s.value for s in AlertStatus],
        "reason": [r.value for r in CloseReason],
        "role": [r.value for r in Role],
        "sort": [s.value for s in AlertSort],
        "action": [a.value for a in BulkAction] + ["comment"],
        "delivery": ["pending", "sent", "failed"],
        "error": list(_KNOWN_PAGE_CODES),
        "http": ["400", "401", "403", "404", "405", "409", "413", "422", "429", "500", "503"],
        "notice": [
            "done_acknowledge", "done_assign", "done_comment", "done_close", "done_reopen",
            "done_bulk", "not_new", "closed", "not_closed", "unknown_assignee", "invalid_input",
            "done_exception", "done_exception_closed", "done_user_add", "done_user_change",
            "done_token_issue", "done_token_revoke", "user_exists", "last_admin", "not_found",
            "token_expiry", "done_rule_disabled", "done_rule_enabled", "rule_reason",
            "rule_already_disabled", "rule_already_enabled",
        ],
        "login": ["invalid", "throttled", "busy"],
        "password": ["mismatch", "wrong_current", "same", "invalid"],
        "quality": [q.value for q in Quality],
        "quality_hint": [q.value for q in Quality],
        "health": [s.value for s in HealthStatus],
        "tactic": list(TACTICS),
        "chart": [f"range_{r.name}" for r in ChartRange],
        "criticality": [c.value for c in Criticality],
        "asset_role": ["host", "source", "destination"],
        "priority_band": [name for _, name in BANDS],
        # incidents (alerting.triage.incident_actions, web.incidents)
        "incident_status": [s.value for s in IncidentStatus],
        "incident_action": [
            "create", "add_alerts", "assign", "status", "severity", "comment", "task_add",
            "task_done", "task_undone", "close", "reopen", "escalate",
        ],
    }  # fmt: skip
    families["notice"] += [
        "done_incident_create", "done_incident_add_alerts", "done_incident_assign",
        "done_incident_status", "done_incident_severity", "done_incident_task",
        "done_incident_close", "done_incident_reopen", "no_incident", "no_alerts",
        "incident_full", "busy", "done_incident_escalate", "escalation_failed",
        "unknown_channel",
    ]  # fmt: skip
    keys |= {f"{family}.{value}" for family, values in families.items() for value in values}
    return keys


def test_every_key_in_use_is_in_the_catalogues() -> None:
    used = _used_keys()
    assert len(used) > 100
    for lang, messages in CATALOGUES.items():
        assert used - set(messages) == set(), lang


def test_no_catalogue_key_is_unused() -> None:
    assert set(CATALOGUES[DEFAULT_LANGUAGE]) - _used_keys() == set()


def test_vietnamese_by_default_english_on_request_and_remembered(client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts")
    assert '<html lang="vi">' in page.text and "Hàng đợi cảnh báo" in page.text
    english = client.get("/alerts?lang=en&status=new")
    assert '<html lang="en">' in english.text and "Alert queue" in english.text
    assert "canhgac_lang=en" in english.headers["set-cookie"]
    assert "SameSite=Strict" in english.headers["set-cookie"]
    assert "Alert queue" in client.get("/alerts").text  # the cookie keeps it
    assert "Hàng đợi cảnh báo" in client.get("/alerts?lang=vi").text
    assert "Hàng đợi cảnh báo" in client.get("/alerts?lang=xx").text
    switch = re.search(r'href="([^"]+)"[^>]*id="lang-en"', page.text)
    assert switch and "lang=en" in switch.group(1)


def test_the_language_switch_keeps_the_filters(client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = client.get("/alerts?host=web-01&severity=high")
    link = re.search(r'href="([^"]+)"[^>]*id="lang-en"', page.text)
    assert link
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith("/alerts?") and "host=web-01" in href and "severity=high" in href


def test_translator_formats_and_falls_back_to_vietnamese() -> None:
    assert Translator("en")("overview.days", days=7) == "7 days"
    assert Translator("fr").lang == "vi"


def test_translated_messages_escape_their_values_but_keep_markup() -> None:
    t = Translator("en")
    assert t("queue.updated", time="<b>") == "Updated &lt;b&gt;"
    shown = t("queue.updated", time=local_time("2026-11-27T17:30:00.000000Z"))
    assert shown.startswith('Updated <time datetime="2026-11-27T17:30:00.000000Z">')
    assert t("alert.tags") == "Tags (ATT&amp;CK)"


def test_the_alert_page_shows_times_in_hanoi(env: TriageEnv, client_for: ClientFor) -> None:
    seen = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)
    env.add_alert(make_alert("a1", seen))
    client, _ = client_for("analyst")
    page = client.get("/alerts/a1").text
    assert "2026-11-28 00:30:00" in page and "UTC+07:00" in page
    assert "Asia/Ho_Chi_Minh" in page


class _FailingStore(SQLiteStore):
    """get_alert fails: with a bug (RuntimeError) for id "bug", unavailable for "down"."""

    def get_alert(self, alert_id: str) -> Alert | None:
        if alert_id == "bug":
            raise RuntimeError("a bug")
        if alert_id == "down":
            raise StoreError("connection refused")
        return super().get_alert(alert_id)


def test_failures_answer_with_the_error_body_and_keep_the_headers(env: TriageEnv) -> None:
    store = _FailingStore(env.tmp_path / "canhgac.db")
    app = create_app(store, env.triage, env.settings, clock=env.clock, passwords=env.passwords)
    try:
        with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
            login(client, "analyst")
            for path, status, code in [
                ("/api/v1/alerts/bug", 500, "internal"),
                ("/api/v1/alerts/down", 503, "store_unavailable"),
            ]:
                answer = client.get(path)
                assert answer.status_code == status
                assert answer.json()["error"]["code"] == code
                assert "a bug" not in answer.text and "refused" not in answer.text
                assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            page = client.get("/alerts/bug")
            assert page.status_code == 500 and "Lỗi hệ thống" in page.text
            assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert page.headers["cache-control"] == "no-store"
    finally:
        store.close()
