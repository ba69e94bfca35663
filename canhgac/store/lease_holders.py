"""Who holds a lease (``host:pid:random``), and whether that process is known to be gone.

A process killed with SIGKILL (or by the OOM killer) cannot release its leases.
Without this, the process that replaces it on the same host waited out each lease's ttl before
taking over: ten minutes without detection after ``kill -9`` and a restart of ``canhgac run``.
Both stores therefore also grant a lease whose holder is a process of *this* host that no longer
exists.

Only a holder on this host is judged, and only "gone" is trusted: a pid that exists (even one
reused by an unrelated process) counts as alive, so a mistake only delays the takeover until the
ttl. Holders on other hosts, and owners not in this form, wait for the ttl as before. Hosts that
share a hostname without sharing a pid namespace (containers given the same name) must not share
a store, or one would take over the other's live leases: no alert is lost or doubled then (see
:mod:`alerting.detect.run.lease`), only work repeated.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid

log = logging.getLogger(__name__)


def default_owner() -> str:
    """Unique per process, readable in the lease documents: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(owner: str) -> bool:
    """True if ``owner`` names a process of this host that no longer runs."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return False
    host, pid = parts[0], int(parts[1])
    if host != socket.gethostname() or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # exists under another user / not a real pid
        return False
    return False


def log_takeover(name: str, holder: str) -> None:
    """Say that ``name`` changed hands without its holder's release (both stores log alike)."""
    log.info("lease %s taken over from %s, a process of this host that has died", name, holder)
