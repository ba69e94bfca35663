"""The source contract: something that reads records in threads until it is stopped."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType


class Source(ABC):
    """A running input. ``start`` returns at once (the work happens in non-daemon threads);
    ``stop`` closes sockets and files, joins the threads and sends what is still batched."""

    name: str

    @abstractmethod
    def start(self) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def __enter__(self) -> Source:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
