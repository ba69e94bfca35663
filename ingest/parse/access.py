"""Web access logs: nginx and Apache combined format, common format, and nginx variants.

``203.0.113.7 - - [05/Mar/2024:14:02:11 +0700] "GET /dich-vu-cong/ho-so?ma=HS01 HTTP/1.1"
200 5123 "https://dichvucong.hanoi.gov.vn/" "Mozilla/5.0 ..."`` optionally followed by more
fields (nginx ``"$http_x_forwarded_for"``, ``rt=$request_time`` ...).

``url.original`` is the request target as sent; ``url.path`` and ``url.query`` are
percent-decoded repeatedly (at most three rounds) so ``%253Cscript`` is seen as ``<script``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote, unquote_plus, urlsplit

from canhgac.errors import ParseError
from canhgac.text import nfc
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import integer, put_address, put_text
from ingest.parse.timestamps import clf

# The "unrolled loop" form of (?:[^"\\]|\\.)*: same language, linear, and several times
# faster in Python's engine than an alternation tried at every character.
_QUOTED = r'"([^"\\]*(?:\\.[^"\\]*)*)"'
ACCESS_LINE = re.compile(
    rf"(\S+) (\S+) (\S+) \[([^\]]{{1,64}})\] {_QUOTED} (\d{{3}}|-) (\d+|-)"
    rf"(?: {_QUOTED} {_QUOTED})?(.*)\Z",
    re.S,
)
_METHOD = re.compile(r"[A-Za-z][\w-]*")
_VERSION = re.compile(r"HTTP/(\d+(?:\.\d+)?)")
_EXTRA_PAIR = re.compile(r'(?<!\w)(\w+)=(?:"([^"]*)"?|(\S*))')
_DECODE_ROUNDS = 3


def split_request(request: str) -> tuple[str, str, str | None] | None:
    """``GET /a b HTTP/1.1`` -> (method, target, version); the target may contain spaces.

    String operations, not a lazy regex: those try the tail at every character.
    """
    method, space, rest = request.partition(" ")
    if not space or not rest or rest[0] == " " or not _METHOD.fullmatch(method):
        return None
    target, space, last = rest.rpartition(" ")
    if space and (version := _VERSION.fullmatch(last)):
        return method, target, version.group(1)
    return method, rest, None


@lru_cache(maxsize=4096)  # web logs repeat their URLs (pages, assets) all the time
def decode_url_part(text: str, plus_is_space: bool) -> str:
    """Percent-decode until stable, at most three rounds, so double encoding is undone.

    ``+`` means space only in the first round of a query: a decoded ``%2B`` is a real plus.
    """
    if "%" not in text and not (plus_is_space and "+" in text):
        return text
    value = unquote_plus(text) if plus_is_space else unquote(text)
    for _ in range(_DECODE_ROUNDS - 1):
        if "%" not in value:
            break
        decoded = unquote(value)
        if decoded == value:
            break
        value = decoded
    # Decoding can yield decomposed diacritics (qua%CC%89n): store NFC like all text.
    return nfc(value)


def _url(fields: Fields, target: str) -> None:
    fields["url.original"] = target
    if target.startswith(("http://", "https://")):
        try:
            parts = urlsplit(target)
        except ValueError:
            return
        put_text(fields, "url.domain", parts.hostname)
        path, query = parts.path, parts.query
        has_query = bool(query)
    else:
        path, mark, query = target.partition("?")
        has_query = bool(mark)
    fields["url.path"] = decode_url_part(path, plus_is_space=False)
    if has_query:
        fields["url.query"] = decode_url_part(query, plus_is_space=True)


def put_request(fields: Fields, request: str) -> bool:
    """Method, URL and HTTP version of a request line; False if it is not one."""
    parsed = split_request(request)
    if parsed is None:
        return False
    method, target, version = parsed
    fields["http.request.method"] = method.upper()
    _url(fields, target)
    if version:
        fields["http.version"] = version
    return True


def _extra(fields: Fields, prefix: str, extra: str) -> None:
    extra = extra.strip()
    if not extra:
        return
    fields[prefix + ".extra"] = extra
    for key, quoted, bare in _EXTRA_PAIR.findall(extra):
        fields[prefix + "." + key] = quoted or bare


def match_access(text: str, origin: Origin, dataset: str) -> Fields | None:
    """Fields of a combined/common log line, or None if the line is not one."""
    match = ACCESS_LINE.match(text)
    if match is None:
        return None
    client, _, user, stamp, request, status, size, referrer, agent, extra = match.groups()
    module = dataset.partition(".")[0]
    fields: Fields = {
        "event.dataset": origin.dataset or dataset,
        "event.module": module,
        "event.category": "web",
    }
    when = clf(stamp)
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
    put_address(fields, "source", client)
    put_text(fields, "user.name", user)
    if not put_request(fields, request) and request not in ("", "-"):
        fields["tags"] = ["malformed_request"]
    code = integer(status)
    if code is not None:
        fields["http.response.status_code"] = code
        fields["event.outcome"] = "failure" if code >= 400 else "success"
    fields["http.response.body.bytes"] = integer(size) or 0
    put_text(fields, "http.request.referrer", referrer)
    put_text(fields, "user_agent.original", agent)
    host = origin.extra.get("host.name")
    if isinstance(host, str):
        put_text(fields, "host.name", host)
    _extra(fields, dataset, extra)
    return fields


# Programs that write Apache's access log over syslog (``CustomLog "|/usr/bin/logger -t apache2"``
# or rsyslog imfile with that tag); any other program name is read as nginx's
# (``access_log syslog:server=...`` tags its lines ``nginx``).
_APACHE_PROGRAMS = frozenset({"apache", "apache2", "httpd"})


def enrich_access_log(fields: Fields, message: str, origin: Origin) -> Fields | None:
    """Add the fields of an access log line carried in a syslog message; None if it is none.

    The syslog header's time stays, as for error log lines: it is the same clock.
    """
    program = str(fields.get("process.name") or fields.get("log.syslog.appname") or "")
    dataset = "apache.access" if program.lower() in _APACHE_PROGRAMS else "nginx.access"
    inner = match_access(message, origin, dataset)
    if inner is None:
        return None
    if "@timestamp" in fields:
        inner.pop("@timestamp", None)
        inner.pop("event.timestamp_fallback", None)
    inner.pop("host.name", None)
    fields.update(inner)
    return fields


def parse_nginx(text: str, origin: Origin) -> Fields:
    fields = match_access(text, origin, "nginx.access")
    if fields is None:
        raise ParseError("not an nginx access log line (combined or common format)")
    return fields


def parse_apache(text: str, origin: Origin) -> Fields:
    fields = match_access(text, origin, "apache.access")
    if fields is None:
        raise ParseError("not an Apache access log line (combined or common format)")
    return fields
