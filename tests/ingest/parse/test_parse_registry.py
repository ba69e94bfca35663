"""Registry completeness: every documented parser name is registered, and every registered
parser has a working sample here (a new parser without one fails this file)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from canhgac.config import SourceBase
from canhgac.errors import ConfigError
from ingest.parse.base import Origin
from ingest.parse.registry import PARSERS

OriginFactory = Callable[..., Origin]

# The parser names the source configuration documents (see the brief and canhgac.config).
DOCUMENTED = {
    "auto", "raw", "syslog", "rfc3164", "rfc5424", "auth", "auditd", "nginx", "apache", "json",
    "fortigate", "cef", "windows", "nginx_error", "apache_error",
    "squid", "bind", "dnsmasq", "zeek", "opencanary",
    "kubernetes_audit", "cisco_asa", "paloalto", "sysmon_linux", "windows_dns",
    "cloudtrail", "azure", "gcp_audit", "o365",
}  # fmt: skip

# name -> (a real-world line, the dataset it must produce, one field it must fill)
SAMPLES: dict[str, tuple[str, str, tuple[str, object]]] = {
    "auto": ("<38>Mar  5 14:02:11 web01 sshd[7]: Invalid user a from 10.0.0.1 port 2",
             "system.auth", ("source.ip", "10.0.0.1")),
    "raw": ("anything at all", "raw", ("message", "anything at all")),
    "syslog": ("<14>1 2024-03-05T14:02:11+07:00 web01 app - - - hi", "syslog",
               ("host.name", "web01")),
    "rfc3164": ("<13>Mar  5 14:02:11 web01 app[3]: hi", "syslog", ("process.pid", 3)),
    "rfc5424": ("<14>1 2024-03-05T14:02:11+07:00 web01 app 4 ID1 - hi", "syslog",
                ("log.syslog.msgid", "ID1")),
    "auth": ("Mar  5 14:02:11 web01 su[9]: (to root) an on pts/0", "system.auth",
             ("event.action", "su")),
    "auditd": ('type=SYSCALL msg=audit(1709622131.482:1): pid=5 comm="id"', "auditd.log",
               ("process.name", "id")),
    "nginx": ('10.0.0.9 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 200 12 "-" "-"',
              "nginx.access", ("http.response.status_code", 200)),
    "apache": ('10.0.0.9 - - [05/Mar/2024:14:02:11 +0700] "GET / HTTP/1.1" 404 12',
               "apache.access", ("event.outcome", "failure")),
    "nginx_error": ("2024/03/05 14:02:11 [crit] 9#9: *1 SSL_do_handshake() failed, client: "
                    "10.0.0.9, server: 0.0.0.0:443", "nginx.error", ("source.ip", "10.0.0.9")),
    "apache_error": ("[Tue Mar 05 14:02:11.000001 2024] [authz_core:error] [pid 9:tid 9] "
                     "[client 10.0.0.9:5] AH01630: client denied by server configuration: /srv",
                     "apache.error", ("error.code", "AH01630")),
    "json": ('{"message": "xin chào"}', "app", ("message", "xin chào")),
    "fortigate": ('devname="FGT" devid="FG1" logid="1" action="deny"', "fortinet.firewall",
                  ("observer.name", "FGT")),
    "cef": ("CEF:0|V|P|1|42|Name|5|src=10.0.0.1", "cef", ("event.code", "42")),
    "windows": ('{"EventID": 4624, "Channel": "Security"}', "windows.security",
                ("event.code", "4624")),
    "squid": ("1709622131.482    195 10.0.0.9 TCP_MISS/200 5 GET http://a.vn/ - HIER_DIRECT/"
              "203.0.113.1 text/html", "squid.access", ("url.domain", "a.vn")),
    "bind": ("client @0x7f9b8c0a1b20 10.0.0.5#53211 (a.vn): query: a.vn IN A +E(0)K (10.0.0.1)",
             "bind.query", ("dns.question.name", "a.vn")),
    "dnsmasq": ("Mar  5 14:02:11 dnsmasq[9]: query[AAAA] a.vn from 10.0.0.5", "dnsmasq.log",
                ("dns.question.type", "AAAA")),
    "zeek": ('{"_path":"conn","id.orig_h":"10.0.0.5","conn_state":"SF"}', "zeek.conn",
             ("source.ip", "10.0.0.5")),
    "opencanary": ('{"logtype": 5001, "src_host": "10.0.0.7", "dst_port": 445}',
                   "opencanary.events", ("event.action", "port-syn")),
    "kubernetes_audit": ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","verb":"delete"}',
                         "kubernetes.audit", ("event.action", "delete")),
    "cisco_asa": ("%ASA-4-106023: Deny tcp src outside:203.0.113.6/5 dst dmz:10.0.0.2/22 by "
                  'access-group "in"', "cisco.asa", ("destination.port", 22)),
    "paloalto": ("1,2024/03/05 14:02:11,0128,TRAFFIC,drop,2560,2024/03/05 14:02:11,10.0.0.5,"
                 "10.0.0.6", "panos.panos", ("source.ip", "10.0.0.5")),
    "sysmon_linux": ('Mar  5 14:02:11 web01 sysmon: <Event><System><Provider Name="Linux-Sysmon"'
                     ' Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID>'
                     '<Channel>Linux-Sysmon/Operational</Channel><Computer>web01</Computer>'
                     '</System><EventData><Data Name="ProcessId">7</Data><Data Name="Image">'
                     '/usr/bin/id</Data><Data Name="CommandLine">id</Data></EventData></Event>',
                     "sysmon_linux.log", ("process.executable", "/usr/bin/id")),
    "windows_dns": ("6/5/2013 10:00:32 AM 0E70 PACKET  00000000033397A0 UDP Rcv 10.161.60.71    "
                    "5b47   Q [0001   D   NOERROR] A      (12)somecomputer(6)domain(3)com(0)",
                    "windows_dns.debug", ("dns.question.name", "somecomputer.domain.com")),
    "cloudtrail": ('{"eventTime":"2026-11-30T03:12:45Z","eventSource":"iam.amazonaws.com",'
                   '"eventName":"CreateAccessKey","userIdentity":{"type":"Root"}}',
                   "aws.cloudtrail", ("aws.cloudtrail.userIdentity.type", "Root")),
    "azure": ('{"time":"2026-11-30T03:20:11Z","category":"SignInLogs","operationName":'
              '"Sign-in activity","resultType":"50126"}', "azure.signinlogs",
              ("event.outcome", "failure")),
    "gcp_audit": ('{"protoPayload":{"serviceName":"compute.googleapis.com","methodName":'
                  '"v1.compute.firewalls.delete"},"timestamp":"2026-11-30T03:30:00Z"}',
                  "gcp.audit", ("gcp.audit.method_name", "v1.compute.firewalls.delete")),
    "o365": ('{"CreationTime":"2026-11-30T09:15:00","Operation":"UserLoggedIn",'
             '"Workload":"AzureActiveDirectory","ResultStatus":"Success"}', "o365.audit",
             ("o365.audit.Operation", "UserLoggedIn")),
}  # fmt: skip


def test_every_documented_name_is_registered() -> None:
    assert set(PARSERS.names()) == DOCUMENTED


def test_config_documentation_names_only_registered_parsers() -> None:
    description = SourceBase.model_fields["parser"].description or ""
    listed = set(re.findall(r"[a-z0-9_]+", description.partition("(")[2].partition(")")[0]))
    assert listed and listed <= set(PARSERS.names())


def test_every_registered_parser_has_a_sample() -> None:
    assert set(SAMPLES) == set(PARSERS.names())


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample(name: str, make_origin: OriginFactory) -> None:
    line, dataset, (key, value) = SAMPLES[name]
    fields = PARSERS.get(name)(line, make_origin(name))
    assert fields["event.dataset"] == dataset
    assert fields[key] == value


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match="unknown parser 'xml'; known parsers: apache, apache_error, auditd"
    ):
        PARSERS.get("xml")
