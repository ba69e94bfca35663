"""Socket address helpers shared by the network sources."""

from __future__ import annotations

import socket
from typing import Any


def family_for(host: str) -> socket.AddressFamily:
    """IPv6 for a literal IPv6 host ("::", "::1"), IPv4 otherwise."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def peer_text(address: Any) -> str:
    """``host:port``, with IPv6 hosts in brackets; what Origin.peer holds."""
    if isinstance(address, tuple) and len(address) >= 2:
        host, port = address[0], address[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return str(address)
