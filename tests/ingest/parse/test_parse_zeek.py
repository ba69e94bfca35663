"""Zeek JSON logs (conn, dns, http, ssl, files), lines in the shape of the Zeek
documentation's log examples (``LogAscii::use_json = T``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.zeek import parse_zeek

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

CONN = (
    '{"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76",'
    '"id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","service":"dns",'
    '"duration":0.06685185432434082,"orig_bytes":62,"resp_bytes":141,"conn_state":"SF",'
    '"missed_bytes":0,"history":"Dd","orig_pkts":2,"orig_ip_bytes":118,"resp_pkts":2,'
    '"resp_ip_bytes":197}'
)
DNS = (
    '{"ts":1591367999.306059,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76",'
    '"id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","trans_id":8555,'
    '"rtt":0.06685185432434082,"query":"testmyids.com","qclass":1,"qclass_name":"C_INTERNET",'
    '"qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,'
    '"RD":true,"RA":true,"Z":0,"answers":["31.3.245.133"],"TTLs":[3600.0],"rejected":false}'
)
HTTP = (
    '{"ts":1591367999.512593,"uid":"C5bLoe2Mvxqhawzqqd","id.orig_h":"192.168.4.76",'
    '"id.orig_p":46378,"id.resp_h":"31.3.245.133","id.resp_p":80,"trans_depth":1,'
    '"method":"GET","host":"testmyids.com","uri":"/tai%20lieu/a.php?cmd=id","version":"1.1",'
    '"user_agent":"curl/7.47.0","request_body_len":0,"response_body_len":39,"status_code":200,'
    '"status_msg":"OK","tags":[],"resp_fuids":["FEEsZS1w0Z0VJIb5x4"],'
    '"resp_mime_types":["text/plain"]}'
)
SSL = (
    '{"ts":"2020-08-25T17:43:11.921726Z","uid":"CsukF91Bx9mrqdEaH9","id.orig_h":"192.168.4.49",'
    '"id.orig_p":56718,"id.resp_h":"13.32.202.10","id.resp_p":443,"version":"TLSv12",'
    '"cipher":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256","curve":"secp256r1",'
    '"server_name":"www.taosecurity.com","resumed":false,"next_protocol":"h2",'
    '"established":true,"subject":"CN=www.taosecurity.com",'
    '"issuer":"CN=Amazon,OU=Server CA 1B,O=Amazon,C=US"}'
)
FILES = (
    '{"ts":1596820191.969902,"fuid":"FBbQxG1GXLXgmWhbk9","tx_hosts":["23.195.64.241"],'
    '"rx_hosts":["192.168.4.37"],"conn_uids":["CzoFRWTQ6YIzfFXHk"],"source":"HTTP","depth":0,'
    '"analyzers":["EXTRACT","PE"],"mime_type":"application/x-dosexec",'
    '"duration":0.015498876571655273,"is_orig":false,"seen_bytes":1663,"total_bytes":1663,'
    '"missing_bytes":0,"overflow_bytes":0,"timedout":false,'
    '"md5":"7c2c0cf1d3b3e2a4f2f9b5e7c63c9c1e","sha1":"a1e2f3c4b5d6e7f8091a2b3c4d5e6f708192a3b4",'
    '"extracted":"HTTP-FBbQxG1GXLXgmWhbk9.exe","extracted_cutoff":false}'
)


def test_conn(make_origin: OriginFactory) -> None:
    fields = parse_zeek(CONN, make_origin("zeek"))
    assert fields["event.dataset"] == "zeek.conn"
    assert fields["@timestamp"] == "2020-06-05T14:39:59.305988Z"
    assert fields["source.ip"] == "192.168.4.76"
    assert fields["source.port"] == 36844
    assert fields["destination.ip"] == "192.168.4.1"
    assert fields["destination.port"] == 53
    assert fields["network.transport"] == "udp"
    assert fields["network.protocol"] == "dns"
    assert fields["source.bytes"] == 62 and fields["destination.packets"] == 2
    assert fields["event.duration"] == 66_851_854
    assert fields["event.type"] == ["connection"]
    assert fields["event.outcome"] == "success"
    assert fields["hanoi.zeek.conn.history"] == "Dd"
    assert fields["hanoi.zeek.conn.id.orig_h"] == "192.168.4.76"
    assert fields["event.id"] == "CMdzit1AMNsmfAIiQc"


def test_dns(make_origin: OriginFactory) -> None:
    fields = parse_zeek(DNS, make_origin("zeek"))
    assert fields["event.dataset"] == "zeek.dns"  # guessed from the fields: no _path
    assert fields["dns.question.name"] == "testmyids.com"
    assert fields["dns.question.type"] == "A"
    assert fields["dns.response_code"] == "NOERROR"
    assert fields["dns.answers.data"] == ["31.3.245.133"]
    assert fields["dns.header_flags"] == ["RD", "RA"]
    assert fields["dns.id"] == 8555
    assert fields["hanoi.zeek.dns.TTLs"] == [3600.0]
    assert fields["hanoi.zeek.dns.rejected"] is False


def test_http(make_origin: OriginFactory) -> None:
    fields = parse_zeek(HTTP, make_origin("zeek"))
    assert fields["event.dataset"] == "zeek.http"
    assert fields["url.domain"] == "testmyids.com"
    assert fields["url.original"] == "/tai%20lieu/a.php?cmd=id"
    assert fields["url.path"] == "/tai lieu/a.php"
    assert fields["url.query"] == "cmd=id"
    assert fields["url.extension"] == "php"
    assert fields["user_agent.original"] == "curl/7.47.0"
    assert fields["http.response.status_code"] == 200
    assert fields["hanoi.zeek.http.resp_mime_types"] == ["text/plain"]
    assert "hanoi.zeek.http.tags" in fields


def test_ssl_with_iso_time(make_origin: OriginFactory) -> None:
    fields = parse_zeek(SSL, make_origin("zeek"))
    assert fields["event.dataset"] == "zeek.ssl"
    assert fields["@timestamp"] == "2020-08-25T17:43:11.921726Z"
    assert fields["tls.version"] == "1.2" and fields["tls.version_protocol"] == "tls"
    assert fields["tls.client.server_name"] == "www.taosecurity.com"
    assert fields["destination.domain"] == "www.taosecurity.com"
    assert fields["tls.established"] is True
    assert fields["tls.resumed"] is False


def test_files_from_configured_dataset(make_origin: OriginFactory) -> None:
    fields = parse_zeek(FILES, make_origin("zeek", dataset="zeek.files"))
    assert fields["event.dataset"] == "zeek.files"
    assert fields["file.mime_type"] == "application/x-dosexec"
    assert fields["file.size"] == 1663
    assert fields["file.hash.md5"] == "7c2c0cf1d3b3e2a4f2f9b5e7c63c9c1e"
    assert fields["hanoi.zeek.files.analyzers"] == ["EXTRACT", "PE"]
    assert "file" in fields["event.category"]


def test_path_field_names_the_log(make_origin: OriginFactory) -> None:
    record = json.loads(CONN) | {"_path": "dce_rpc", "endpoint": "drsuapi", "operation": "x"}
    fields = parse_zeek(json.dumps(record), make_origin("zeek"))
    assert fields["event.dataset"] == "zeek.dce_rpc"
    assert fields["hanoi.zeek.dce_rpc.endpoint"] == "drsuapi"
    assert "hanoi.zeek.dce_rpc._path" not in fields


def test_wrong_types_stay_out_of_ecs(make_origin: OriginFactory) -> None:
    record = json.loads(HTTP) | {"status_code": "200; DROP", "id.resp_p": 99999, "method": 7}
    fields = parse_zeek(json.dumps(record), make_origin("zeek"))
    assert "http.response.status_code" not in fields
    assert "destination.port" not in fields
    assert "http.request.method" not in fields
    assert fields["hanoi.zeek.http.status_code"] == "200; DROP"


def test_vietnamese_values(event_fields: EventFields) -> None:
    line = '{"_path":"http","uri":"/tìm-kiếm?q=hồ+sơ","host":"cổng.hanoi.vn"}'
    fields = event_fields(line, "zeek")
    assert fields["url.query"] == "q=hồ sơ"
    assert fields["url.domain"] == "cổng.hanoi.vn"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", "invalid JSON"),
        ("[1, 2]", "not an object"),
        ('{"_path":"../../etc"}', "_path is not a log name"),
        ('{"' + "k" * 500 + '":1}', "field name"),
        ("{" + ",".join(f'"k{i}":1' for i in range(600)) + "}", "more than 512 fields"),
    ],
)
def test_hostile_lines_are_refused(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_zeek(line, make_origin("zeek"))


def test_garbage_bytes_become_a_dead_letter(dead_letter: DeadLetterOf) -> None:
    assert dead_letter(b'{"ts": \xff\xfe}', "zeek").reason


def test_nested_values_are_kept_as_text(make_origin: OriginFactory) -> None:
    fields = parse_zeek('{"_path":"conn","x":{"a":[1,{"b":2}]}}', make_origin("zeek"))
    assert fields["hanoi.zeek.conn.x"] == '{"a":[1,{"b":2}]}'
