"""The source contract: something that reads records in threads until it is stopped."""

from __future__ import annotations

from abc import abstractmethod

from canhgac.lifecycle import Service


class Source(Service):
    """A running input. ``start`` returns at once (the work happens in non-daemon threads);
    ``stop`` closes sockets and files, joins the threads and sends what is still batched."""

    name: str

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...
