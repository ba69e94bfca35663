"""Squid access log: the native format and the common/combined formats.

Native (``logformat squid``, Squid's default)::

    1286536309.450     99 192.168.0.68 TCP_MISS/200 507 GET http://www.google.com/ -
        DIRECT/74.125.224.116 text/html   (one line)

``time elapsed remotehost code/status bytes method URL rfc931 peerstatus/peerhost type``; the
elapsed column is space-padded (``%6tr``). ``logformat common`` and ``combined`` are the web
server formats with Squid's ``%Ss:%Sh`` (``TCP_MISS:HIER_DIRECT``) appended; they are read with
the web access log pattern. Squid-only values go under ``hanoi.squid.*``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from canhgac.errors import ParseError
from ingest.parse.access import ACCESS_LINE, decode_url_part, split_request
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import integer, is_ip, put_address, put_text
from ingest.parse.timestamps import clf, epoch_text

DATASET = "squid.access"
_PREFIX = "hanoi.squid."
_NATIVE_COLUMNS = 10
# Squid writes a URL of at most 8 KB by default; anything longer is still kept in
# event.original but not decoded.
_MAX_URL = 65536


def _put_url(fields: Fields, method: str, url: str) -> None:
    """url.* from a proxy request target: absolute URL, ``host:port`` (CONNECT) or a path."""
    fields["url.original"] = url
    if len(url) > _MAX_URL:
        return
    if method.upper() == "CONNECT" or "://" not in url and not url.startswith("/"):
        host, _, port = url.rpartition(":")
        if not host:
            host, port = url, ""
        put_address(fields, "destination", host.strip("[]"))
        if (number := integer(port)) is not None and number < 65536:
            fields["destination.port"] = number
        if not is_ip(host.strip("[]")):
            put_text(fields, "url.domain", host)
        return
    try:
        parts = urlsplit(url)
        url_port = parts.port
    except ValueError:  # a bad port or bracket: keep url.original only
        return
    hostname = parts.hostname
    if parts.scheme:
        fields["url.scheme"] = parts.scheme.lower()
    if hostname:
        fields["url.domain"] = hostname
        put_address(fields, "destination", hostname)
    if url_port is not None:
        fields["url.port"] = url_port
        fields["destination.port"] = url_port
    fields["url.path"] = decode_url_part(parts.path, plus_is_space=False)
    if parts.query:
        fields["url.query"] = decode_url_part(parts.query, plus_is_space=True)
    last = parts.path.rpartition("/")[2]
    if "." in last:
        fields["url.extension"] = last.rpartition(".")[2].lower()


def _put_status(fields: Fields, status: str) -> None:
    code = integer(status)
    if code is None:
        return
    fields["http.response.status_code"] = code
    # Squid writes 000 when no reply was sent (client aborted, denied before a reply).
    fields["event.outcome"] = "failure" if code >= 400 or code == 0 else "success"


def _put_cache_code(fields: Fields, result: str) -> None:
    fields[_PREFIX + "result_code"] = result
    if "DENIED" in result:
        fields["event.type"] = ["access", "denied"]
        fields["event.outcome"] = "failure"
        fields["event.action"] = "denied"


def _base(origin: Origin) -> Fields:
    return {
        "event.dataset": origin.dataset or DATASET,
        "event.module": "squid",
        "event.kind": "event",
        "event.category": ["network", "web"],
        "event.type": ["access", "connection"],
        "observer.vendor": "Squid",
        "observer.product": "Squid",
        "observer.type": "proxy",
    }


def _native(text: str, origin: Origin) -> Fields | None:
    columns = text.split(None, _NATIVE_COLUMNS - 1)
    if len(columns) < _NATIVE_COLUMNS - 1:
        return None
    stamp, elapsed, client, code_status, size, method, url, user, hierarchy = columns[:9]
    result, slash, status = code_status.partition("/")
    when = epoch_text(stamp)
    if when is None or not slash or not result.isupper() or integer(elapsed) is None:
        return None
    fields = _base(origin)
    fields["@timestamp"] = when
    fields["event.duration"] = (integer(elapsed) or 0) * 1_000_000  # ms -> ns
    put_address(fields, "source", client)
    _put_status(fields, status)
    _put_cache_code(fields, result)
    fields["http.response.bytes"] = integer(size) or 0
    fields["http.request.method"] = method.upper()
    _put_url(fields, method, url)
    put_text(fields, "user.name", user)
    peer_code, _, peer = hierarchy.partition("/")
    fields[_PREFIX + "hierarchy_code"] = peer_code
    put_text(fields, _PREFIX + "peer_host", peer)
    if is_ip(peer):
        fields["destination.ip"] = peer
    if len(columns) == _NATIVE_COLUMNS:
        put_text(fields, "http.response.mime_type", columns[9].strip())
    return fields


def _common(text: str, origin: Origin) -> Fields | None:
    match = ACCESS_LINE.match(text)
    if match is None:
        return None
    client, _, user, stamp, request, status, size, referrer, agent, extra = match.groups()
    fields = _base(origin)
    when = clf(stamp)
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
    put_address(fields, "source", client)
    put_text(fields, "user.name", user)
    parsed = split_request(request)
    if parsed is not None:
        method, target, version = parsed
        fields["http.request.method"] = method.upper()
        _put_url(fields, method, target)
        put_text(fields, "http.version", version)
    _put_status(fields, status)
    fields["http.response.bytes"] = integer(size) or 0
    put_text(fields, "http.request.referrer", referrer)
    put_text(fields, "user_agent.original", agent)
    # %Ss:%Sh, the last column of Squid's common and combined formats.
    result, colon, hierarchy = extra.strip().partition(":")
    if colon and result.isupper():
        _put_cache_code(fields, result)
        fields[_PREFIX + "hierarchy_code"] = hierarchy
    return fields


def parse_squid(text: str, origin: Origin) -> Fields:
    fields = _native(text, origin) if text[:1].isdigit() else None
    if fields is None:
        fields = _common(text, origin)
    if fields is None:
        raise ParseError("not a Squid access log line (native, common or combined format)")
    return fields
