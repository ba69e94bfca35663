"""Ordinary traffic of the city's systems: none of it should raise an alert.

:data:`BENIGN` maps a kind of line to its weight (share of the stream) and its renderer. The
weights follow what a city SOC sees: the portal's access log dominates, then the firewall,
Windows logons, application logs and a trickle of administrator activity.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from canhgac.demo import edge, linux, windows
from canhgac.demo.catalog import (
    ADMIN_COMMANDS,
    ADMIN_SOURCES,
    ADMINS,
    BROWSERS,
    CITIZENS,
    CRON_JOBS,
    DOMAIN_CONTROLLER,
    LINUX_HOSTS,
    OFFICE_DOCUMENTS,
    PARKING_LOTS,
    PAYMENT_GATEWAYS,
    PROCEDURES,
    STAFF,
    TAX_OFFICES,
    TAX_SERVER,
    WEB_SERVERS,
    WINDOWS_PCS,
    citizen_ip,
    dossier,
    office_ip,
    pid,
    plate,
    port,
    tax_code,
    url_text,
)
from canhgac.demo.formats import FACILITY_CRON, SEVERITY_INFO
from canhgac.demo.model import LogLine

Render = Callable[[random.Random, datetime], LogLine]


@dataclass(frozen=True, slots=True)
class BenignKind:
    weight: int
    render: Render


# --- the citizen portal (nginx access log, tailed file) ------------------------------------------
# (method, target, status, size) of a citizen's page request
Request = tuple[str, str, int, int]


def _home(rng: random.Random, now: datetime) -> Request:
    return "GET", "/", 200, rng.randint(17_000, 19_000)


def _form(rng: random.Random, now: datetime) -> Request:
    # The dossier form, pre-filled from the citizen's name (sent percent-encoded UTF-8).
    name = url_text(rng.choice(CITIZENS))
    target = f"/dich-vu-cong/nop-ho-so?ma_thu_tuc={rng.choice(PROCEDURES)}&ten={name}"
    return "GET", target, 200, rng.randint(24_000, 31_000)


def _submit(rng: random.Random, now: datetime) -> Request:
    return "POST", "/dich-vu-cong/nop-ho-so", 302, 0


def _lookup_page(rng: random.Random, now: datetime) -> Request:
    return "GET", "/tra-cuu/ho-so", 200, rng.randint(9_000, 11_000)


def _lookup(rng: random.Random, now: datetime) -> Request:
    target = f"/tra-cuu/ho-so?ma_ho_so={dossier(rng, now)}"
    if rng.random() < 0.85:
        return "GET", target, 200, rng.randint(3_000, 6_000)
    return "GET", target, 404, 162  # a mistyped dossier number


def _procedure(rng: random.Random, now: datetime) -> Request:
    target = f"/dich-vu-cong/thu-tuc/{rng.choice(PROCEDURES)}"
    return "GET", target, 200, rng.randint(14_000, 16_000)


def _search(rng: random.Random, now: datetime) -> Request:
    query = rng.choice(("cấp đổi căn cước", "đăng ký kết hôn", "giấy phép xây dựng"))
    target = f"/tim-kiem?q={url_text(query).replace('%20', '+')}"  # a form GET: "+" for spaces
    return "GET", target, 200, rng.randint(8_000, 20_000)


def _fee(rng: random.Random, now: datetime) -> Request:
    return "GET", f"/thanh-toan/le-phi?ma_ho_so={dossier(rng, now)}", 200, rng.randint(6_000, 7_000)


def _missing(rng: random.Random, now: datetime) -> Request:
    return "GET", rng.choice(("/apple-touch-icon.png", "/tin-tuc/thong-bao-cu.html")), 404, 162


_PAGES = (_home, _form, _submit, _lookup_page, _lookup, _procedure, _search, _fee, _missing)


def portal_page(rng: random.Random, now: datetime) -> LogLine:
    method, target, status, size = rng.choice(_PAGES)(rng, now)
    referrer = rng.choice((edge.HOME, edge.HOME + "tra-cuu/ho-so", "-"))
    return edge.access(
        now, citizen_ip(rng), method, target, status, size, rng.choice(BROWSERS), referrer
    )


_ASSETS = (
    "/static/css/main.3f9a1c.css",
    "/static/js/app.8b21e4.js",
    "/static/img/logo-ubnd-ha-noi.png",
    "/static/fonts/Roboto-Regular.woff2",
    "/favicon.ico",
)


def portal_error(rng: random.Random, now: datetime) -> LogLine:
    """The error log's side of a missing page (the access log has its own 404 line)."""
    target = rng.choice(("/apple-touch-icon.png", "/tin-tuc/thong-bao-cu.html"))
    return edge.portal_missing_file(rng.choice(WEB_SERVERS), now, rng, citizen_ip(rng), target)


def tax_error(rng: random.Random, now: datetime) -> LogLine:
    message = (
        "AH01071: Got error 'PHP message: Không tìm thấy hồ sơ quyết toán thuế của mã số "
        f"{tax_code(rng)}'"
    )
    client = f"{office_ip(rng)}:{port(rng)}"
    return edge.app_server_error(TAX_SERVER, now, rng, client, message)


def portal_static(rng: random.Random, now: datetime) -> LogLine:
    cached = rng.random() < 0.4
    size = 0 if cached else rng.randint(2_000, 250_000)
    return edge.access(
        now,
        citizen_ip(rng),
        "GET",
        rng.choice(_ASSETS),
        304 if cached else 200,
        size,
        rng.choice(BROWSERS),
        edge.HOME,
    )


# --- Linux servers (syslog) ----------------------------------------------------------------------
def ssh_admin_login(rng: random.Random, now: datetime) -> LogLine:
    user = rng.choice(tuple(ADMINS))
    message = linux.accepted(user, "publickey", rng.choice(ADMIN_SOURCES), port(rng), ADMINS[user])
    return linux.sshd(rng.choice(LINUX_HOSTS), now, rng, message)


def ssh_session(rng: random.Random, now: datetime) -> LogLine:
    host, user = rng.choice(LINUX_HOSTS), rng.choice(tuple(ADMINS))
    return linux.pam_session(host, now, rng, "sshd", "sshd", user)


def cron(rng: random.Random, now: datetime) -> LogLine:
    host = rng.choice(LINUX_HOSTS)
    if rng.random() < 0.5:
        service = "crond" if host.old_pam else "cron"
        return linux.pam_session(host, now, rng, "CRON", service, "root", FACILITY_CRON)
    message = f"(root) CMD ({rng.choice(CRON_JOBS)})"
    return host.syslog(now, "CRON", pid(rng), message, FACILITY_CRON, SEVERITY_INFO)


def sudo_admin(rng: random.Random, now: datetime) -> LogLine:
    tty = f"pts/{rng.randint(0, 4)}"
    command = rng.choice(ADMIN_COMMANDS)
    return linux.sudo(rng.choice(LINUX_HOSTS), now, rng.choice(tuple(ADMINS)), command, tty)


def auditd_exec(rng: random.Random, now: datetime) -> LogLine:
    host = rng.choice(WEB_SERVERS)
    serial = rng.randint(10_000, 999_999)
    if rng.random() < 0.5:
        body = linux.audit_syscall(
            rng, exe="/usr/bin/systemctl", comm="systemctl", uid=0, auid=1001, tty="pts0"
        )
        return linux.audit(host, now, serial, "SYSCALL", body)
    body = linux.audit_execve("/usr/bin/php8.2", "/srv/congdan/artisan", "queue:work")
    return linux.audit(host, now, serial, "EXECVE", body)


# --- e-cabinet Windows hosts (winlogbeat over HTTP) ----------------------------------------------
def windows_logon(rng: random.Random, now: datetime) -> LogLine:
    user = rng.choice(tuple(STAFF))
    if rng.random() < 0.3:
        return windows.logon(rng, now, DOMAIN_CONTROLLER, user, 3, office_ip(rng))
    return windows.logon(
        rng, now, rng.choice(WINDOWS_PCS), user, rng.choice((2, 7, 11)), "127.0.0.1"
    )


def windows_logoff(rng: random.Random, now: datetime) -> LogLine:
    return windows.logoff(rng, now, rng.choice(WINDOWS_PCS), rng.choice(tuple(STAFF)))


_OFFICE = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"
_CHROME = r"C:\Program Files\Google\Chrome\Application\chrome.exe"
_ECABINET = r"C:\Program Files\VNPT\eCabinet\eCabinet.exe"
_EXPLORER = r"C:\Windows\explorer.exe"


def windows_process(rng: random.Random, now: datetime) -> LogLine:
    user = rng.choice(tuple(STAFF))
    choice = rng.randrange(3)
    if choice == 0:
        document = rf"C:\Users\{user}\Documents\{rng.choice(OFFICE_DOCUMENTS)}"
        image, command = _OFFICE, f'"{_OFFICE}" /n "{document}"'
    elif choice == 1:
        image, command = _CHROME, f'"{_CHROME}" https://ecabinet.hanoi.gov.vn/phien-hop'
    else:
        image, command = _ECABINET, f'"{_ECABINET}" --don-vi "UBND Thành phố Hà Nội"'
    return windows.process_created(
        rng, now, rng.choice(WINDOWS_PCS), user, image, command, _EXPLORER
    )


# --- FortiGate (syslog UDP) ----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Flow:
    """Traffic the FortiGate allows every day: who talks to what, under which policy."""

    source: Callable[[random.Random], str]
    source_interface: tuple[str, str]
    destinations: tuple[str, ...]
    destination_interface: tuple[str, str]
    ports: tuple[int, ...]
    policy: tuple[int, str]


_WEB = ("10.20.1.11", "10.20.1.12")
_FLOWS = (
    # citizens reach the portal through the VIP; office PCs use its back office
    Flow(citizen_ip, edge.WAN, _WEB, edge.DMZ, (443,), (21, "VIP-Cong-DVC")),
    Flow(office_ip, edge.LAN, _WEB, edge.DMZ, (443,), (12, "LAN-DMZ-Web")),
    Flow(office_ip, edge.LAN, ("10.20.0.10",), edge.DMZ, (88, 389), (14, "LAN-AD")),
    Flow(office_ip, edge.LAN, ("10.20.0.53",), edge.DMZ, (53,), (15, "LAN-DNS")),
)


def firewall_accept(rng: random.Random, now: datetime) -> LogLine:
    flow = rng.choice(_FLOWS)
    return edge.traffic(
        rng,
        now,
        source=(flow.source(rng), flow.source_interface),
        destination=(rng.choice(flow.destinations), flow.destination_interface),
        dstport=rng.choice(flow.ports),
        action=rng.choice(("accept", "close")),  # session start, or its end
        policy=flow.policy,
    )


# A few hosts on the Internet that sweep the city's addresses all day (TEST-NET-1).
_BACKGROUND_SCANNERS = ("192.0.2.17", "192.0.2.44", "192.0.2.101")


def firewall_deny(rng: random.Random, now: datetime) -> LogLine:
    # Internet background noise hitting closed ports, dropped by the implicit deny.
    return edge.traffic(
        rng,
        now,
        source=(rng.choice(_BACKGROUND_SCANNERS), edge.WAN),
        destination=("10.20.1.11", edge.DMZ),
        dstport=rng.choice((23, 445, 5432)),
        action="deny",
        policy=(0, "Implicit Deny"),
    )


# --- parking payment and tax applications (JSON over HTTP) ---------------------------------------
def parking(rng: random.Random, now: datetime) -> LogLine:
    lot = rng.choice(PARKING_LOTS)
    if rng.random() < 0.6:
        return edge.app(
            now,
            "guixe-api",
            "info",
            "Thanh toán phí gửi xe thành công",
            **{
                "host.name": "guixe-app01",
                "xe.bien_so": plate(rng),
                "bai_xe": lot,
                "so_tien": rng.choice((25000, 30000, 35000, 50000)),
                "cong_thanh_toan": rng.choice(PAYMENT_GATEWAYS),
                "giao_dich.ma": f"GX{now:%y%m%d}{rng.randint(0, 999999):06d}",
            },
        )
    message = rng.choice(("Xe vào bãi", "Xe ra bãi"))
    return edge.app(
        now,
        "guixe-api",
        "info",
        message,
        **{"host.name": "guixe-app01", "xe.bien_so": plate(rng), "bai_xe": lot},
    )


def tax(rng: random.Random, now: datetime) -> LogLine:
    fields = {"host.name": "thue-app01", "client.ip": citizen_ip(rng), "ma_so_thue": tax_code(rng)}
    if rng.random() < 0.7:
        return edge.app(
            now,
            "thue-api",
            "info",
            "Tra cứu mã số thuế",
            **fields,
            co_quan_thue=rng.choice(TAX_OFFICES),
            ket_qua="tìm thấy",
        )
    return edge.app(
        now,
        "thue-api",
        "info",
        "Nộp tờ khai thuế thành công",
        **fields,
        mau_to_khai="01/GTGT",
        ky_tinh_thue=f"{now:%m/%Y}",
    )


BENIGN: dict[str, BenignKind] = {
    "portal_page": BenignKind(30, portal_page),
    "portal_static": BenignKind(14, portal_static),
    "portal_error": BenignKind(2, portal_error),
    "tax_error": BenignKind(1, tax_error),
    "ssh_admin_login": BenignKind(3, ssh_admin_login),
    "ssh_session": BenignKind(2, ssh_session),
    "cron": BenignKind(3, cron),
    "sudo_admin": BenignKind(2, sudo_admin),
    "auditd_exec": BenignKind(3, auditd_exec),
    "windows_logon": BenignKind(6, windows_logon),
    "windows_logoff": BenignKind(4, windows_logoff),
    "windows_process": BenignKind(5, windows_process),
    "firewall_accept": BenignKind(12, firewall_accept),
    "firewall_deny": BenignKind(1, firewall_deny),
    "parking": BenignKind(8, parking),
    "tax": BenignKind(6, tax),
}

# Rules the ordinary stream rightly fires: Internet background noise dropped by the firewall's
# implicit deny is collected per source by this low-severity rule. The demo report lists their
# alerts as background, apart from unexpected ones.
BACKGROUND_RULES: dict[str, str] = {
    "fgt_policy_deny_from_source": "Internet background scanning dropped by the implicit deny",
}
