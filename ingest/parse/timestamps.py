"""Timestamps found in log records, normalised to canonical UTC strings.

Every function returns the string form of :mod:`canhgac.timeutil` (``...ffffffZ``) or ``None``
when the text is not a time it understands; the caller then falls back to the receive time and
flags the event. Log lines repeat the same second many times, so conversions are cached by
their exact text: on the hot path a timestamp usually costs one dictionary look-up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from canhgac.errors import ParseError
from ingest.parse.base import DEFAULT_TIMEZONE, Origin

DEFAULT_ZONE = DEFAULT_TIMEZONE
MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
        start=1,
    )
}
_EPOCH = datetime(1970, 1, 1)
_ONE_DAY = timedelta(days=1)


def zone_of(origin: Origin) -> str:
    """The zone for times written without one (RFC 3164, error logs, nxlog, FortiGate)."""
    return origin.timezone or DEFAULT_ZONE


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ParseError(f"unknown timezone {name!r} in the source configuration") from None


def canonical(moment: datetime) -> str:
    """The canonical UTC string of :mod:`canhgac.timeutil`, built without ``strftime``.

    ``isoformat`` is several times faster; it omits a zero fraction, which is added back.
    """
    if moment.tzinfo is None:
        text = moment.isoformat()
    else:
        moment = moment.astimezone(UTC)
        text = moment.isoformat()[:-6]  # drop "+00:00"
    return text + "Z" if moment.microsecond else text + ".000000Z"


def local(moment: datetime, zone: str) -> str | None:
    """A wall-clock time in ``zone`` (naive) or an aware time, as canonical UTC."""
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=_zone(zone))
        return canonical(moment)
    except (OverflowError, ValueError):
        return None


# A time to the second with a fraction (the RFC 3339 shape of RFC 5424 and most JSON logs):
# lines repeat the second but rarely the fraction, so the second is converted once (cached)
# and the fraction appended. Zone offsets are whole minutes, so they never move the fraction.
_FRACTION = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)[.,](\d{1,6})(Z|[+-]\d\d:?\d\d)?")


def iso8601(text: str, zone: str) -> str | None:
    """ISO 8601 / RFC 3339 (``Z``, ``+07:00``, ``+0700``, space or ``T``); no offset = ``zone``."""
    size = len(text)
    if size > 64:
        return None
    # A fraction takes at least 21 characters (the second's 19, a point, a digit): a shorter
    # time (NXLog's "2024-03-05 14:00:00") is not tried against the pattern.
    parts = _FRACTION.fullmatch(text) if size > 20 else None
    if parts is None:
        return _iso8601(text, zone)
    second, fraction, offset = parts.groups()
    head = _head_of_second(second, offset, zone)
    return None if head is None else head + fraction.ljust(6, "0") + "Z"


@lru_cache(maxsize=8192)
def _head_of_second(second: str, offset: str | None, zone: str) -> str | None:
    """The canonical UTC time of ``second`` up to its fraction (``2024-03-05T07:00:00.``)."""
    whole = _iso8601(second + offset if offset else second, zone)
    return None if whole is None else whole[:-7]


@lru_cache(maxsize=8192)
def _iso8601(text: str, zone: str) -> str | None:
    try:
        return local(datetime.fromisoformat(text), zone)
    except ValueError:
        return None


def from_micros(micros: int) -> str | None:
    """Microseconds since 1970 as canonical UTC."""
    seconds, fraction = divmod(micros, 1_000_000)
    whole = _from_seconds(seconds)
    return None if whole is None else f"{whole[:-7]}{fraction:06d}Z"


@lru_cache(maxsize=4096)  # many records share a second: convert it once
def _from_seconds(seconds: int) -> str | None:
    try:
        return canonical(_EPOCH + timedelta(seconds=seconds))
    except (OverflowError, ValueError):
        return None


def epoch(value: float | int) -> str | None:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970, told apart by size."""
    size = abs(value)
    scale = 1e6 if size < 1e11 else 1e3 if size < 1e14 else 1.0 if size < 1e17 else 1e-3
    try:
        if isinstance(value, int):
            # Integer arithmetic keeps nanosecond epochs exact.
            micros = value * int(scale) if scale >= 1 else value // 1000
        else:
            micros = round(value * scale)
    except (OverflowError, ValueError):
        return None
    return from_micros(micros)


def epoch_text(text: str) -> str | None:
    """An epoch time written as text: digits with an optional fraction."""
    if not text or len(text) > 24:
        return None
    try:
        if text.isdigit():
            return epoch(int(text))
        return epoch(float(text))
    except ValueError:
        return None


def any_time(value: object, zone: str) -> str | None:
    """A JSON value that holds a time: ISO 8601 text, or epoch as a number or digits."""
    if type(value) is str:  # the usual case first; the same path as any other str below
        return _text_time(value, zone)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return epoch(value)
    if isinstance(value, str):
        return _text_time(value, zone)
    return None


def _text_time(value: str, zone: str) -> str | None:
    stripped = value.strip()
    # An ISO date ("2024-...") is never epoch digits: no copy of the text is needed to see it.
    if stripped[:1].isdigit() and stripped[4:5] != "-" and stripped.replace(".", "", 1).isdigit():
        return epoch_text(stripped)
    return iso8601(stripped, zone)


@lru_cache(maxsize=64)
def _reference(received_at: str, zone: str) -> tuple[int, str]:
    """The receive year in ``zone`` and the latest plausible time (receive time + 1 day)."""
    try:
        received = datetime.fromisoformat(received_at.replace("Z", "+00:00"))
    except ValueError:
        received = datetime.now(UTC)
    if received.tzinfo is None:
        received = received.replace(tzinfo=UTC)
    return received.astimezone(_zone(zone)).year, canonical(received + _ONE_DAY)


@lru_cache(maxsize=8192)
def _bsd_in_year(stamp: str, year: int, zone: str) -> str | None:
    """``Mmm dd [yyyy] hh:mm:ss[.fff]`` in ``year`` (unless the stamp carries its own)."""
    parts = stamp.split()
    month = MONTHS.get(parts[0].title()) if parts else None
    if month is None or len(parts) not in (3, 4):
        return None
    try:
        if len(parts) == 4:
            year = int(parts[2])
        clock, _, fraction = parts[-1].partition(".")
        hour, minute, second = clock.split(":")
        micros = int((fraction + "000000")[:6]) if fraction else 0
        moment = datetime(year, month, int(parts[1]), int(hour), int(minute), int(second), micros)
    except ValueError:
        return None
    return local(moment, zone)


@lru_cache(maxsize=8192)
def bsd(stamp: str, received_at: str, zone: str) -> str | None:
    """An RFC 3164 timestamp, which has no year and no zone.

    The year is the receive year in ``zone``; a result more than a day after the receive time
    means the record is from last year (a December line read in January).
    """
    year, latest = _reference(received_at, zone)
    result = _bsd_in_year(stamp, year, zone)
    if result is None or result > latest:
        # Also retries 29 February read in a non-leap year.
        earlier = _bsd_in_year(stamp, year - 1, zone)
        if earlier is not None and earlier <= latest:
            return earlier
    return result


def bsd_of(stamp: str, origin: Origin) -> str | None:
    """An RFC 3164 timestamp of a record from ``origin``: in its zone, and in its configured
    year when it has one (an archived file), else in the year :func:`bsd` infers."""
    zone = zone_of(origin)
    if origin.year is not None:
        return _bsd_in_year(stamp, origin.year, zone)
    return bsd(stamp, origin.received_at, zone)


def ctime(stamp: str, zone: str) -> str | None:
    """``Sun Dec 01 10:00:00[.123456] 2024`` (Apache's error log, C ``ctime`` order)."""
    parts = stamp.split()
    if len(parts) != 5:
        return None
    _, month, day, clock, year = parts
    if not (year.isdigit() and year.isascii() and len(year) == 4):
        return None
    return _bsd_in_year(f"{month} {day} {clock}", int(year), zone)


@lru_cache(maxsize=8192)
def clf(stamp: str) -> str | None:
    """Common log format ``05/Mar/2024:14:02:11 +0700`` (optionally with ``.mmm``).

    Parsed by position, not ``strptime``: ``%b`` follows the process locale.
    """
    clock, _, offset = stamp.partition(" ")
    try:
        day, month_name, rest = clock.split("/", 2)
        year, hour, minute, second = rest.split(":")
        second, _, fraction = second.partition(".")
        micros = int((fraction + "000000")[:6]) if fraction else 0
        moment = datetime(
            int(year), MONTHS[month_name.title()], int(day), int(hour), int(minute), int(second)
        ).replace(microsecond=micros)
        if offset:
            sign = -1 if offset[0] == "-" else 1
            digits = offset.lstrip("+-").replace(":", "")
            if len(digits) != 4 or not digits.isdigit():
                return None
            moment -= sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return canonical(moment)
    except (KeyError, ValueError, OverflowError):
        return None
