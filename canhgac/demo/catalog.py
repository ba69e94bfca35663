"""The demo city: hosts, people, addresses and vocabulary of Hanoi's systems.

Everything here is invented but shaped like the real thing: the citizen portal
``dichvucong.hanoi.gov.vn`` behind nginx, Linux application servers forwarding their auth log
over syslog, e-cabinet (phòng họp không giấy) Windows PCs shipping events with winlogbeat, a
FortiGate at the edge, and the parking-payment and tax applications logging JSON. Attackers
use the documentation address ranges (RFC 5737), so no real network is blamed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import quote

from canhgac.demo.formats import rfc3164, rfc5424
from canhgac.demo.model import Channel, LogLine

PORTAL = "dichvucong.hanoi.gov.vn"
AD_DOMAIN = "UBND"
AD_SUFFIX = "ubnd.hanoi.gov.vn"
FIREWALL = ("FGT-HN-UBND-01", "FG200FTK21900123")


@dataclass(frozen=True, slots=True)
class LinuxHost:
    """A Linux server and how its rsyslog forwards: header style and transport."""

    name: str
    address: str
    style: Literal["rfc3164", "rfc5424"]
    channel: Channel
    # Linux-PAM before 0.99 (RHEL 4) writes "sshd(pam_unix)[pid]: ..." instead of
    # "sshd[pid]: pam_unix(sshd:session): ...".
    old_pam: bool = False

    def syslog(
        self,
        now: datetime,
        tag: str,
        pid: int | None,
        message: str,
        facility: int,
        severity: int,
        attack: str | None = None,
    ) -> LogLine:
        render = rfc5424 if self.style == "rfc5424" else rfc3164
        text = render(now, self.name, tag, pid, message, facility, severity)
        return LogLine(self.channel, text, attack)


LINUX_HOSTS = (
    LinuxHost("congdan-web01", "10.20.1.11", "rfc3164", Channel.syslog_udp),
    LinuxHost("congdan-web02", "10.20.1.12", "rfc3164", Channel.syslog_udp),
    LinuxHost("ecab-app01", "10.20.2.21", "rfc5424", Channel.syslog_tcp),
    LinuxHost("ecab-db01", "10.20.2.31", "rfc5424", Channel.syslog_tcp),
    LinuxHost("thue-app01", "10.20.4.11", "rfc3164", Channel.syslog_tcp),
    LinuxHost("guixe-app01", "10.20.4.21", "rfc5424", Channel.syslog_udp),
    # The land-records archive server, never migrated off its RHEL 4.
    LinuxHost("luutru-dd01", "10.20.5.11", "rfc3164", Channel.syslog_udp, old_pam=True),
)
LEGACY_HOST = LINUX_HOSTS[-1]
TAX_SERVER = LINUX_HOSTS[4]  # thue-app01: Apache and PHP-FPM
WEB_SERVERS = LINUX_HOSTS[:2]

# Administrators and the SSH key fingerprints they log in with (from the bastion 10.20.0.5 or
# their office PCs).
ADMINS = {
    "quantri": "ED25519 SHA256:Jq3h8W1xT0cGm4t5ZbB1m8cQeFh0uQyYk2nA9vR3sLk",
    "nguyen.van.an": "ED25519 SHA256:4bUq3pZ2v3m6hJ8Qx0kO1rT9yWcE5fN7aL2sD4gH6jK",
    "tran.thi.binh": "RSA SHA256:p0Wc2nXq9Lr4sT6uV8yZ1aB3dE5fG7hJ9kM2nP4qR6s",
    "le.van.cuong": "ED25519 SHA256:Zt7yX5wV3uT1sR9qP7oN5mL3kJ1hG9fE7dC5bA3zY1x",
}
ADMIN_UIDS = {"quantri": 1001, "nguyen.van.an": 1002, "tran.thi.binh": 1003, "le.van.cuong": 1004}
ADMIN_SOURCES = ("10.20.0.5", "10.20.3.41", "10.20.3.57")
ADMIN_COMMANDS = (
    "/usr/bin/systemctl restart nginx",
    "/usr/bin/systemctl status congdan-api",
    "/usr/bin/journalctl -u congdan-api --since today",
    "/usr/bin/tail -n 200 /var/log/nginx/error.log",
    "/usr/sbin/nginx -t",
    "/usr/bin/apt-get update",
)
CRON_JOBS = (
    "/usr/local/bin/sao-luu-csdl.sh",
    "/usr/lib/php/sessionclean",
    "test -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )",
)

# E-cabinet workstations and the domain controller; the people who use them.
WINDOWS_PCS = tuple(f"ECAB-PC-{number:02d}" for number in range(1, 13))
DOMAIN_CONTROLLER = "UBND-HN-DC01"
STAFF = {
    "nguyenvanan": "Nguyễn Văn An",
    "tranthibinh": "Trần Thị Bình",
    "lehoangcuong": "Lê Hoàng Cường",
    "phamthidung": "Phạm Thị Dung",
    "vuthihoa": "Vũ Thị Hoa",
    "dangquochuy": "Đặng Quốc Huy",
}
OFFICE_DOCUMENTS = (
    "Tờ trình số 15-TTr-UBND.docx",
    "Báo cáo kinh tế - xã hội tháng 11.docx",
    "Kế hoạch tiếp công dân quý IV.docx",
    "Dự thảo quyết định phê duyệt quy hoạch.docx",
)

# Vietnamese names citizens type into the portal's forms.
CITIZENS = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "Phạm Thị Dung",
    "Hoàng Minh Đức",
    "Vũ Thị Hoa",
    "Đặng Quốc Huy",
    "Bùi Thị Lan",
    "Ngô Thanh Tùng",
    "Đỗ Thị Ngọc Ánh",
)
# Administrative procedure codes of the national catalogue (mã thủ tục hành chính).
PROCEDURES = ("1.004227", "1.001612", "2.000908", "1.003003", "2.001023", "1.010823")
CITIZEN_PREFIXES = ("113.160", "14.162", "27.72", "42.112", "171.224", "116.96", "123.24")

BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "coc_coc_browser/117.0.258 Chrome/111.0.5563.152 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.6045.163 Mobile Safari/537.36 Zalo android/12100520",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
)

# Parking lots (bãi gửi xe) and payment gateways of the parking-payment app.
PARKING_LOTS = (
    "Bãi xe ngầm Công viên Thống Nhất",
    "Bãi xe Hồ Gươm - Đinh Tiên Hoàng",
    "Bãi xe Nhà hát Lớn",
    "Bãi xe Cầu Giấy - Trần Thái Tông",
)
PAYMENT_GATEWAYS = ("VNPay", "MoMo", "ZaloPay", "iHanoi")
TAX_OFFICES = ("Chi cục Thuế quận Hoàn Kiếm", "Chi cục Thuế quận Cầu Giấy", "Cục Thuế Hà Nội")


def citizen_ip(rng: random.Random) -> str:
    return f"{rng.choice(CITIZEN_PREFIXES)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"


def office_ip(rng: random.Random) -> str:
    return f"10.20.3.{rng.randint(20, 199)}"


def attacker_ip(rng: random.Random) -> str:
    return f"{rng.choice(('203.0.113', '198.51.100'))}.{rng.randint(2, 254)}"


def pid(rng: random.Random) -> int:
    return rng.randint(1200, 65000)


def port(rng: random.Random) -> int:
    return rng.randint(32768, 60999)


def url_text(text: str) -> str:
    """Percent-encode form text the way browsers do (UTF-8, space as %20)."""
    return quote(text, safe="")


def plate(rng: random.Random) -> str:
    """A Hanoi licence plate, e.g. ``30A-123.45``."""
    series = rng.choice(("30A", "30E", "30F", "30G", "30H", "29A", "29D"))
    return f"{series}-{rng.randint(100, 999)}.{rng.randint(10, 99)}"


def tax_code(rng: random.Random) -> str:
    return f"01{rng.randint(0, 99_999_999):08d}"


def dossier(rng: random.Random, now: datetime) -> str:
    """A dossier number (mã hồ sơ) such as ``H26.1-261127-0042``."""
    return f"H26.{rng.randint(1, 30)}-{now:%y%m%d}-{rng.randint(1, 9999):04d}"
