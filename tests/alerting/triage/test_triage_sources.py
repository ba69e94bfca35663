"""The data sources pages and API over a real SQLite store holding the health scenario (one
healthy, one silent, one not-understood, one clock-skewed source, a sequence gap and dead
letters), judged an hour after the trouble began; hostile names and lines stay text."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from alerting.triage.app import create_app
from alerting.triage.sources import source_id
from canhgac.health.model import SourceKey
from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore

from .conftest import (
    HOSTILE_KEY,
    HOSTILE_LINE,
    HOSTILE_SOURCE,
    SCENARIO_KEYS,
    ClientFor,
    TriageEnv,
    login,
)
from .html_tree import Node, parse

DB01 = SCENARIO_KEYS[1]
#: The list, worst first: key, overall status, then (status, numbers) of live, complete,
#: correct and clean, as the Vietnamese page shows them.
EXPECTED_VI = [
    (
        "syslog-tcp / 10.0.0.12 / ?",
        "failing",
        [
            ("unknown", "Chưa rõ chưa thấy sự kiện 0.0 sự kiện/phút"),
            ("ok", "Tốt nhận 8 · lưu 0 · loại 8"),
            ("ok", "Tốt hiểu được — lệch giờ —"),
            ("failing", "Có vấn đề bị loại 100 % chưa phân tích —"),
        ],
    ),
    (
        "syslog-tcp / ecab-db01 / system.auth",
        "failing",
        [
            ("ok", "Tốt 5 phút trước 0.5 sự kiện/phút"),
            ("ok", "Tốt nhận 30 · lưu 30 · loại 0"),
            ("failing", "Có vấn đề hiểu được 0 % lệch giờ +1 giây"),
            ("ok", "Tốt bị loại 0 % chưa phân tích 0 %"),
        ],
    ),
    (
        "syslog-tcp / ecab-log01 / system.auth",
        "failing",
        [
            ("unknown", "Chưa rõ 52 phút trước 0.1 sự kiện/phút"),
            ("failing", "Có vấn đề nhận 8 · lưu 8 · loại 0 thiếu 2 số thứ tự"),
            ("ok", "Tốt hiểu được 100 % lệch giờ +1 giây"),
            ("ok", "Tốt bị loại 0 % chưa phân tích 0 %"),
        ],
    ),
    (
        "syslog-tcp / ecab-mail01 / system.auth",
        "failing",
        [
            ("failing", "Có vấn đề 63 phút trước 0.0 sự kiện/phút"),
            ("ok", "Tốt nhận 60 · lưu 60 · loại 0"),
            ("ok", "Tốt hiểu được 100 % lệch giờ +1 giây"),
            ("ok", "Tốt bị loại 0 % chưa phân tích 0 %"),
        ],
    ),
    (
        "syslog-udp / ecab-app01 / system.auth",
        "failing",
        [
            ("ok", "Tốt 21 phút trước 0.4 sự kiện/phút"),
            ("ok", "Tốt nhận 22 · lưu 22 · loại 0"),
            ("failing", "Có vấn đề hiểu được 100 % lệch giờ +20 phút"),
            ("ok", "Tốt bị loại 0 % chưa phân tích 0 %"),
        ],
    ),
    (
        "syslog-tcp / ecab-web01 / system.auth",
        "ok",
        [
            ("ok", "Tốt 4 phút trước 1.0 sự kiện/phút"),
            ("ok", "Tốt nhận 60 · lưu 60 · loại 0 thiếu 0 số thứ tự"),
            ("ok", "Tốt hiểu được 100 % lệch giờ +2 giây"),
            ("ok", "Tốt bị loại 0 % chưa phân tích 0 %"),
        ],
    ),
]


def rows_of(page: Node) -> list[tuple[str, str, list[tuple[str, str]]]]:
    return [
        (
            row.find("a", "source-link").text(),
            row.attrs["data-status"],
            [(cell.attrs["data-status"], cell.text()) for cell in row.find_all("td", "q")],
        )
        for row in page.find_all("tr", "source-row")
    ]


def counts_of(page: Node) -> dict[str, str]:
    box = page.find("ul", "health-counts")
    return {li.attrs["data-status"]: li.find("span", "count").text() for li in box.find_all("li")}


def get_page(client: TestClient, path: str) -> Node:
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return parse(answer.text)


# --- the list ---------------------------------------------------------------------------------
def test_every_source_worst_first_with_its_four_qualities(
    health_env: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, "/sources")
    assert page.find("h1").text() == "Nguồn dữ liệu"
    assert rows_of(page) == EXPECTED_VI
    assert counts_of(page) == {"failing": "5", "degraded": "0", "unknown": "0", "ok": "1"}
    mail = page.find("tr", "source-row", data_source_id=source_id(SCENARIO_KEYS[3]))
    assert mail.find("span", "judged").text() == "số liệu của giờ 09:00"  # silent since 10:00
    assert [a.attrs["href"] for a in page.find_all("a", "source-link")] == [
        f"/sources/{source_id(key)}" for key in SCENARIO_KEYS
    ]


def test_the_sparkline_draws_the_last_24_hours(
    health_env: TriageEnv, client_for: ClientFor
) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, "/sources")
    db01 = page.find("tr", "source-row", data_source_id=source_id(DB01)).find("svg", "spark")
    hours = db01.find_all("g", "spark-hour")
    assert len(hours) == 24
    assert hours[0].attrs["data-hour"] == "2026-03-09T04:00:00.000000Z"
    assert [h.attrs["data-events"] for h in hours[-5:]] == ["0", "30", "30", "30", "30"]
    segments = [
        [(r.attrs["class"], r.attrs["height"]) for r in h.find_all("rect")[1:]] for h in hours[-2:]
    ]
    # 30 records fill the 27 pixels above the base line; hour H's were not understood.
    assert segments == [[("seg-understood", "27.0")], [("seg-not-understood", "27.0")]]
    assert hours[0].find_all("rect")[1:] == []
    assert hours[-1].find("title").text(skip=lambda n: False) == (
        "2026-03-10 10:00: 30 sự kiện (0 hiểu được), 0 bị loại"
    )
    dead = page.find("tr", "source-row", data_source_id=source_id(SCENARIO_KEYS[0]))
    last = dead.find_all("g", "spark-hour")[-1]
    assert [(r.attrs["class"], r.attrs["height"]) for r in last.find_all("rect")[1:]] == [
        ("seg-dead-letter", "27.0")
    ]


def test_the_list_in_english(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("ops")  # operations see the sources too
    page = get_page(client, "/sources?lang=en")
    assert page.find("h1").text() == "Data sources"
    heads = [th.children[0] for th in page.find_all("th", "col-q")]
    assert heads == ["Live", "Complete", "Correct", "Clean"]
    rows = rows_of(page)
    assert rows[1] == (
        "syslog-tcp / ecab-db01 / system.auth",
        "failing",
        [
            ("ok", "OK 5 min ago 0.5 events/min"),
            ("ok", "OK 30 in · 30 stored · 0 dead"),
            ("failing", "Failing 0 % understood clock skew +1 s"),
            ("ok", "OK 0 % dead letters 0 % raw"),
        ],
    )
    assert rows[4][2][2] == ("failing", "Failing 100 % understood clock skew +20 min")
    assert counts_of(page) == {"failing": "5", "degraded": "0", "unknown": "0", "ok": "1"}


def test_the_overview_sums_up_the_sources(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, "/overview")
    section = page.find("section", id="data-sources")
    assert section.find("h2").text() == "Sức khỏe nguồn dữ liệu"
    assert counts_of(section) == {"failing": "5", "degraded": "0", "unknown": "0", "ok": "1"}
    assert section.find("a", id="sources-link").attrs["href"] == "/sources"
    assert page.find("a", id="nav-sources").attrs["href"] == "/sources"
    english = get_page(client, "/overview?lang=en").find("section", id="data-sources")
    assert english.find("h2").text() == "Data source health"


def test_with_no_health_figures_yet_the_page_says_so(env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, "/sources")
    assert page.find_all("tr", "source-row") == []
    assert "chưa tính giờ nào" in page.find("td", "empty").text()
    assert counts_of(get_page(client, "/overview")) == {
        "failing": "0",
        "degraded": "0",
        "unknown": "0",
        "ok": "0",
    }


class _NoHealthStore(SQLiteStore):
    def health(self):  # type: ignore[no-untyped-def]  # the base's NotImplementedError
        raise NotImplementedError("no health here")


def test_a_store_without_health_figures_answers_unavailable(env: TriageEnv) -> None:
    store = _NoHealthStore(env.tmp_path / "canhgac.db")
    app = create_app(store, env.triage, env.settings, clock=env.clock, passwords=env.passwords)
    try:
        with TestClient(app, follow_redirects=False) as client:
            login(client, "analyst")
            assert client.get("/sources").status_code == 503
            answer = client.get("/api/v1/sources")
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "store_unavailable"
            overview = client.get("/overview")
            assert overview.status_code == 200 and 'id="data-sources"' not in overview.text
    finally:
        store.close()


# --- one source -------------------------------------------------------------------------------
def test_the_not_understood_source_in_depth(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, f"/sources/{source_id(DB01)}")
    assert page.find("h1").text() == "syslog-tcp / ecab-db01 / system.auth"
    assert page.find("dd", id="source-status").attrs["data-status"] == "failing"
    verdicts = {
        a.attrs["data-quality"]: a.attrs["data-status"] for a in page.find_all("article", "verdict")
    }
    assert verdicts == {"live": "ok", "complete": "ok", "correct": "failing", "clean": "ok"}
    reason = page.find("article", "verdict", data_quality="correct").find("p", "reason").text()
    assert reason == (
        "syslog-tcp / ecab-db01 / system.auth: 0 % of lines understood in the last hour (was 100 %)"
    )
    hours = [
        [cell.text() for cell in row.find_all("td")][:5] for row in page.find_all("tr", "hour-row")
    ]
    assert hours == [
        ["2026-03-10 10:00", "30", "0 %", "0", "0"],
        ["2026-03-10 09:00", "30", "100 %", "0", "0"],
        ["2026-03-10 08:00", "30", "100 %", "0", "0"],
        ["2026-03-10 07:00", "30", "100 %", "0", "0"],
    ]
    assert page.find("p", id="quiet-hours").text() == "Ẩn 20 giờ không có bản ghi nào."
    assert len(page.find("div", "chart").find_all("g", "spark-hour")) == 24

    groups = page.find("section", id="dead-letter-reasons").find_all("article", "reason-group")
    assert [(g.find("code").text(), g.attrs["data-count"]) for g in groups] == [
        ("binary data", "6"),
        ("frame exceeds N bytes", "2"),
    ]
    binary = groups[0].find_all("pre")
    assert len(binary) == 3
    # NUL and friends are shown as marked codes, undecodable bytes as U+FFFD.
    assert binary[0].text() == "U+0000U+0001U+0002\ufffd\ufffd" * 8
    assert len(binary[0].find_all("span", "ctl")) == 24
    assert [p.text() for p in groups[1].find_all("pre")] == ["<38>1 " + "A" * 100] * 2

    samples = page.find_all("tr", "sample-row")
    assert len(samples) == 10
    assert samples[0].find("pre").text() == (
        "<38>1 2026-03-10T03:58:09.000000Z ecab-db01 sshd 4242 - -"
        " Phiên đăng nhập mới của nguyễn từ 10.0.0.9 cổng 5555"
    )
    assert [c.text() for c in samples[0].find_all("td")[:2]] == [
        "2026-03-10 10:58:09",
        "2026-03-10 10:58:10",
    ]


def test_its_health_alerts_are_linked(health_env: TriageEnv, client_for: ClientFor) -> None:
    stored = {a.rule_id: a.id for a in health_env.store.list_alerts(AlertFilter(limit=100))}
    client, _ = client_for("analyst")
    page = get_page(client, f"/sources/{source_id(DB01)}")
    rows = page.find("section", id="health-alerts").find_all("tr", "health-alert")
    # Its own (not understood) and its source's (dead letters are judged per source).
    assert sorted((r.attrs["data-alert-id"], r.find("a").attrs["href"]) for r in rows) == sorted(
        (stored[rule], f"/alerts/{stored[rule]}")
        for rule in ("canhgac-health-not-understood", "canhgac-health-dead-letters")
    )
    web = get_page(client, f"/sources/{source_id(SCENARIO_KEYS[5])}")
    web_rows = web.find("section", id="health-alerts").find_all("tr", "health-alert")
    assert [r.attrs["data-alert-id"] for r in web_rows] == [stored["canhgac-health-dead-letters"]]
    # Operations may not open alerts: the titles are shown without links.
    ops, _ = client_for("ops")
    ops_page = get_page(ops, f"/sources/{source_id(DB01)}")
    assert ops_page.find("section", id="health-alerts").find_all("a") == []


def test_the_source_page_in_english(health_env: TriageEnv, client_for: ClientFor) -> None:
    client, _ = client_for("analyst")
    page = get_page(client, f"/sources/{source_id(SCENARIO_KEYS[4])}?lang=en")
    correct = page.find("article", "verdict", data_quality="correct")
    assert correct.find("p", "numbers").text() == "100 % understood clock skew +20 min"
    assert correct.find("h3").text() == "Correct Failing"
    assert page.find("p", id="quiet-hours").text() == "20 hours without any record are left out."
    skew = page.find("tr", "hour-row").find("td", "skew").text()
    assert skew == "+20 min"


@pytest.mark.parametrize(
    "source_id_text",
    [
        source_id(SourceKey(source="syslog-tcp", host="ecab-nowhere", dataset="system.auth")),
        "WyJhIiwiYiJd",  # ["a","b"]: two parts
        "WyJhIiwgImIiLCAiYyJd",  # ["a", "b", "c"]: not the canonical spelling
        "bm90IGpzb24",  # "not json"
        "x",
    ],
)
def test_an_unknown_or_malformed_id_is_not_found(
    health_env: TriageEnv, client_for: ClientFor, source_id_text: str
) -> None:
    client, _ = client_for("analyst")
    assert client.get(f"/sources/{source_id_text}").status_code == 404
    answer = client.get(f"/api/v1/sources/{source_id_text}")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"


# --- hostile content --------------------------------------------------------------------------
SHOWN_SOURCE = HOSTILE_SOURCE.replace("\u202e", "U+202E")
SHOWN_LINE = HOSTILE_LINE.replace("\u202e", "U+202E")


def assert_inert(page: Node) -> None:
    nodes = list(page.walk())
    assert [n.attrs.get("src") for n in nodes if n.tag == "script"] == ["/static/app.js"]
    assert [n.tag for n in nodes if n.tag in ("img", "iframe", "object", "embed", "style")] == []
    assert [n.attrs.get("class") for n in nodes if n.tag == "svg"] == ["spark"] * len(
        [n for n in nodes if n.tag == "svg"]
    )
    assert [(n.tag, a) for n in nodes for a in n.attrs if a.lower().startswith("on")] == []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_hostile_names_and_lines_are_text(
    hostile_health_env: TriageEnv, client_for: ClientFor, lang: str
) -> None:
    client, _ = client_for("analyst")
    listing = client.get(f"/sources?lang={lang}")
    for raw in ("<script>window", "<img src=x", "<svg onload", "\u202e"):
        assert raw not in listing.text
    assert "&lt;script&gt;window.__pwned=&#39;src&#39;&lt;/script&gt;" in listing.text
    page = parse(listing.text)
    assert_inert(page)
    assert len(page.find_all("tr", "source-row")) == 8
    hostile = page.find("tr", "source-row", data_source_id=source_id(HOSTILE_KEY))
    assert hostile.find("a", "source-link").text() == " / ".join([SHOWN_SOURCE] * 3)

    detail = client.get(f"/sources/{source_id(HOSTILE_KEY)}?lang={lang}")
    for raw in ("<script>window", "<img src=x", "<svg onload", "</pre></td><svg", "\u202e"):
        assert raw not in detail.text
    tree = parse(detail.text)
    assert_inert(tree)
    assert tree.find("h1").text() == " / ".join([SHOWN_SOURCE] * 3)
    lines = [pre.text() for pre in tree.find("section", id="not-understood").find_all("pre")]
    assert lines == [f"{SHOWN_LINE} #{i}" for i in (2, 1, 0)]
    group = tree.find("article", "reason-group")
    assert group.attrs["data-count"] == "20"
    assert [pre.text() for pre in group.find_all("pre")] == [f"{SHOWN_LINE}U+0000\ufffd\ufffd"] * 3
    assert SHOWN_SOURCE in tree.find("section", id="dead-letter-reasons").find("h2").text()
