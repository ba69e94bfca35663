"""Web server error logs: Apache httpd 2.4 and 2.2, and nginx (``apache_error``, ``nginx_error``).

``[Sun Dec 01 10:00:00.123456 2024] [core:error] [pid 1234:tid 5678] [client 203.0.113.5:51234]
AH00126: Invalid URI in request GET /x HTTP/1.1`` (Apache 2.4's default ErrorLogFormat; 2.2
writes ``[Sun Dec 01 10:00:00 2024] [error] [client 1.2.3.4] ...``; over syslog 2.4 leaves
the time out) and ``2024/12/01 10:00:00 [error] 1234#1234: *5 open() "/var/www/x" failed
(2: No such file or directory), client: 203.0.113.5, server: example.vn, request: "GET /x
HTTP/1.1", host: "example.vn"`` (nginx, also after ``nginx:`` over syslog).

Both write local time without an offset: the source's timezone applies. Field names follow
Filebeat's ``apache.error`` and ``nginx.error`` datasets; ``message`` is the text after the
header, and what it says about the request (client, request line, file) becomes ECS fields.
"""

from __future__ import annotations

import re

from canhgac.errors import ParseError
from ingest.parse.access import put_request
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import integer, is_ip, put_int, put_text
from ingest.parse.timestamps import ctime, iso8601, zone_of

_APACHE_LEVELS = r"emerg|alert|crit|error|warn|notice|info|debug|trace[1-8]"
APACHE_LINE = re.compile(
    r"(?:\[(?P<time>[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d(?:\.\d{1,6})? \d{4})\] )?"
    rf"\[(?:(?P<module>[\w.-]{{0,64}}):)?(?P<level>{_APACHE_LEVELS})\]"
    r"(?: \[pid (?P<pid>\d{1,10})(?::tid (?P<tid>\d{1,20}))?\])?"
    # An APR status: "(13)Permission denied: ", "(70007)The timeout specified has expired: ".
    r"(?: (?P<os_error>\(-?\d{1,6}\)[^:\[\]\n]{0,200}):)?"
    r"(?: \[client (?P<client>[^\]\s]{1,80})\])?"
    r"(?: (?P<message>.*))?\Z",
    re.S,
)
_APACHE_CODE = re.compile(r"(AH\d{5}): ")
_REFERER = ", referer: "

NGINX_LINE = re.compile(
    r"(?P<time>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) "
    r"\[(?P<level>debug|info|notice|warn|error|crit|alert|emerg)\] "
    r"(?P<pid>\d{1,10})#(?P<tid>\d{1,20}): (?:\*(?P<connection>\d{1,20}) )?(?P<message>.*)\Z",
    re.S,
)
# What ngx_http_log_error appends, in its order. Values are written unescaped.
_NGINX_CONTEXT = re.compile(
    r", client: (?P<client>[^,\s]+)"
    r"(?:, server: (?P<server>[^,]*))?"
    r'(?:, request: "(?P<request>[^"]*)")?'
    r'(?:, subrequest: "[^"]*")?'
    r'(?:, upstream: "(?P<upstream>[^"]*)")?'
    r'(?:, host: "(?P<host>[^"]*)")?'
    r'(?:, referrer: "(?P<referrer>[^"]*)")?\Z'
)
_CLIENT_MARK = ", client: "
# nginx cuts its error lines at NGX_MAX_ERROR_STR (2048 bytes): a longer one is not nginx's,
# and its context is not looked for.
_NGINX_MAX = 4096

# Messages that name the file or request a client asked for.
_DETAILS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Invalid URI in request (.+)\Z", re.S), "request"),
    (
        re.compile(
            r"(?:File does not exist|client denied by server configuration|"
            r"Cannot serve directory|script not found or unable to stat): (\S+)"
        ),
        "file",
    ),
    (re.compile(r"script '([^']+)' not found or unable to stat"), "file"),
    (re.compile(r'open\(\) "([^"]+)" failed'), "file"),
    (re.compile(r'"([^"]+)" is (?:not found|forbidden)'), "file"),
)


def _details(fields: Fields, message: str) -> None:
    for pattern, kind in _DETAILS:
        if found := pattern.match(message) if kind == "request" else pattern.search(message):
            if kind == "request":
                put_request(fields, found.group(1))
            else:
                fields["file.path"] = found.group(1)
            return


def _event(dataset: str, origin: Origin, when: str | None, level: str) -> Fields:
    fields: Fields = {
        "event.dataset": origin.dataset or dataset,
        "event.module": dataset.partition(".")[0],
        "event.category": "web",
        "event.type": "error",
    }
    if when is None:
        fields["event.timestamp_fallback"] = True
    else:
        fields["@timestamp"] = when
    fields["log.level"] = level
    return fields


def _client(fields: Fields, address: str | None, with_port: bool) -> None:
    """``ip``, or ``ip:port`` (IPv6 too, unbracketed: Apache 2.4 writes ``%s:%d``)."""
    if not address:
        return
    if with_port:
        host, _, port = address.rpartition(":")
        if is_ip(host) and integer(port) is not None:
            fields["source.ip"] = host
            put_int(fields, "source.port", port)
            return
    if is_ip(address):
        fields["source.ip"] = address


def match_apache_error(text: str, origin: Origin, *, needs_time: bool = True) -> Fields | None:
    """Fields of an Apache error log line; None if it is not one."""
    match = APACHE_LINE.match(text)
    if match is None or (needs_time and match.group("time") is None):
        return None
    stamp, module, level, pid, tid, os_error, client, message = match.groups()
    when = ctime(stamp, zone_of(origin)) if stamp else None
    fields = _event("apache.error", origin, when, level)
    put_text(fields, "apache.error.module", module)
    put_int(fields, "process.pid", pid)
    put_int(fields, "process.thread.id", tid)
    put_text(fields, "apache.error.os_error", os_error)
    _client(fields, client, with_port=module is not None)
    message = message or ""
    if code := _APACHE_CODE.match(message):
        fields["error.code"] = code.group(1)
    body, referer, referrer = message.rpartition(_REFERER) if _REFERER in message else ("", "", "")
    put_text(fields, "http.request.referrer", referrer if referer else None)
    fields["message"] = message
    _details(fields, (body or message)[code.end() if code else 0 :])
    return fields


def _nginx_context(message: str) -> re.Match[str] | None:
    """The first ", client: ..." that the rest of the line fits: text nginx copies from the
    request (a decoded file name) comes before it, and cannot absorb the real one."""
    if len(message) > _NGINX_MAX:
        return None
    start = message.find(_CLIENT_MARK)
    while start >= 0:
        if context := _NGINX_CONTEXT.match(message, start):
            return context
        start = message.find(_CLIENT_MARK, start + 1)
    return None


def match_nginx_error(text: str, origin: Origin) -> Fields | None:
    """Fields of an nginx error log line; None if it is not one."""
    match = NGINX_LINE.match(text)
    if match is None:
        return None
    stamp, level, pid, tid, connection, message = match.groups()
    fields = _event("nginx.error", origin, iso8601(stamp.replace("/", "-"), zone_of(origin)), level)
    put_int(fields, "process.pid", pid)
    put_int(fields, "process.thread.id", tid)
    put_int(fields, "nginx.error.connection_id", connection)
    fields["message"] = message
    if context := _nginx_context(message):
        client, server, request, upstream, host, referrer = context.groups()
        _client(fields, client, with_port=False)
        put_text(fields, "nginx.error.server", server)
        if request:
            put_request(fields, request)
        put_text(fields, "nginx.error.upstream", upstream)
        put_text(fields, "url.domain", host)
        put_text(fields, "http.request.referrer", referrer)
        message = message[: context.start()]
    _details(fields, message)
    return fields


def enrich_error_log(fields: Fields, message: str, origin: Origin) -> Fields | None:
    """Add the fields of an error log line carried in a syslog message; None if it is none.

    The syslog header's time stays: it is the same clock, and it is set even when the
    message's own time is cut off.
    """
    first = message[:1]
    if first == "[":
        inner = match_apache_error(message, origin, needs_time=False)
    elif first.isdigit():
        inner = match_nginx_error(message, origin)
    else:
        return None
    if inner is None:
        return None
    if "@timestamp" in fields:
        inner.pop("@timestamp", None)
        inner.pop("event.timestamp_fallback", None)
    else:
        fields.pop("event.timestamp_fallback", None)
    fields.update(inner)
    return fields


def parse_apache_error(text: str, origin: Origin) -> Fields:
    fields = match_apache_error(text, origin)
    if fields is None:
        raise ParseError("not an Apache error log line: expected '[time] [module:level] ...'")
    return fields


def parse_nginx_error(text: str, origin: Origin) -> Fields:
    fields = match_nginx_error(text, origin)
    if fields is None:
        raise ParseError(
            "not an nginx error log line: expected 'yyyy/mm/dd hh:mm:ss [level] pid#tid: ...'"
        )
    return fields
