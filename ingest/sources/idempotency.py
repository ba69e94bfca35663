"""Idempotency-Keys of an HTTP source, scoped to their sender.

A key names one request *of one sender*: the record ids of a request are made from the
sender, the key and a digest of its records (:func:`request_key`), so a retry yields the same ids
and the store keeps one copy, while another sender using the same key, or the same sender
reusing a key for another body, can never make records of the first request look already
stored. A key reused with a different body is refused (:class:`RecentKeys`) rather than
answered "accepted" for records that would be new ones under the same key.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

#: Keys remembered per source (about 100 bytes each); the oldest are forgotten first. A key
#: forgotten (or one from before a restart) cannot collide anyway: its ids include the body.
REMEMBERED_KEYS = 65_536


def request_key(sender: str, idempotency_key: str | None, digest: str) -> str:
    """The position prefix of a request's records."""
    if idempotency_key:
        return f"key:{sender}:{idempotency_key}:{digest}"
    return f"body:{sender}:{digest}"


class RecentKeys:
    """The body digest each recent (sender, key) came with."""

    def __init__(self, capacity: int = REMEMBERED_KEYS) -> None:
        self._capacity = capacity
        self._digests: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, sender: str, idempotency_key: str, digest: str) -> bool:
        """False if ``sender`` used this key before with another body."""
        slot = hashlib.blake2b(
            f"{sender}\0{idempotency_key}".encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        with self._lock:
            known = self._digests.get(slot)
            if known is not None:
                self._digests.move_to_end(slot)
                return known == digest
            self._digests[slot] = digest
            if len(self._digests) > self._capacity:
                self._digests.popitem(last=False)
            return True
