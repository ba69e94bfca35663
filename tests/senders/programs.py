"""The real sender programs, each run privately in a test's own directory: rsyslogd and
syslog-ng with their own configuration, pid file, work directory and local socket (never the
system instance, never /dev/log), and util-linux ``logger``.

A missing program fails the test with the command that installs it; it never skips.
Every program runs with ``TZ=Asia/Ho_Chi_Minh``, as the city's servers do, so the zone of a
timestamp written without one (RFC 3164) is the one the pipeline assumes by default.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.city_traffic import wait_for

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "deploy/dev/install-test-tools"
# syslog-ng's Debian package conflicts with rsyslog's, so the install script unpacks it here.
SYSLOG_NG_ROOT = ROOT / "var" / "tools" / "syslog-ng"
SYSLOG_NG_VERSION = "3.38"
SERVER_ZONE = "Asia/Ho_Chi_Minh"


def program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        pytest.fail(f"{name} is not installed: run {INSTALL} (as root)", pytrace=False)
    return found


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["TZ"] = SERVER_ZONE
    env.update(extra)
    return env


@dataclass
class Daemon:
    """A syslog daemon in the foreground; ready once its local socket exists."""

    argv: list[str]
    workdir: Path
    socket: Path
    env: dict[str, str] = field(default_factory=_env)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.workdir / "daemon.log"

    def start(self) -> None:
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                self.argv, cwd=self.workdir, env=self.env, stdout=sink, stderr=subprocess.STDOUT
            )
        wait_for(self._ready, 10, f"{self.argv[0]} to open {self.socket}")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.argv[0]} exited:\n{self.output()}")
        return self.socket.is_socket()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# Starts a daemon for the duration of a test (the ``start_daemon`` fixture).
StartDaemon = Callable[[Daemon], Daemon]


# --- rsyslog ---------------------------------------------------------------------------------
def rsyslog(
    workdir: Path,
    actions: str,
    *,
    inputs: str = "",
    hostname: str | None = None,
    keep_timestamps: bool = False,
) -> Daemon:
    """rsyslogd reading a private local socket (and ``inputs``) into ``actions``.

    The inputs feed a ruleset of their own, so rsyslog's own start/stop messages are not
    forwarded. Rate limiting is off: one process logging an attack's lines is the point.
    ``keep_timestamps``: use the time a program wrote in its record, not the arrival time.
    """
    socket = workdir / "log.sock"
    host = f' localHostname="{hostname}"' if hostname else ""
    # Both default to "on": the arrival time, from the message's socket credentials.
    ignore = "off" if keep_timestamps else "on"
    config = workdir / "rsyslog.conf"
    config.write_text(
        f"""global(workDirectory="{workdir}"{host})
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}" RateLimit.Interval="0" IgnoreTimestamp="{ignore}"
      UseSysTimeStamp="{ignore}" ruleset="forward")
{inputs}
ruleset(name="forward") {{
{actions}
}}
""",
        encoding="utf-8",
    )
    argv = [program("rsyslogd"), "-n", "-f", str(config), "-i", str(workdir / "rsyslogd.pid")]
    return Daemon(argv, workdir, socket)


def omfwd(port: int, protocol: str, template: str | None, framing: str | None = None) -> str:
    """An omfwd action; ``template`` None leaves omfwd's default (BSD syslog)."""
    framed = f' TCP_Framing="{framing}"' if framing else ""
    templated = f' template="{template}"' if template else ""
    return (
        f'  action(type="omfwd" target="127.0.0.1" port="{port}" protocol="{protocol}"'
        f"{framed}{templated})"
    )


# --- syslog-ng -------------------------------------------------------------------------------
def syslog_ng(
    workdir: Path, destination: str, *, statements: str = "", root: Path = SYSLOG_NG_ROOT
) -> Daemon:
    """syslog-ng (unpacked by the install script under ``root``) reading a private local
    socket into ``destination`` (a destination driver, e.g. ``syslog("127.0.0.1" ...)``).
    ``statements`` are more top-level configuration (sources, parsers, log paths)."""
    binary = root / "usr" / "sbin" / "syslog-ng"
    if not binary.exists():
        pytest.fail(f"syslog-ng is not unpacked in {root}: run {INSTALL}", pytrace=False)
    socket = workdir / "log.sock"
    config = workdir / "syslog-ng.conf"
    config.write_text(
        f"""@version: {SYSLOG_NG_VERSION}
options {{ use-dns(no); dns-cache(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0); }};
source s_local {{ unix-dgram("{socket}"); }};
destination d_canhgac {{ {destination}; }};
log {{ source(s_local); destination(d_canhgac); }};
{statements}
""",
        encoding="utf-8",
    )
    libs = root / "usr" / "lib" / "syslog-ng"
    argv = [
        str(binary),
        "--foreground",
        "--stderr",
        "--no-caps",
        f"--module-path={libs / SYSLOG_NG_VERSION}",
        f"--cfgfile={config}",
        f"--persist-file={workdir / 'syslog-ng.persist'}",
        f"--pidfile={workdir / 'syslog-ng.pid'}",
        f"--control={workdir / 'syslog-ng.ctl'}",
    ]
    return Daemon(argv, workdir, socket, env=_env(LD_LIBRARY_PATH=str(libs)))


# --- logger ----------------------------------------------------------------------------------
def logger(
    options: Sequence[str],
    tag: str,
    pid: int,
    priority: str,
    lines: Sequence[str],
    zone: str = SERVER_ZONE,
) -> None:
    """util-linux logger sending ``lines`` (one message each, read from its standard input)
    as program ``tag[pid]`` with ``priority``, on a host whose clock is in ``zone``;
    ``options`` say where and how."""
    argv = [program("logger"), *options, "-t", tag, f"--id={pid}", "-p", priority]
    done = subprocess.run(
        argv,
        input="\n".join(lines).encode() + b"\n",
        env=_env(TZ=zone),
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed: {done.stderr.decode(errors='replace')}"


def to_socket(socket: Path) -> list[str]:
    """logger options for a local program writing to a daemon's socket, like syslog(3)."""
    return ["-u", str(socket), "--socket-errors=on"]


def to_network(port: int, transport: str, *formats: str) -> list[str]:
    flag = {"tcp": "--tcp", "udp": "--udp"}[transport]
    return ["-n", "127.0.0.1", "-P", str(port), flag, *formats]
