"""A login flood against a real triage server with real argon2id, measured from inside.

Run as a script (``python -m tests.alerting.triage.login_flood [CONCURRENT]``) in a fresh
process, so its peak RSS (``VmHWM``) is the flood's alone: the test of the same name runs it
in a subprocess; pointing PYTHONPATH at an older tree measures that one. It prints one JSON
object: RSS before and at peak (MB), the answers to the bogus logins, the slowest answer of a
cheap page during the flood, and what a legitimate login from another address got.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from alerting.triage.app import create_app
from alerting.triage.auth.accounts import Accounts
from alerting.triage.auth.passwords import Passwords
from alerting.triage.server import WebServer
from canhgac.config import Settings
from canhgac.store.sqlite.store import SQLiteStore
from canhgac.store.sqlite.triage import SQLiteTriageStore

PASSWORD = "mật khẩu đủ dài 2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def attempt(port: int, username: str, password: str, source: str = "127.0.0.1") -> int:
    """One login through the form (GET for the CSRF cookie, then POST); the POST's status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        conn.request("GET", "/login")
        form = conn.getresponse()
        page = form.read().decode()
        cookie = form.getheader("set-cookie", "").split(";")[0]
        token = CSRF.search(page)
        assert token, page[:200]
        body = urlencode({"username": username, "password": password, "csrf_token": token[1]})
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        conn.request("POST", "/login", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        return answer.status
    finally:
        conn.close()


def slowest_page(port: int, stop: threading.Event) -> float:
    worst = 0.0
    while not stop.is_set():
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/login")
        conn.getresponse().read()
        conn.close()
        worst = max(worst, time.perf_counter() - started)
        time.sleep(0.02)
    return worst


def main(concurrent: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="login-flood-"))
    db = folder / "canhgac.db"
    store, triage = SQLiteStore(db, synchronous="OFF"), SQLiteTriageStore(db)
    settings = Settings(data_dir=str(folder), store={"type": "sqlite", "path": str(db)})
    passwords = Passwords()  # the real cost: argon2id, 64 MiB per hash
    Accounts(triage, passwords).create_user("admin", PASSWORD, "admin")
    server = WebServer(create_app(store, triage, settings))
    server.start()
    try:
        assert attempt(server.port, "admin", PASSWORD, "127.0.0.3") == 303  # warm-up
        before = peak_rss_mb()
        statuses: list[int] = []
        stop = threading.Event()
        worst: list[float] = []
        watcher = threading.Thread(target=lambda: worst.append(slowest_page(server.port, stop)))
        watcher.start()

        def bogus(n: int) -> None:
            statuses.append(attempt(server.port, "admin", f"wrong guess {n:04d}"))

        flood = [threading.Thread(target=bogus, args=(n,)) for n in range(concurrent)]
        started = time.perf_counter()
        for thread in flood:
            thread.start()
        for thread in flood:
            thread.join()
        elapsed = time.perf_counter() - started
        stop.set()
        watcher.join()
        peak = peak_rss_mb()
        # The right password from another address (the flood's address may now wait).
        legit = attempt(server.port, "admin", PASSWORD, "127.0.0.2")
        for _ in range(40):  # a throttled answer says how long; a few seconds at most
            if legit == 303:
                break
            time.sleep(1)
            legit = attempt(server.port, "admin", PASSWORD, "127.0.0.2")
    finally:
        server.stop()
        triage.close()
        store.close()
    return {
        "concurrent": concurrent,
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(peak, 1),
        "flood_answers": dict(Counter(str(s) for s in statuses)),
        "flood_seconds": round(elapsed, 2),
        "slowest_page_during_flood_s": round(max(worst, default=0.0), 3),
        "legitimate_login": legit,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 24)))
