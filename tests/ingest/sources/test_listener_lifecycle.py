"""The lifecycle the network sources share (ingest.sources.listener): bind on start, one named
serving thread, stop joins it and releases the port; a taken port fails start cleanly."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from canhgac.config import HttpSourceConfig, SyslogTcpSourceConfig, SyslogUdpSourceConfig
from ingest.sources.http import HttpSource
from ingest.sources.listener import ListeningSource
from ingest.sources.syslog_tcp import SyslogTcpSource
from ingest.sources.syslog_udp import SyslogUdpSource
from ingest.transport.memory import MemoryTransport

# port -> a source named "probe" on 127.0.0.1:port
Build = Callable[[int], ListeningSource]

BUILDERS: dict[str, Build] = {
    "tcp": lambda port: SyslogTcpSource(
        SyslogTcpSourceConfig(name="probe", port=port, parser="raw"), MemoryTransport(8)
    ),
    "udp": lambda port: SyslogUdpSource(
        SyslogUdpSourceConfig(name="probe", port=port, parser="raw"), MemoryTransport(8)
    ),
    "http": lambda port: HttpSource(HttpSourceConfig(name="probe", port=port), MemoryTransport(8)),
}


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name]


@pytest.mark.parametrize("protocol", sorted(BUILDERS))
def test_start_serves_in_one_named_thread_and_stop_releases_everything(protocol: str) -> None:
    source = BUILDERS[protocol](0)
    source.stop()  # stopping a source that never started does nothing
    source.start()
    host, port = source.address
    assert (host, port != 0) == ("127.0.0.1", True)
    assert len(_threads(f"{protocol}-probe")) == 1
    source.stop()
    assert _threads(f"{protocol}-probe") == []
    with pytest.raises(RuntimeError, match="not started"):
        _ = source.address
    again = BUILDERS[protocol](port)  # the port was released
    with again:
        assert again.address == (host, port)


@pytest.mark.parametrize("protocol", sorted(BUILDERS))
def test_a_taken_port_fails_start_and_leaves_no_thread(protocol: str) -> None:
    with BUILDERS[protocol](0) as first:
        second = BUILDERS[protocol](first.address[1])
        with pytest.raises(OSError):
            second.start()
        assert len(_threads(f"{protocol}-probe")) == 1  # only the first one's
        with pytest.raises(RuntimeError, match="not started"):
            _ = second.address
        second.stop()
