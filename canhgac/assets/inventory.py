"""The running inventory: loaded at start, reloaded when its file changes.

A thread polls the file's modification time and size every ``reload_every`` (no inotify, as
the rule reloader: the same on every filesystem). A file that no longer loads keeps the last
good inventory running; the error is logged and counted in :class:`ReloadStats`, which the
composition root exposes as metrics. At start a broken file is an error: nothing has been
loaded to keep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from canhgac.assets.loader import load_inventory
from canhgac.assets.lookup import AssetIndex
from canhgac.config_assets import AssetsConfig
from canhgac.errors import CanhGacError
from canhgac.lifecycle import Periodic, Service

log = logging.getLogger(__name__)

Stamp = tuple[int, int] | None


@dataclass(slots=True)
class ReloadStats:
    reloads: int = 0
    errors: int = 0
    last_error: str | None = None


class AssetInventory(Service):
    """The current :class:`AssetIndex` (:meth:`current`), kept up to date with its file."""

    def __init__(self, config: AssetsConfig) -> None:
        self._config = config
        self._path = Path(config.path) if config.path else None
        self.stats = ReloadStats()
        self._stamp = self._stat()
        self._index = self._load()  # raises ConfigError: refuse to start on a broken file
        self._poller = Periodic(
            "asset-reloader",
            config.reload_every.total_seconds(),
            self.check,
            "asset inventory reload failed; the last good one stays",
        )

    def current(self) -> AssetIndex:
        return self._index

    def _stat(self) -> Stamp:
        if self._path is None:
            return None
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def _load(self) -> AssetIndex:
        networks = self._config.internal_networks
        if self._path is None:
            return AssetIndex.empty(networks)
        return AssetIndex(load_inventory(self._path), networks)

    def check(self) -> bool | None:
        """Reload if the file changed: True if reloaded, False if the new file was refused
        (the last good inventory stays), None if nothing changed."""
        stamp = self._stat()
        if stamp == self._stamp:
            return None
        self._stamp = stamp
        try:
            index = self._load()
        except CanhGacError as exc:
            self.stats.errors += 1
            self.stats.last_error = str(exc)
            log.error("asset inventory not reloaded, the last good one stays: %s", exc)
            return False
        self._index = index
        self.stats.reloads += 1
        self.stats.last_error = None
        log.info("asset inventory reloaded: %d assets", len(index))
        return True

    def start(self) -> None:
        if self._path is not None:
            self._poller.start()

    def stop(self) -> None:
        self._poller.stop()
