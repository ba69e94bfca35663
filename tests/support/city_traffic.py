"""Helpers shared by the end-to-end and integration tests: free ports, waiting, and the city
traffic they send through every source (attacks and benign lines via syslog UDP and TCP,
HTTP Windows event JSON and a tailed nginx access log), with the alerts it must raise."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

SSH_INVALID = (
    "<38>Nov 27 10:00:01 congdan-web01 sshd[2231]: Invalid user admin from 203.0.113.5 port 4242"
)
SSH_INVALID_AGAIN = "<38>Nov 27 10:00:03 congdan-web01 sshd[2231]: Failed password for invalid user oracle from 203.0.113.5 port 4244 ssh2"
SSH_BENIGN = "<38>Nov 27 10:01:05 congdan-web01 sshd[2302]: Accepted publickey for nguyenvana from 10.20.1.15 port 50023 ssh2: ED25519 SHA256:Jq3h8W1xT0cGm4t5ZbB1m8cQeFh0uQyYk2nA9vR3sLk"
SUDO_SHELL = "<86>Nov 27 10:05:00 ecab-db01 sudo:  nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/bin/bash"
SUDO_BENIGN = "<86>Nov 27 10:06:00 ecab-db01 sudo:  nguyenvana : TTY=pts/0 ; PWD=/home/nguyenvana ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
LOG_CLEARED = {
    "EventTime": "2026-11-27 11:50:05",
    "Hostname": "ECAB-WS-022.ubnd.hanoi.gov.vn",
    "EventID": 1102,
    "SourceName": "Microsoft-Windows-Eventlog",
    "Channel": "Security",
    "Message": "The audit log was cleared.",
    "SubjectUserName": "tranthib",
    "SubjectDomainName": "UBND",
}
LOGON_BENIGN = {
    "EventTime": "2026-11-27 11:51:00",
    "Hostname": "ECAB-WS-022.ubnd.hanoi.gov.vn",
    "EventID": 4624,
    "Channel": "Security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "TargetUserName": "nguyễn.văn.an",
    "LogonType": 2,
}
SQLI = [
    '203.0.113.9 - - [27/Nov/2026:10:15:32 +0700] "GET /tra-cuu/ho-so?ma=1%27%20UNION%20SELECT%20username,password%20FROM%20nguoi_dung-- HTTP/1.1" 200 512 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
    '203.0.113.9 - - [27/Nov/2026:10:15:33 +0700] "GET /tra-cuu/ho-so?ma=1%2527%2520or%25201%253D1-- HTTP/1.1" 200 498 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
]
PORTAL_BENIGN = '10.20.3.7 - - [27/Nov/2026:10:16:00 +0700] "GET /dich-vu-cong/nop-ho-so?ten=Nguy%E1%BB%85n%20V%C4%83n%20An HTTP/1.1" 200 5120 "-" "Mozilla/5.0 (X11; Linux x86_64)"'
EXPECTED = {  # rule file stem -> matched events on its one alert
    "lnx_sshd_invalid_user": 2,
    "lnx_sshd_failed_password": 1,
    "lnx_sudo_root_shell": 1,
    "win_security_log_cleared": 1,
    "web_sql_injection": 2,
}
SENT = 10  # records sent by send_city_logs
NOTIFIED = "[Canh Gác]"  # the console channel's line per alert


def free_port() -> int:
    # Syslog listens on the same number over UDP and TCP, so the port must be free for both.
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind(("127.0.0.1", port))
        except OSError:
            continue
        return port


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    """SIGTERM, then SIGKILL if ``process`` has not ended within ``timeout`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def send_city_logs(syslog_port: int, http_port: int, access_log: Path) -> None:
    """The traffic of :data:`EXPECTED`, once, through every kind of source."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in (SSH_INVALID, SSH_INVALID_AGAIN, SSH_BENIGN):
            udp.sendto(line.encode(), ("127.0.0.1", syslog_port))
    with socket.create_connection(("127.0.0.1", syslog_port)) as tcp:
        for line in (SUDO_SHELL, SUDO_BENIGN):
            frame = line.encode()
            tcp.sendall(f"{len(frame)} ".encode() + frame)
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in (LOG_CLEARED, LOGON_BENIGN))
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/ingest",
        data=body.encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    with access_log.open("a", encoding="utf-8") as log:
        log.write("\n".join([*SQLI, PORTAL_BENIGN]) + "\n")
