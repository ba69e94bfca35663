"""The peers of bench_parse.py: rsyslog and syslog-ng parsing the bench's lines with their own
parsers and writing one JSON document per line to a file.

Each daemon is started the way the sender tests start it (:mod:`tests.senders.programs`); once
it is up, the lines are handed to it (rsyslog: one TCP connection to an ``imptcp`` input, a
network input so that its RFC 3164 parser reads the hostname; syslog-ng: appended to the file
its ``file()`` source follows) and the daemon's CPU seconds (user + system of every thread,
from ``/proc/<pid>/stat``) are counted until its output has every line. The rate is lines per
CPU second, which is what "per core" means on a shared machine. The peer's figure includes
reading its input and writing its output, which ours leaves out.

What each peer does per format is the nearest thing it has to our parser (RSYSLOG and
SYSLOG_NG below): syslog headers by its RFC 5424/3164 parser (``auth`` and ``auto``: headers
only), key=value by ``kv-parser``/``linux-audit-parser`` or liblognorm's name-value-list
(values keep their quotes), web access logs by a ``csv-parser``/liblognorm rule, CEF by
csv-parser + kv-parser (syslog-ng's csv-parser does not honour ``\\|`` outside quotes) or a
liblognorm rule for the header only (rsyslog), JSON by ``json-parser``/``mmjsonparse``. A peer
does less than ours (no ECS mapping, no categories, no related.*, no checks against hostile
input); the ratio says what that work costs us.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.senders.programs import SYSLOG_NG_ROOT, Daemon, rsyslog, syslog_ng

MAIN_SYSLOG_NG = Path("/work/main/var/tools/syslog-ng")  # a worktree has no var/tools
STALL_SECONDS = 15  # no new output line for this long: the peer gave up on some

# --- rsyslog: imptcp (a network input: its parser chain reads the hostname, which it does not
# for a file; octet-counted framing off, or a line starting with digits, such as an access log's
# client address, is read as a frame length), a ruleset's actions, omfile -----------------------
_RSYSLOG_INPUTS = """module(load="imptcp")
module(load="mmjsonparse")
module(load="mmnormalize")
template(name="everything" type="string" string="%jsonmesg%\\n")
template(name="parsed" type="string" string="%$!%\\n")
input(type="imptcp" port="{port}" address="127.0.0.1" ruleset="forward"
      SupportOctetCountedFraming="off")
"""
_RULEBASES = {
    "access": (
        "version=2\n"
        'rule=:%client:word% %ident:word% %auth:word% [%time:char-to{"extradata":"]"}%] '
        '"%method:word% %target:word% HTTP/%version:char-to{"extradata":"\\""}%" '
        '%status:number% %bytes:number% "%referrer:char-to{"extradata":"\\""}%" '
        '"%agent:char-to{"extradata":"\\""}%"%extra:rest%\n'
    ),
    "pairs": 'version=2\nrule=:%-:char-to{"extradata":">"}%>%pairs:name-value-list%\n',
    "audit": "version=2\nrule=:%pairs:name-value-list%\n",
    "cef": (
        "version=2\n"
        "rule=:<%pri:number%>%time:date-rfc3164% %host:word% CEF:%version:number%|"
        '%vendor:char-to{"extradata":"|"}%|%product:char-to{"extradata":"|"}%|'
        '%product_version:char-to{"extradata":"|"}%|%signature:char-to{"extradata":"|"}%|'
        "%name:rest%\n"
    ),
}
_HEADERS = '  action(type="omfile" file="{output}" template="everything")'


def _normalized(rulebase: str) -> str:
    return (
        f'  action(type="mmnormalize" rulebase="{{workdir}}/{rulebase}.rb" useRawMsg="on")\n'
        '  action(type="omfile" file="{output}" template="parsed")'
    )


_JSON = (
    '  action(type="mmjsonparse" cookie="" useRawMsg="on")\n'
    '  action(type="omfile" file="{output}" template="parsed")'
)
RSYSLOG: dict[str, str] = {  # format -> actions
    "rfc3164": _HEADERS,
    "rfc5424": _HEADERS,
    "auth": _HEADERS,
    "auditd": _normalized("audit"),
    "nginx": _normalized("access"),
    "apache": _normalized("access"),
    "json": _JSON,
    "fortigate": _normalized("pairs"),
    "cef": _normalized("cef"),
    "windows": _JSON,
    "auto": _HEADERS,
}

# --- syslog-ng: a file source without parsing, a parser, format-json -------------------------
_SYSLOG = "syslog-parser(flags(syslog-protocol))"
_ACCESS = (
    'csv-parser(columns("client","ident","auth","time","request","status","bytes",'
    '"referrer","agent","extra") delimiters(" ") quote-pairs(\'""[]\') flags(greedy) '
    'prefix(".web.")); date-parser(format("%d/%b/%Y:%H:%M:%S %z") template("${.web.time}")); '
    'csv-parser(columns("method","target","version") delimiters(" ") '
    'template("${.web.request}") prefix(".web."))'
)
_CEF = (
    _SYSLOG + '; csv-parser(columns("version","vendor","product","product_version",'
    '"signature","name","severity","extensions") delimiters("|") '
    'dialect(escape-backslash) flags(greedy) template("$MESSAGE") prefix(".cef.")); '
    'kv-parser(template("${.cef.extensions}") prefix(".cef.ext."))'
)
SYSLOG_NG: dict[str, str] = {  # format -> parsers
    "rfc3164": _SYSLOG,
    "rfc5424": _SYSLOG,
    "auth": _SYSLOG,
    "auditd": 'linux-audit-parser(prefix(".auditd."))',
    "nginx": _ACCESS,
    "apache": _ACCESS,
    "json": 'json-parser(prefix(".json."))',
    "fortigate": 'kv-parser(prefix(".fortigate."))',
    "cef": _CEF,
    "windows": 'json-parser(prefix(".json."))',
    "auto": _SYSLOG,
}
_SYSLOG_NG_STATEMENTS = """source s_bench {{ file("{input}" flags(no-parse) follow-freq(0.05)
    log-fetch-limit(1000) log-iw-size(100000) log-msg-size(65536)); }};
destination d_bench {{ file("{output}" template("$(format-json --scope rfc5424 --scope dot-nv-pairs
    --key ISODATE --key HOST --key MESSAGE)\\n")); }};
log {{ source(s_bench); parser {{ {parsers}; }}; destination(d_bench); flags(flow-control); }};
"""


@dataclass(frozen=True)
class PeerRun:
    """A configured daemon, and how to hand it the lines once it is up."""

    daemon: Daemon
    feed: Callable[[bytes], None]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send(port: int) -> Callable[[bytes], None]:
    def feed(data: bytes) -> None:
        deadline = time.monotonic() + 10
        while True:  # the listener opens right after the daemon's socket
            try:
                with socket.create_connection(("127.0.0.1", port)) as connection:
                    connection.sendall(data)
                return
            except ConnectionRefusedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    return feed


def _append(path: Path) -> Callable[[bytes], None]:
    def feed(data: bytes) -> None:
        with path.open("ab") as sink:
            sink.write(data)

    return feed


def _rsyslog(name: str, workdir: Path, output: Path) -> PeerRun | str:
    if shutil.which("rsyslogd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin") is None:
        return "rsyslogd is not installed"
    for rulebase, rules in _RULEBASES.items():
        (workdir / f"{rulebase}.rb").write_text(rules, encoding="utf-8")
    port = _free_port()
    actions = RSYSLOG[name].format(output=output, workdir=workdir)
    daemon = rsyslog(
        workdir, actions, inputs=_RSYSLOG_INPUTS.format(port=port), keep_timestamps=True
    )
    return PeerRun(daemon, _send(port))


def _syslog_ng(name: str, workdir: Path, output: Path) -> PeerRun | str:
    root = next(
        (r for r in (SYSLOG_NG_ROOT, MAIN_SYSLOG_NG) if (r / "usr/sbin/syslog-ng").exists()), None
    )
    if root is None:
        return f"syslog-ng is not unpacked in {SYSLOG_NG_ROOT} (deploy/dev/install-test-tools)"
    source = workdir / "input.log"
    source.touch()
    statements = _SYSLOG_NG_STATEMENTS.format(input=source, output=output, parsers=SYSLOG_NG[name])
    daemon = syslog_ng(workdir, 'file("/dev/null")', statements=statements, root=root)
    return PeerRun(daemon, _append(source))


PEERS: dict[str, Callable[[str, Path, Path], PeerRun | str]] = {
    "rsyslog": _rsyslog,
    "syslog-ng": _syslog_ng,
}


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _lines_in(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as output:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: output.read(1 << 20), b""))


def peer_rate(peer: str, name: str, lines: list[str]) -> float | str:
    """Lines per CPU second of ``peer`` parsing ``lines`` as format ``name``, or the reason it
    could not be measured."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{peer}-") as directory:
        workdir = Path(directory)
        output = workdir / "output.json"
        run = PEERS[peer](name, workdir, output)
        if isinstance(run, str):
            return run
        try:
            run.daemon.start()
            process = run.daemon.process
            assert process is not None
            time.sleep(1)  # let it settle: its start-up is not parsing
            before = _cpu_seconds(process.pid)
            run.feed(("\n".join(lines) + "\n").encode())
            written, progress = 0, time.monotonic()
            while written < len(lines):
                time.sleep(0.2)
                if (now := _lines_in(output)) > written:
                    written, progress = now, time.monotonic()
                if time.monotonic() - progress > STALL_SECONDS or process.poll() is not None:
                    tail = run.daemon.output()[-600:]
                    return f"{peer} wrote {written} of {len(lines)} lines; its log: {tail}"
            spent = _cpu_seconds(process.pid) - before
        finally:
            run.daemon.stop()
    return len(lines) / spent if spent > 0 else float("inf")
