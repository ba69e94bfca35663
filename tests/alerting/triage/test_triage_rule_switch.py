"""Switching rules off and on from the rules page and the API: a reason is required, rule
authors and admins only, every switch audited (before the change), and the rules page and the
overview's schedule show which rules are off."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from alerting.triage.errors import ConflictError, InvalidInputError, NotFoundError
from alerting.triage.rule_catalog import RuleCatalog
from alerting.triage.rule_switch import RuleSwitches
from canhgac.errors import StoreError
from canhgac.models import RuleState, RuleSwitch
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.triage import AuditEntry

from .conftest import ClientFor, TriageEnv
from .test_triage_workspace import ESCAPED, XSS, write_rules

REASON = "Quá nhiều cảnh báo giả từ máy quét của SOC"
ROW = re.compile(r'<tr id="rule-rule-ssh-brute"[^>]*>.*?</tr>', re.S)


def _row(page: str) -> str:
    match = ROW.search(page)
    assert match, "the rule's row is on the page"
    return match.group(0)


def _switch(client: Any, csrf: str, enabled: str, reason: str, rule: str = "rule-ssh-brute") -> Any:
    return client.post(
        f"/rules/{rule}/switch",
        data={"csrf_token": csrf, "enabled": enabled, "reason": reason},
    )


def _rule_audit(env: TriageEnv) -> list[AuditEntry]:
    return [e for e in reversed(env.triage.list_audit()) if e.action.startswith("rule.")]


def test_an_author_disables_and_enables_a_rule_with_a_reason_audited(
    env: TriageEnv, client_for: ClientFor
) -> None:
    write_rules(env)
    client, csrf = client_for("author")
    assert 'data-enabled="true"' in _row(client.get("/rules").text)

    answer = _switch(client, csrf, "0", f"  {REASON} {XSS}  ")

    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/rules?notice=done_rule_disabled#rule-")
    switch = env.store.get_rule_switches(["rule-ssh-brute"])["rule-ssh-brute"]
    assert (switch.enabled, switch.actor, switch.reason) == (False, "author", f"{REASON} {XSS}")
    assert switch.changed_at == env.clock().isoformat().replace("+00:00", ".000000Z")
    page = client.get(answer.headers["location"]).text
    row = _row(page)
    assert 'data-enabled="false"' in row and "rule-disabled" in row and "Đã tắt" in row
    assert XSS not in page and ESCAPED in row and REASON in row
    assert 'value="1"' in row and ">Bật<" in row  # the form now switches it back on
    assert 'id="notice"' in page

    env.clock.advance(timedelta(hours=2))
    _switch(client, csrf, "1", "Đã thêm ngoại lệ cho máy quét")

    assert env.store.get_rule_switches(["rule-ssh-brute"])["rule-ssh-brute"].enabled
    disable, enable = _rule_audit(env)
    assert (disable.action, disable.actor, disable.target) == (
        "rule.disable",
        "author",
        "rule:rule-ssh-brute",
    )
    assert disable.before == {"enabled": True}
    assert disable.after is not None and disable.after["reason"] == f"{REASON} {XSS}"
    assert disable.after["title"] == "Dò mật khẩu SSH <b>brute</b>"
    assert disable.source_ip == "testclient"
    assert enable.action == "rule.enable" and enable.before == switch.model_dump(mode="json")
    assert enable.after is not None and enable.after["enabled"] is True
    # The admin's audit page lists both.
    admin, _ = client_for("admin")
    audit = admin.get("/audit").text
    assert "rule.disable" in audit and "rule.enable" in audit


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_switch_without_a_proper_reason_changes_nothing(
    env: TriageEnv, client_for: ClientFor, reason: str
) -> None:
    write_rules(env)
    client, csrf = client_for("admin")
    answer = _switch(client, csrf, "0", reason)
    assert answer.headers["location"].startswith("/rules?notice=rule_reason")
    assert env.store.get_rule_switches(["rule-ssh-brute"]) == {}
    assert _rule_audit(env) == []
    page = client.get(answer.headers["location"]).text
    assert "Hãy nhập lý do" in page


def test_switching_a_rule_to_its_state_is_refused(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    client, csrf = client_for("author")
    assert "notice=rule_already_enabled" in _switch(client, csrf, "1", REASON).headers["location"]
    _switch(client, csrf, "0", REASON)
    again = _switch(client, csrf, "0", REASON)
    assert "notice=rule_already_disabled" in again.headers["location"]
    assert [e.action for e in _rule_audit(env)] == ["rule.disable"]


def test_an_unknown_rule_is_a_404(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    client, csrf = client_for("author")
    assert _switch(client, csrf, "0", REASON, rule="nope").status_code == 404
    assert _switch(client, csrf, "yes", REASON).status_code == 422  # only 0 or 1
    assert _rule_audit(env) == []


@pytest.mark.parametrize("username", ["analyst", "ops"])
def test_only_rule_authors_and_admins_switch_rules(
    env: TriageEnv, client_for: ClientFor, username: str
) -> None:
    write_rules(env)
    client, csrf = client_for(username)
    assert 'class="rule-switch"' not in client.get("/rules").text
    assert _switch(client, csrf, "0", REASON).status_code == 403
    assert env.store.get_rule_switches(["rule-ssh-brute"]) == {}


def test_a_switch_without_the_csrf_token_is_refused(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    client, _ = client_for("author")
    assert _switch(client, "forged", "0", REASON).status_code == 403
    assert env.store.get_rule_switches(["rule-ssh-brute"]) == {}


def test_the_api_lists_and_switches_rules(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    client, csrf = client_for("author")
    headers = {"X-CSRF-Token": csrf}
    [listed] = client.get("/api/v1/rules").json()
    assert (listed["rule_id"], listed["enabled"], listed["switch"]) == (
        "rule-ssh-brute",
        True,
        None,
    )

    off = client.post(
        "/api/v1/rules/rule-ssh-brute/disable", json={"reason": REASON}, headers=headers
    )
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert client.get("/api/v1/rules").json()[0]["switch"]["reason"] == REASON
    twice = client.post(
        "/api/v1/rules/rule-ssh-brute/disable", json={"reason": REASON}, headers=headers
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "rule_already_disabled"
    empty = client.post("/api/v1/rules/rule-ssh-brute/enable", json={"reason": ""}, headers=headers)
    assert empty.status_code == 422
    unknown = client.post("/api/v1/rules/nope/enable", json={"reason": REASON}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "rule_unknown"
    on = client.post("/api/v1/rules/rule-ssh-brute/enable", json={"reason": "ok"}, headers=headers)
    assert on.status_code == 200 and on.json()["enabled"] is True
    analyst, analyst_csrf = client_for("analyst")
    refused = analyst.post(
        "/api/v1/rules/rule-ssh-brute/disable",
        json={"reason": REASON},
        headers={"X-CSRF-Token": analyst_csrf},
    )
    assert refused.status_code == 403


def test_the_overview_schedule_marks_a_disabled_rule(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    env.store.save_rule_states(
        [RuleState(rule_id="rule-ssh-brute", watermark="2026-12-01T00:00:00.000000Z")]
    )
    client, csrf = client_for("admin")
    _switch(client, csrf, "0", REASON)
    detection = client.get("/overview").text.split('id="detection"', 1)[1]
    brute = detection.split("rule-ssh-brute", 1)[1].split("</tr>", 1)[0]
    assert "rule-disabled-mark" in brute and "đã tắt" in brute
    # A disabled rule trails on purpose: listed after the rules that should be running.
    assert detection.index("rule-never-run") < detection.index("rule-ssh-brute")


def test_the_rules_page_links_each_rules_tests(env: TriageEnv, client_for: ClientFor) -> None:
    write_rules(env)
    client, _ = client_for("analyst")
    assert "tests-link" not in _row(client.get("/rules").text)
    tests = env.tmp_path / "rules" / "ssh.tests.yml"
    tests.write_text("must_fire:\n  - event.action: failed <b>\n", encoding="utf-8")
    row = _row(client.get("/rules").text)
    assert 'href="/rules/rule-ssh-brute/tests"' in row
    page = client.get("/rules/rule-ssh-brute/tests").text
    assert "event.action: failed &lt;b&gt;" in page and "ssh.tests.yml" in page
    assert client.get("/rules/nope/tests").status_code == 404
    tests.unlink()
    assert client.get("/rules/rule-ssh-brute/tests").status_code == 404


# --- the service: ordering of audit and store ---------------------------------------------------
class _FailingSwitchStore(SQLiteStore):
    def save_rule_switch(self, switch: RuleSwitch) -> None:
        raise StoreError("the store is down")


class _Audit:
    """A triage store stand-in that fails to record."""

    def record(self, record: Any) -> None:
        raise StoreError("audit store is down")


def _catalog(env: TriageEnv) -> RuleCatalog:
    write_rules(env)
    return RuleCatalog(env.tmp_path / "rules", timedelta(minutes=1))


def test_no_switch_is_stored_unaudited(env: TriageEnv) -> None:
    switches = RuleSwitches(env.store, _Audit(), _catalog(env), env.clock)  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="audit"):
        switches.switch("lan", "rule-ssh-brute", enabled=False, reason=REASON)
    assert env.store.get_rule_switches(["rule-ssh-brute"]) == {}


def test_a_switch_the_store_refused_is_audited_as_failed(env: TriageEnv) -> None:
    store = _FailingSwitchStore(env.tmp_path / "failing.db")
    try:
        switches = RuleSwitches(store, env.triage, _catalog(env), env.clock)
        with pytest.raises(StoreError, match="down"):
            switches.switch("lan", "rule-ssh-brute", enabled=False, reason=REASON)
    finally:
        store.close()
    assert [e.action for e in _rule_audit(env)] == ["rule.disable", "rule.disable.failed"]


def test_service_errors(env: TriageEnv) -> None:
    switches = RuleSwitches(env.store, env.triage, _catalog(env), env.clock)
    with pytest.raises(NotFoundError):
        switches.switch("lan", "nope", enabled=False, reason=REASON)
    with pytest.raises(InvalidInputError):
        switches.switch("lan", "rule-ssh-brute", enabled=False, reason="\n\t ")
    with pytest.raises(ConflictError):
        switches.switch("lan", "rule-ssh-brute", enabled=True, reason=REASON)
    # A lone surrogate is replaced, never stored as is (no store can encode it).
    stored = switches.switch("lan", "rule-ssh-brute", enabled=False, reason="a\ud800b")
    assert stored.reason == "a\ufffdb"


def test_the_catalog_finds_rules_by_id_file_or_title(env: TriageEnv) -> None:
    catalog = _catalog(env)
    by: dict[str, Sequence[str]] = {
        "rule-ssh-brute": ["rule-ssh-brute"],
        "ssh.yml": ["rule-ssh-brute"],
        str(env.tmp_path / "rules" / "ssh.yml"): ["rule-ssh-brute"],
        "  dò MẬT khẩu ssh   <b>brute</b> ": ["rule-ssh-brute"],
        "nothing": [],
    }
    for reference, ids in by.items():
        assert [info.rule_id for info in catalog.find(reference)] == ids, reference
