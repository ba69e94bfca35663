"""A 2,000-line sshd attack, as a Hanoi server's /var/log/auth.log holds it.

Forty minutes ending a minute ago, in the server's local time (Asia/Ho_Chi_Minh): one address
guessing root's password, a scanner trying user names (Vietnamese ones included), a password
spray, a distributed run against one account that ends in a guessed password, the PAM lines
sshd writes beside its own, and the staff's ordinary key logins. Seeded, so every run sends
the same attack at a different time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
HOST = "congdan-web01"
LINES = 2000
AUTH_INFO = 4 * 8 + 6  # auth.info
AUTHPRIV_NOTICE = 10 * 8 + 5  # authpriv.notice
SCANNED_USERS = ["admin", "oracle", "test", "ubuntu", "nguyễn.văn.a", "quản.trị", "kế.toán", "pi"]
STAFF = ["nguyenvana", "tranthib", "lethic", "phamvand"]


@dataclass(frozen=True, order=True)
class Entry:
    """One line sshd wrote, at the second it wrote it."""

    at: datetime
    pid: int
    message: str
    priority: int = AUTH_INFO

    def file_line(self) -> str:
        """As rsyslog writes it to /var/log/auth.log (RSYSLOG_TraditionalFileFormat)."""
        return f"{_bsd(self.at)} {HOST} sshd[{self.pid}]: {self.message}"

    def datagram(self) -> bytes:
        """As syslog(3) writes it to /dev/log: no host name."""
        return f"<{self.priority}>{_bsd(self.at)} sshd[{self.pid}]: {self.message}".encode()


def _bsd(moment: datetime) -> str:
    local = moment.astimezone(HANOI)
    return f"{local:%b} {local.day:>2} {local:%H:%M:%S}"


class _Attack:
    def __init__(self, end: datetime, seed: int) -> None:
        self.rng = random.Random(seed)
        self.start = end.replace(microsecond=0) - timedelta(minutes=40)
        self.entries: list[Entry] = []

    def at(self, from_minute: float, to_minute: float) -> datetime:
        return self.start + timedelta(seconds=int(self.rng.uniform(from_minute, to_minute) * 60))

    def add(self, when: datetime, message: str, priority: int = AUTH_INFO) -> None:
        pid = 20000 + len(self.entries)
        self.entries.append(Entry(when, pid, message, priority))

    def port(self) -> int:
        return self.rng.randrange(32768, 61000)


def attack_log(end: datetime, seed: int = 15) -> list[Entry]:
    """The :data:`LINES` entries of the attack, oldest first."""
    attack = _Attack(end, seed)
    for _ in range(500):  # one address guessing root's password, with sshd's PAM line
        when, port = attack.at(2, 14), attack.port()
        attack.add(
            when,
            "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
            "ruser= rhost=203.0.113.50  user=root",
            AUTHPRIV_NOTICE,
        )
        attack.add(when, f"Failed password for root from 203.0.113.50 port {port} ssh2")
    for _ in range(200):  # a scanner trying user names
        when, port = attack.at(10, 25), attack.port()
        user = attack.rng.choice(SCANNED_USERS)
        attack.add(when, f"Invalid user {user} from 198.51.100.7 port {port}")
        attack.add(
            when + timedelta(seconds=2),
            f"Failed password for invalid user {user} from 198.51.100.7 port {port} ssh2",
        )
    for n in range(300):  # a password spray: one address, many accounts
        attack.add(
            attack.at(15, 35),
            f"Failed password for user{n:03d} from 192.0.2.200 port {attack.port()} ssh2",
        )
    for _ in range(240):  # a distributed run against one account ...
        address = f"192.0.2.{attack.rng.randrange(10, 60)}"
        attack.add(
            attack.at(20, 32),
            f"Failed password for nguyenvana from {address} port {attack.port()} ssh2",
        )
    for second in range(6):  # ... that guesses the password
        attack.add(
            attack.start + timedelta(minutes=33, seconds=second * 3),
            f"Failed password for nguyenvana from 192.0.2.77 port {attack.port()} ssh2",
        )
    attack.add(
        attack.start + timedelta(minutes=33, seconds=30),
        f"Accepted password for nguyenvana from 192.0.2.77 port {attack.port()} ssh2",
    )
    while len(attack.entries) < LINES:  # the staff's ordinary logins
        user = attack.rng.choice(STAFF)
        address = f"10.20.{attack.rng.randrange(1, 9)}.{attack.rng.randrange(2, 250)}"
        attack.add(
            attack.at(0, 40),
            f"Accepted publickey for {user} from {address} port {attack.port()} ssh2: "
            "ED25519 SHA256:Jq3h8W1xT0cGm4t5ZbB1m8cQeFh0uQyYk2nA9vR3sLk",
        )
    assert len(attack.entries) == LINES
    return sorted(attack.entries)
