"""Logins under attack: a flood stays within its memory, guessing slows down per address and
per account, nobody can be locked out for good, and unknown accounts answer like real ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alerting.triage.auth.passwords import HashingPool, Passwords
from alerting.triage.errors import TooManyRequestsError
from canhgac.config import LoginConfig

from .conftest import CSRF_FIELD, PASSWORD, TriageEnv

ROOT = Path(__file__).resolve().parents[3]
CONFIG = LoginConfig()
ARGON2_MIB = 64  # argon2-cffi's RFC 9106 default memory cost per hash


def _client(app: FastAPI, address: str) -> TestClient:
    """A browser at ``address``; clients of one app share its in-memory strike counts."""
    return TestClient(app, follow_redirects=False, client=(address, 40000))


def _post_login(client: TestClient, username: str, password: str) -> Any:
    form = client.get("/login")
    token = CSRF_FIELD.search(form.text)
    assert token
    data = {"username": username, "password": password, "csrf_token": token.group(1)}
    return client.post("/login", data=data)


def test_a_login_flood_stays_within_its_memory_bound() -> None:
    # 24 concurrent bogus logins with the real argon2id cost (64 MiB each), in a fresh process
    # measured from inside: before the hashing pool its peak RSS grew by ~1.4 GB.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run(
        [sys.executable, "-m", "tests.alerting.triage.login_flood", "24"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    measured = json.loads(run.stdout.strip().splitlines()[-1])
    growth = measured["rss_peak_mb"] - measured["rss_before_mb"]
    bound = (CONFIG.hash_concurrency + 1) * ARGON2_MIB + 64
    assert growth < bound, measured
    assert set(measured["flood_answers"]) <= {"401", "429"}, measured
    assert "429" in measured["flood_answers"], measured  # the rest was turned away
    assert measured["legitimate_login"] == 303, measured


class _SlowHasher(PasswordHasher):
    """A cheap argon2id that takes its time and records how many run at once."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)
            return super().verify(hash, password)
        finally:
            with self._lock:
                self.running -= 1


def test_the_pool_runs_at_most_its_slots_and_turns_the_rest_away() -> None:
    hasher = _SlowHasher()
    passwords = Passwords(hasher, pool=HashingPool(slots=2, queue=3, wait=0.12))
    stored = passwords.hash(PASSWORD)
    outcomes: list[str] = []

    def check() -> None:
        try:
            outcomes.append(str(passwords.verify(stored, "wrong guess")))
        except TooManyRequestsError as busy:
            assert busy.status == 429 and busy.retry_after >= 1
            outcomes.append("busy")

    threads = [threading.Thread(target=check) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hasher.most <= 2
    assert outcomes.count("busy") >= 24 - 2 - 3 - 3  # slots + queue, a few freed in time
    assert outcomes.count("False") >= 2
    assert passwords.verify(stored, PASSWORD)  # the pool is free again


def test_an_attacker_at_one_address_cannot_keep_the_admin_out(env: TriageEnv) -> None:
    app = env.app()
    with _client(app, "203.0.113.66") as attacker, _client(app, "10.10.0.7") as admin:
        answers = [_post_login(attacker, "admin", f"guess {n}").status_code for n in range(40)]
        assert answers[0] == 401 and answers[-1] == 429  # the attacker's address waits
        first = _post_login(admin, "admin", PASSWORD)
        # Right password, fresh address: at most a short wait for the account, never 15 min.
        if first.status_code == 429:
            wait = int(first.headers["retry-after"])
            assert wait <= CONFIG.account_max_delay.total_seconds()
            env.clock.advance(timedelta(seconds=wait))
        # The attacker keeps trying: refused at its address, the account's wait is untouched.
        assert _post_login(attacker, "admin", "guess again").status_code == 429
        assert _post_login(admin, "admin", PASSWORD).status_code == 303
        # Still refused after the account's wait: the address waits far longer.
        assert _post_login(attacker, "admin", PASSWORD).status_code == 429
    actions = [e.action for e in env.triage.list_audit(limit=1000)]
    assert "auth.throttled" in actions and "auth.login" in actions


def test_unknown_and_throttled_accounts_are_answered_alike(env: TriageEnv) -> None:
    app = env.app()

    def answers(username: str) -> list[tuple[int, str, str]]:
        seen = []
        for n in range(CONFIG.account_free_failures + 2):
            # A new address each time: only the account's count matters here.
            with _client(app, f"198.51.100.{n + 1}") as client:
                reply = _post_login(client, username, "wrong password!")
                page = CSRF_FIELD.sub("", reply.text)
                seen.append((reply.status_code, reply.headers.get("retry-after", ""), page))
        return seen

    real, unknown = answers("analyst"), answers("nobody")
    assert real == unknown
    statuses = [status for status, _, _ in real]
    assert statuses[-1] == 429 and statuses[0] == 401
    assert "Đăng nhập sai quá nhiều lần" in real[-1][2]


def test_a_throttled_attempt_costs_no_hash_known_or_not(env: TriageEnv) -> None:
    calls: list[str] = []

    class Counting(Passwords):
        def verify(self, password_hash: str, password: str) -> bool:
            calls.append(password_hash)
            return super().verify(password_hash, password)

    env.passwords = Counting(env.passwords._hasher)
    app = env.app()
    for username in ("analyst", "nobody"):
        for n in range(CONFIG.account_free_failures):
            with _client(app, f"192.0.2.{n + 1}") as client:
                assert _post_login(client, username, "wrong password!").status_code == 401
        before = len(calls)
        with _client(app, "192.0.2.200") as client:
            assert _post_login(client, username, "wrong password!").status_code == 429
        assert len(calls) == before, username


def test_an_admin_unlock_ends_the_wait(env: TriageEnv) -> None:
    accounts = env.app().state.triage.accounts
    for n in range(CONFIG.account_free_failures + 3):
        accounts.login("analyst", "wrong password!", source_ip=f"192.0.2.{n}")
    assert accounts.login("analyst", PASSWORD, source_ip="10.0.0.1").result.value == "throttled"
    accounts.update_user("admin", "analyst", unlock=True)
    assert accounts.login("analyst", PASSWORD, source_ip="10.0.0.1").result.value == "ok"
