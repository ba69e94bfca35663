"""kill -9 in the middle of a stream: every record stored or dead-lettered exactly once, and
detection covers every moment exactly once across the restart."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from canhgac.models import AlertFilter
from canhgac.store.sqlite.store import SQLiteStore
from tests.support.city_traffic import wait_for

from .conftest import Instance

pytestmark = pytest.mark.e2e

FILE_LINES = 3000
HTTP_BATCHES, HTTP_BATCH = 40, 25
ATTACK_EVERY, GARBAGE_EVERY = 100, 250


def _file_line(i: int) -> str:
    if i % GARBAGE_EVERY == 0:
        return f"\x00\xff garbage record {i} <script>alert(1)</script>"
    if i % ATTACK_EVERY == 0:
        ip = f"203.0.113.{i // ATTACK_EVERY}"
        return (
            f'{ip} - - [27/Nov/2026:10:15:32 +0700] "GET /tra-cuu/ho-so?ma={i}%27%20UNION'
            f'%20SELECT%20password%20FROM%20nguoi_dung-- HTTP/1.1" 200 512 "-" "Mozilla/5.0"'
        )
    return (
        f'10.20.3.{i % 200} - - [27/Nov/2026:10:16:00 +0700] "GET /dich-vu-cong/ho-so/{i}'
        f'?ten=Nguy%E1%BB%85n HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"'
    )


def _write_file(path: Path, stop: threading.Event) -> None:
    with path.open("a", encoding="utf-8", errors="surrogateescape") as log:
        for i in range(1, FILE_LINES + 1):
            log.write(_file_line(i) + "\n")
            log.flush()
            if i % 50 == 0:
                time.sleep(0.02)
            if stop.is_set():
                return


def _post_until_accepted(port: int, batch: int) -> None:
    records = [
        {
            "EventTime": "2026-11-27 11:51:00",
            "Hostname": f"ECAB-WS-{batch:03d}",
            "EventID": 4624,
            "Channel": "Security",
            "TargetUserName": f"nguyễn.{batch}.{k}",
        }
        for k in range(HTTP_BATCH)
    ]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/ingest",
        data=body,
        headers={"Content-Type": "application/x-ndjson", "Idempotency-Key": f"batch-{batch}"},
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        # The instance is down or restarting: retry, as a real client would (at-least-once).
        time.sleep(0.2)
    raise AssertionError(f"batch {batch} never accepted")


def _post_all(port: int) -> None:
    for batch in range(HTTP_BATCHES):
        _post_until_accepted(port, batch)
        time.sleep(0.03)


def _counts(db: Path) -> tuple[int, int]:
    store = SQLiteStore(db)
    try:
        return store.count_events(), store.count_dead_letters()
    finally:
        store.close()


def test_kill_9_mid_stream_loses_and_duplicates_nothing(instance: Instance) -> None:
    instance.start()
    stop = threading.Event()
    writer = threading.Thread(target=_write_file, args=(instance.log_file, stop))
    poster = threading.Thread(target=_post_all, args=(instance.http_port,))
    writer.start()
    poster.start()
    wait_for(lambda: sum(_counts(instance.db_path)) > 600, 60, "part of the stream")
    instance.kill()
    time.sleep(0.5)
    instance.start()
    writer.join(timeout=120)
    poster.join(timeout=120)

    garbage = FILE_LINES // GARBAGE_EVERY
    total = FILE_LINES + HTTP_BATCHES * HTTP_BATCH
    wait_for(lambda: sum(_counts(instance.db_path)) >= total, 120, "the whole stream")
    time.sleep(1.0)  # anything extra (a duplicate) would land now
    events, dead = _counts(instance.db_path)
    assert dead == garbage
    assert events == total - garbage

    attacks = {
        f"203.0.113.{i // ATTACK_EVERY}"
        for i in range(ATTACK_EVERY, FILE_LINES + 1, ATTACK_EVERY)
        if i % GARBAGE_EVERY
    }

    def sqli_alerts() -> dict[str, int]:
        store = SQLiteStore(instance.db_path)
        try:
            found = store.list_alerts(AlertFilter(limit=1000))
        finally:
            store.close()
        return {
            str(a.group_key.get("source.ip")): a.count
            for a in found
            if Path(a.rule_path).stem == "web_sql_injection"
        }

    wait_for(lambda: set(sqli_alerts()) == attacks, 90, "one alert per attacking address")
    assert set(sqli_alerts().values()) == {1}

    instance.stop()
    store = SQLiteStore(instance.db_path)
    try:
        runs = store.list_rule_runs()
    finally:
        store.close()
    by_rule: dict[str, list[tuple[str, str]]] = {}
    for run in runs:
        by_rule.setdefault(run.rule_id, []).append((run.window_start, run.window_end))
    assert by_rule, "detection never completed a window"
    for rule_id, windows in by_rule.items():
        windows.sort()
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            assert start == end, f"rule {rule_id}: gap or overlap between windows at {end}"
