"""Parser registry: configuration names -> parser functions.

Every name a source's ``parser:`` setting accepts is a key here; a test checks the documented
list against it and that each parser has tests.
"""

from __future__ import annotations

from canhgac.registry import Registry
from ingest.parse.access import parse_apache, parse_nginx
from ingest.parse.auditd import parse_auditd
from ingest.parse.auth import parse_auth
from ingest.parse.auto import parse_auto, parse_json_record
from ingest.parse.azure import parse_azure
from ingest.parse.base import Parser
from ingest.parse.cef import parse_cef
from ingest.parse.cisco_asa import parse_cisco_asa
from ingest.parse.cloudtrail import parse_cloudtrail
from ingest.parse.dns import parse_bind, parse_dnsmasq
from ingest.parse.errorlog import parse_apache_error, parse_nginx_error
from ingest.parse.fortigate import parse_fortigate
from ingest.parse.gcp_audit import parse_gcp_audit
from ingest.parse.kubernetes import parse_kubernetes_audit
from ingest.parse.o365 import parse_o365
from ingest.parse.opencanary import parse_opencanary
from ingest.parse.paloalto import parse_paloalto
from ingest.parse.raw import parse_raw
from ingest.parse.squid import parse_squid
from ingest.parse.syslog import parse_rfc3164, parse_rfc5424, parse_syslog
from ingest.parse.sysmon_linux import parse_sysmon_linux
from ingest.parse.windows import parse_windows
from ingest.parse.windows_dns import parse_windows_dns
from ingest.parse.zeek import parse_zeek

PARSERS: Registry[Parser] = Registry(
    "parser",
    {
        "auto": parse_auto,
        "raw": parse_raw,
        "syslog": parse_syslog,
        "rfc3164": parse_rfc3164,
        "rfc5424": parse_rfc5424,
        "auth": parse_auth,
        "auditd": parse_auditd,
        "nginx": parse_nginx,
        "apache": parse_apache,
        "nginx_error": parse_nginx_error,
        "apache_error": parse_apache_error,
        "json": parse_json_record,
        "fortigate": parse_fortigate,
        "cef": parse_cef,
        "windows": parse_windows,
        "squid": parse_squid,
        "bind": parse_bind,
        "dnsmasq": parse_dnsmasq,
        "zeek": parse_zeek,
        "opencanary": parse_opencanary,
        "kubernetes_audit": parse_kubernetes_audit,
        "cisco_asa": parse_cisco_asa,
        "paloalto": parse_paloalto,
        "sysmon_linux": parse_sysmon_linux,
        "windows_dns": parse_windows_dns,
        "cloudtrail": parse_cloudtrail,
        "azure": parse_azure,
        "gcp_audit": parse_gcp_audit,
        "o365": parse_o365,
    },
)
