"""Joining the records of one kernel audit event (ingest.parse.auditd_join).

Record text is real: the file-open event is Red Hat's example in "Understanding Audit Log
Files" (RHEL 7 Security Guide, section 7.6, PROCTITLE written in auditd's raw form); the
connect event's SOCKADDR is the one in unixist/forensics' ausock README (curl google.com).
"""

from __future__ import annotations

from typing import Any

from canhgac.models import Event
from ingest.parse.auditd_join import AuditJoiner, is_joinable, join_records
from ingest.parse.base import Origin
from ingest.parse.record import to_record

RHEL_OPEN = [
    "type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13"
    " a0=7fffd19c5592 a1=0 a2=7fffd19c4b50 a3=a items=1 ppid=2686 pid=3538 auid=1000 uid=1000"
    " gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1"
    ' comm="cat" exe="/bin/cat" subj=unconfined_u:unconfined_r:unconfined_t:s0-s0:c0.c1023'
    ' key="sshd_config"',
    'type=CWD msg=audit(1364481363.243:24287):  cwd="/home/shadowman"',
    'type=PATH msg=audit(1364481363.243:24287): item=0 name="/etc/ssh/sshd_config" inode=409248'
    " dev=fd:00 mode=0100600 ouid=0 ogid=0 rdev=00:00 obj=system_u:object_r:etc_t:s0"
    "  objtype=NORMAL cap_fp=none cap_fi=none cap_fe=0 cap_fver=0",
    "type=PROCTITLE msg=audit(1364481363.243:24287):"
    " proctitle=636174002F6574632F7373682F737368645F636F6E666967",
    "type=EOE msg=audit(1364481363.243:24287): ",
]
# sudo -u www-data crontab -l, as a web shell would run it; one argument is Vietnamese and
# hex-encoded because it holds a space and non-ASCII bytes ("báo cáo" = report).
CRONTAB = [
    "type=SYSCALL msg=audit(1795748430.512:9120): arch=c000003e syscall=59 success=yes exit=0"
    " a0=5581b1c0 a1=5581b1d0 a2=5581b1e0 a3=0 items=2 ppid=8841 pid=8850 auid=4294967295"
    " uid=33 gid=33 euid=33 suid=33 fsuid=33 egid=33 sgid=33 fsgid=33 tty=(none)"
    ' ses=4294967295 comm="crontab" exe="/usr/bin/crontab" subj=unconfined key="exec"',
    'type=EXECVE msg=audit(1795748430.512:9120): argc=3 a0="crontab" a1="-l"'
    " a2=2F746D702F62C3A16F2063C3A16F",
    'type=CWD msg=audit(1795748430.512:9120): cwd="/var/www/cong-dich-vu"',
    'type=PATH msg=audit(1795748430.512:9120): item=0 name="/usr/bin/crontab" inode=1318'
    " dev=08:01 mode=0102755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
    'type=PATH msg=audit(1795748430.512:9120): item=1 name="/lib64/ld-linux-x86-64.so.2"'
    " inode=1050 dev=08:01 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
    "type=PROCTITLE msg=audit(1795748430.512:9120):"
    " proctitle=63726F6E746162002D6C002F746D702F62C3A16F2063C3A16F",
    "type=EOE msg=audit(1795748430.512:9120): ",
]
CURL_CONNECT = [
    "type=SYSCALL msg=audit(1453600330.654:87): arch=c000003e syscall=42 success=no exit=-115"
    " a0=3 a1=7ffd66128d00 a2=10 a3=7ffd66128920 items=0 ppid=3525 pid=3703 auid=4294967295"
    " uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=4294967295"
    ' comm="curl" exe="/usr/bin/curl" key=(null)',
    "type=SOCKADDR msg=audit(1453600330.654:87): saddr=02000050D83AC02E0000000000000000",
]


def parsed(lines: list[str], *, start: int = 0, source: str = "audit") -> list[Event]:
    origin = Origin(source=source, identity=f"file:{source}", received_at="2026-12-03T00:00:00Z")
    events = []
    for offset, line in enumerate(lines, start):
        record = to_record(line.encode(), origin, offset)
        assert isinstance(record, Event), record
        events.append(record)
    return events


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def feed(joiner: AuditJoiner[int], events: list[Event]) -> list[Event]:
    return [joined.event for event in events for joined in joiner.add(event, 0)]


def pick(fields: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: fields.get(key, "<absent>") for key in keys}


def test_file_open_event_becomes_one_event() -> None:
    events = parsed(RHEL_OPEN)
    assert all(is_joinable(e) for e in events)
    [event] = feed(AuditJoiner(), events)
    assert event.id == events[0].id
    assert pick(
        event.fields,
        "process.executable",
        "process.name",
        "process.pid",
        "process.parent.pid",
        "process.command_line",
        "process.working_directory",
        "user.id",
        "user.audit.id",
        "user.effective.id",
        "file.path",
        "event.category",
        "event.type",
        "event.outcome",
        "event.action",
        "hanoi.auditd.record_type",
        "hanoi.auditd.record_types",
        "hanoi.auditd.key",
        "hanoi.auditd.partial",
        "@timestamp",
    ) == {
        "process.executable": "/bin/cat",
        "process.name": "cat",
        "process.pid": 3538,
        "process.parent.pid": 2686,
        "process.command_line": "cat /etc/ssh/sshd_config",
        "process.working_directory": "/home/shadowman",
        "user.id": "1000",
        "user.audit.id": "1000",
        "user.effective.id": "1000",
        "file.path": "/etc/ssh/sshd_config",
        "event.category": "file",
        "event.type": "access",  # open(2) with flags 0: O_RDONLY
        "event.outcome": "failure",
        "event.action": "open",
        "hanoi.auditd.record_type": "SYSCALL",
        "hanoi.auditd.record_types": "SYSCALL CWD PATH PROCTITLE",
        "hanoi.auditd.key": "sshd_config",
        "hanoi.auditd.partial": "<absent>",
        "@timestamp": "2013-03-28T14:36:03.243000Z",
    }
    assert event.fields["event.original"] == "\n".join(RHEL_OPEN)
    assert not any(key.startswith("auditd.") for key in event.fields)


def test_execve_event_has_executable_and_decoded_arguments() -> None:
    [event] = feed(AuditJoiner(), parsed(CRONTAB))
    assert pick(
        event.fields,
        "process.executable",
        "process.args",
        "process.args_count",
        "process.command_line",
        "process.title",
        "process.working_directory",
        "user.id",
        "user.audit.id",
        "event.category",
        "event.type",
        "event.action",
        "hanoi.auditd.record_type",
        "hanoi.auditd.joined.execve",
        "hanoi.auditd.a1",
        "file.path",
    ) == {
        "process.executable": "/usr/bin/crontab",
        "process.args": ["crontab", "-l", "/tmp/báo cáo"],
        "process.args_count": 3,
        "process.command_line": "crontab -l /tmp/báo cáo",
        "process.title": "crontab -l /tmp/báo cáo",
        "process.working_directory": "/var/www/cong-dich-vu",
        "user.id": "33",
        "user.audit.id": "<absent>",  # 4294967295: no login uid (a daemon's child)
        "event.category": "process",
        "event.type": "start",
        "event.action": "execve",
        "hanoi.auditd.record_type": "SYSCALL",
        "hanoi.auditd.joined.execve": "EXECVE",  # Sigma's type: EXECVE matches this too
        "hanoi.auditd.a1": "-l",  # EXECVE's a1, not the SYSCALL register a1
        "file.path": "/usr/bin/crontab",
    }


def test_connect_decodes_the_sockaddr() -> None:
    joiner: AuditJoiner[int] = AuditJoiner()
    assert feed(joiner, parsed(CURL_CONNECT)) == []  # no EOE in this capture: held
    [event] = [j.event for j in joiner.drain()]
    assert pick(
        event.fields,
        "destination.ip",
        "destination.port",
        "network.type",
        "event.category",
        "event.action",
        "process.executable",
        "hanoi.auditd.partial",
    ) == {
        "destination.ip": "216.58.192.46",
        "destination.port": 80,
        "network.type": "ipv4",
        "event.category": "network",
        "event.action": "connect",
        "process.executable": "/usr/bin/curl",
        "hanoi.auditd.partial": True,
    }


def test_ipv6_sockaddr() -> None:
    lines = [
        CURL_CONNECT[0].replace(":87)", ":88)"),
        # AF_INET6 (0A00), port 443, flow 0, 2001:db8::1337, scope 0
        "type=SOCKADDR msg=audit(1453600330.654:88):"
        " saddr=0A0001BB0000000020010DB800000000000000000000133700000000",
        "type=EOE msg=audit(1453600330.654:88): ",
    ]
    [event] = feed(AuditJoiner(), parsed(lines))
    assert pick(event.fields, "destination.ip", "destination.port", "network.type") == {
        "destination.ip": "2001:db8::1337",
        "destination.port": 443,
        "network.type": "ipv6",
    }


def test_interleaved_events_and_hosts_are_kept_apart() -> None:
    crontab, rhel = parsed(CRONTAB), parsed(RHEL_OPEN, start=100)
    # The same serial from another host (node=) is another event.
    other = parsed(["node=db01 " + line for line in CRONTAB], start=200)
    mixed = [e for trio in zip(crontab, rhel, other, strict=False) for e in trio]
    mixed += crontab[len(rhel) :] + other[len(rhel) :]
    joined = feed(AuditJoiner(), mixed)
    assert sorted(e.fields["hanoi.auditd.record_types"] for e in joined) == [
        "SYSCALL CWD PATH PROCTITLE",
        "SYSCALL EXECVE CWD PATH PATH PROCTITLE",
        "SYSCALL EXECVE CWD PATH PATH PROCTITLE",
    ]
    nodes = sorted(str(e.fields.get("hanoi.auditd.node")) for e in joined)
    assert nodes == ["None", "None", "db01"]


def test_an_event_whose_eoe_never_comes_is_emitted_partial_after_the_timeout() -> None:
    clock = Clock()
    joiner: AuditJoiner[int] = AuditJoiner(2.0, clock=clock)
    assert feed(joiner, parsed(CRONTAB[:3])) == []
    clock.now += 1.9
    assert joiner.expire() == []
    clock.now += 0.2
    [joined] = joiner.expire()
    assert joined.event.fields["hanoi.auditd.partial"] is True
    assert joined.event.fields["process.command_line"] == "crontab -l /tmp/báo cáo"
    assert joined.event.fields["process.executable"] == "/usr/bin/crontab"
    assert len(joiner) == 0


def test_eoe_completes_at_once_and_late_records_start_a_new_event() -> None:
    joiner: AuditJoiner[int] = AuditJoiner(2.0, clock=Clock())
    events = parsed(CRONTAB)
    assert feed(joiner, events[:-1]) == []
    [done] = joiner.add(events[-1], 0)
    assert "hanoi.auditd.partial" not in done.event.fields
    assert len(joiner) == 0


def test_user_space_records_are_not_held() -> None:
    [login] = parsed(
        [
            "type=USER_LOGIN msg=audit(1709622200.001:8850): pid=2412 uid=0 auid=1000 ses=4"
            ' msg=\'op=login acct="nguyenvana" exe="/usr/sbin/sshd" hostname=? addr=203.0.113.7'
            " terminal=sshd res=success'"
        ]
    )
    assert not is_joinable(login)


def test_open_events_are_bounded() -> None:
    joiner: AuditJoiner[int] = AuditJoiner(60.0, max_open=2, clock=Clock())
    syscalls = [
        parsed([CRONTAB[0].replace(":9120)", f":{serial})")], start=serial)[0]
        for serial in (1, 2, 3)
    ]
    assert feed(joiner, syscalls[:2]) == []
    [evicted] = feed(joiner, syscalls[2:])
    assert evicted.fields["hanoi.auditd.sequence"] == 1
    assert evicted.fields["hanoi.auditd.partial"] is True


def test_a_lone_eoe_still_makes_an_event() -> None:
    event = join_records(parsed(["type=EOE msg=audit(1795748430.512:9121): "]))
    assert event.fields["hanoi.auditd.record_type"] == "EOE"


def test_syslog_wrapped_records_join() -> None:
    # audisp-syslog (LOG_INFO, facility local6) as rsyslog forwards it: "audispd:" tag on
    # older releases, "audisp-syslog:" on audit 3.x; the record follows the tag.
    lines = [
        f"<182>Dec  3 07:40:30 web01 audisp-syslog: {line}" if i % 2 else
        f"<182>Dec  3 07:40:30 web01 audispd: {line}"
        for i, line in enumerate(CRONTAB)
    ]  # fmt: skip
    events = parsed(lines)
    [event] = feed(AuditJoiner(), events)
    assert event.fields["process.command_line"] == "crontab -l /tmp/báo cáo"
    assert event.fields["process.executable"] == "/usr/bin/crontab"
    assert event.fields["host.name"] == "web01"
