"""rules/pipelines/ecs.yml: log sources become dataset conditions, Sigma fields become ECS
fields, and a log source we do not collect is refused instead of scanning every event."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sigma.backends.sqlite.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError, SigmaTransformationError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
SIGMAHQ = ROOT.parent / "shared" / "sigmahq"
REFUSED = "is not collected by Canh Gác"
SYSMON_LINUX = r"`event.dataset` LIKE 'sysmon\_linux.log'"

RULE = """
title: pipeline probe
logsource: {logsource}
detection:
  selection: {detection}
  condition: selection
"""


@pytest.fixture(scope="module")
def pipeline() -> ProcessingPipeline:
    # Parsing takes ~40 ms; a backend re-links the items on construction, so one object serves.
    return ProcessingPipeline.from_yaml(PIPELINE.read_text(encoding="utf-8"))


def convert(pipeline: ProcessingPipeline, logsource: str, detection: str) -> str:
    backend = sqliteBackend(processing_pipeline=pipeline)  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
    rule = SigmaCollection.from_yaml(RULE.format(logsource=logsource, detection=detection))[0]
    queries = backend.convert_rule(rule)  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
    assert len(queries) == 1
    return str(queries[0])


MAPPED = [
    # (log source, detection, fragments the query must contain)
    (
        "{product: linux, service: sshd}",
        "{system.auth.ssh.event: Accepted}",
        ["`event.dataset`='system.auth'", "`process.name`='sshd'", "`process.name`='sshd-session'"],
    ),
    ("{product: linux, service: auth}", "{event.action: su}", ["`event.dataset`='system.auth'"]),
    ("{product: linux, service: sudo}", "{event.action: sudo}", ["`process.name`='sudo'"]),
    (
        "{product: linux, service: syslog}",
        "{message|contains: x}",
        ["`event.dataset`='syslog'", "`event.dataset`='system.auth'"],
    ),
    (
        "{product: linux}",
        "{message|contains: x}",
        [
            "`event.dataset`='syslog'",
            "`event.dataset`='system.auth'",
            "`event.dataset`='auditd.log'",
        ],
    ),
    (
        "{product: linux, service: auditd}",
        "{type: EXECVE, a0: nc, exe: /usr/bin/nc, comm: nc, key: exec, nametype: CREATE}",
        [
            "`event.dataset`='auditd.log'",
            "`hanoi.auditd.record_type`='EXECVE'",
            "`hanoi.auditd.a0`='nc'",
            "`process.executable`='/usr/bin/nc'",
            "`hanoi.auditd.comm`='nc'",
            "`hanoi.auditd.key`='exec'",
            "`hanoi.auditd.nametype`='CREATE'",
        ],
    ),
    (
        "{product: linux, category: process_creation}",
        "{Image: /usr/bin/nc, CommandLine: nc -e, User: root, ParentImage: /bin/bash}",
        [
            "`event.dataset`='auditd.log'",
            "`event.category`='process'",
            "`event.type`='start'",
            "`process.executable`='/usr/bin/nc'",
            "`process.command_line`='nc -e'",
            "`user.name`='root'",
            "`process.parent.executable`='/bin/bash'",
        ],
    ),
    (
        "{product: linux, category: process_creation}",
        "{CurrentDirectory: /tmp, ProcessId: 4, ParentProcessId: 1}",
        [
            "`process.working_directory`='/tmp'",
            "`process.pid`=4",
            "`process.parent.pid`=1",
        ],
    ),
    (
        "{product: linux, category: file_event}",
        "{TargetFilename|startswith: /etc/cron.d/, Image: /usr/bin/wget}",
        [
            "`event.dataset`='auditd.log'",
            "`event.category`='file'",
            "`file.path` LIKE '/etc/cron.d/%'",
            "`process.executable`='/usr/bin/wget'",
        ],
    ),
    (
        "{product: linux, category: network_connection}",
        "{Initiated: 'true', DestinationPort: 4444, DestinationIp: 203.0.113.50}",
        [
            "`event.category`='network'",
            "`hanoi.auditd.initiated`='true'",
            "`destination.port`=4444",
            "`destination.ip`='203.0.113.50'",
        ],
    ),
    (
        "{category: webserver}",
        "{c-uri: /a, cs-uri-query: b=1, cs-method: POST, sc-status: 401, c-ip: 1.2.3.4,"
        " cs-user-agent: ua, cs-referer: r, cs-username: u, cs-host: h, cs-uri-stem: /s}",
        [
            "`event.dataset`='nginx.access'",
            "`event.dataset`='apache.access'",
            "`url.original`='/a'",
            "`url.path`='/a'",
            "`url.query`='b=1'",
            "`url.original`='b=1'",
            "`http.request.method`='POST'",
            "`http.response.status_code`=401",
            "`source.ip`='1.2.3.4'",
            "`user_agent.original`='ua'",
            "`http.request.referrer`='r'",
            "`user.name`='u'",
            "`url.domain`='h'",
            "`url.path`='/s'",
        ],
    ),
    (
        "{product: apache, service: apache}",
        "{c-useragent: ua}",
        ["`event.dataset`='apache.access'"],
    ),
    ("{service: nginx}", "{cs-method: GET}", ["`event.dataset`='nginx.access'"]),
    (
        "{category: firewall}",
        "{src_ip: 1.2.3.4, dst_ip: 5.6.7.8, src_port: 1, dst_port: 22, action: accept,"
        " protocol: tcp}",
        [
            "`event.dataset`='fortinet.firewall'",
            "`event.dataset`='cef'",
            "`event.dataset`='cisco.asa'",
            "`event.dataset`='panos.panos'",
            "`source.ip`='1.2.3.4'",
            "`destination.ip`='5.6.7.8'",
            "`source.port`=1",
            "`destination.port`=22",
            "`event.action`='accept'",
            "`network.transport`='tcp'",
        ],
    ),
    (
        "{product: fortigate, service: event}",
        "{action: Add, cfgpath: system.admin}",
        [
            "`event.dataset`='fortinet.firewall'",
            "`fortinet.firewall.type`='event'",
            "`event.action`='Add'",
            "`fortinet.firewall.cfgpath`='system.admin'",
        ],
    ),
    (
        "{category: firewall, product: cef}",
        "{dst_port: 4444, cs1: x}",
        ["`event.dataset`='cef'", "`destination.port`=4444", "`cef.extensions.cs1`='x'"],
    ),
    (
        "{product: windows, service: security}",
        "{EventID: 4625, Channel: Security, Provider_Name: p, Computer: ws1, TargetUserName: an}",
        [
            "`winlog.channel`='Security'",
            # the parser keeps EventID as text; an integer would never equal it in SQLite
            "`event.code`='4625'",
            "`winlog.provider_name`='p'",
            "`host.name`='ws1'",
            "`winlog.event_data.TargetUserName`='an'",
        ],
    ),
    (
        "{product: windows, category: process_creation}",
        "{Image: x.exe, ParentImage: p.exe, CommandLine: c}",
        [
            "`winlog.channel`='Microsoft-Windows-Sysmon/Operational'",
            "`winlog.channel`='Security'",
            "`event.code`='1'",
            "`event.code`='4688'",
            "`winlog.event_data.Image`='x.exe'",
            "`winlog.event_data.NewProcessName`='x.exe'",
            "`winlog.event_data.ParentProcessName`='p.exe'",
            "`winlog.event_data.CommandLine`='c'",
        ],
    ),
    (
        "{product: windows, category: ps_script}",
        "{ScriptBlockText|contains: x}",
        ["`winlog.channel`='Microsoft-Windows-PowerShell/Operational'", "`event.code`='4104'"],
    ),
    (
        "{product: windows, category: ps_module}",
        "{Payload|contains: x}",
        ["`event.code`='4103'"],
    ),
    (
        "{product: windows, category: ps_classic_start}",
        "{Data|contains: x}",
        ["`winlog.channel`='Windows PowerShell'", "`event.code`='400'"],
    ),
    (
        "{product: windows, category: registry_set}",
        "{TargetObject|contains: Run}",
        ["`event.code`='13'", "`winlog.event_data.TargetObject`"],
    ),
    (
        "{category: proxy}",
        "{c-uri: u, c-uri-query: q, c-useragent: ua, cs-host: h, cs-method: GET, r-dns: d,"
        " sc-status: 200, c-ip: 1.2.3.4, cs-bytes: 5, c-uri-extension: exe}",
        [
            "`event.dataset`='squid.access'",
            "`url.original`='u'",
            "`url.query`='q'",
            "`user_agent.original`='ua'",
            "`url.domain`='h'",
            "`http.request.method`='GET'",
            "`url.domain`='d'",
            "`http.response.status_code`=200",
            "`source.ip`='1.2.3.4'",
            "`http.request.bytes`=5",
            "`url.extension`='exe'",
        ],
    ),
    (
        "{category: dns}",
        "{query: a.vn, record_type: TXT, answer: 1.2.3.4}",
        [
            "`event.dataset`='bind.query'",
            "`event.dataset`='dnsmasq.log'",
            "`event.dataset`='zeek.dns'",
            "`dns.question.name`='a.vn'",
            "`dns.question.type`='TXT'",
            "`dns.answers.data`='1.2.3.4'",
        ],
    ),
    (
        "{product: zeek, service: http}",
        "{id.orig_h: 1.2.3.4, id.resp_p: 80, uri: /a, user_agent: ua}",
        [
            "`event.dataset`='zeek.http'",
            "`source.ip`='1.2.3.4'",
            "`destination.port`=80",
            "`hanoi.zeek.http.uri`='/a'",
            "`hanoi.zeek.http.user_agent`='ua'",
        ],
    ),
    (
        "{category: application, product: opencanary}",
        "{logtype: 4002, src_host: 1.2.3.4, logdata.USERNAME: root}",
        [
            "`event.dataset`='opencanary.events'",
            "`hanoi.opencanary.logtype`=4002",
            "`source.ip`='1.2.3.4'",
        ],
    ),
    (
        "{product: kubernetes, service: audit}",
        "{verb: create, objectRef.resource: pods, apiGroup: apps, responseStatus.code: 403}",
        [
            "`event.dataset`='kubernetes.audit'",
            "`hanoi.kubernetes.audit.verb`='create'",
            "`hanoi.kubernetes.audit.objectRef.resource`='pods'",
            "`hanoi.kubernetes.audit.objectRef.apiGroup`='apps'",
            "`hanoi.kubernetes.audit.responseStatus.code`=403",
        ],
    ),
    # Cloud audit logs: the record's own names under the integration's namespace, dots
    # included; numbers compared as the text the parser keeps.
    (
        "{product: aws, service: cloudtrail}",
        "{eventName: ConsoleLogin, userIdentity.type: Root, errorCode: 403}",
        [
            "`event.dataset`='aws.cloudtrail'",
            "`aws.cloudtrail.eventName`='ConsoleLogin'",
            "`aws.cloudtrail.userIdentity.type`='Root'",
            "`aws.cloudtrail.errorCode`='403'",
        ],
    ),
    (
        "{product: azure, service: signinlogs}",
        "{ResultType: 50126, Status: Failure, DeviceDetail.trusttype: x, riskState: atRisk}",
        [
            "`event.dataset`='azure.signinlogs'",
            "`azure.signinlogs.resultType`='50126'",
            "`azure.signinlogs.properties.status.errorCode`='50126'",
            "`event.outcome`='Failure'",
            "`azure.signinlogs.properties.deviceDetail.trustType`='x'",
            "`azure.signinlogs.riskState`='atRisk'",
        ],
    ),
    (
        "{product: azure, service: auditlogs}",
        "{properties.message: Add owner to application, Category: ApplicationManagement}",
        [
            "`event.dataset`='azure.auditlogs'",
            "`azure.auditlogs.operationName`='Add owner to application'",
            "`azure.auditlogs.properties.activityDisplayName`='Add owner to application'",
            "`azure.auditlogs.properties.category`='ApplicationManagement'",
        ],
    ),
    (
        "{product: azure, service: pim}",
        "{riskEventType: noMfaOnRoleActivationAlertIncident}",
        [
            "'azure.identity\\_protection'",
            "`azure.identity_protection.properties.riskEventType`=",
        ],
    ),
    (
        "{product: gcp, service: gcp.audit}",
        "{gcp.audit.method_name: x, data.protoPayload.serviceName: y}",
        [
            "`event.dataset`='gcp.audit'",
            "`gcp.audit.method_name`='x'",
            "`gcp.audit.protoPayload.serviceName`='y'",
        ],
    ),
    (
        "{product: gcp, service: google_workspace.admin}",
        "{eventService: admin.googleapis.com, eventName: x, setting_name: y}",
        [
            "'google\\_workspace.admin'",
            "`gcp.audit.protoPayload.serviceName`='admin.googleapis.com'",
            "`gcp.audit.protoPayload.metadata.event.eventName`='x'",
            "`google_workspace.admin.setting_name`='y'",
        ],
    ),
    (
        "{product: m365, service: threat_management}",
        "{eventSource: SecurityComplianceCenter, Operation: x, RequestType: y}",
        [
            "`event.dataset`='o365.audit'",
            "`o365.audit.Workload`='SecurityComplianceCenter'",
            "`o365.audit.Operation`='x'",
            "`o365.audit.ExtendedProperties.RequestType`='y'",
        ],
    ),
    (
        "{category: firewall, product: paloalto}",
        "{dst_port: 22, action: deny}",
        ["`event.dataset`='panos.panos'", "`destination.port`=22", "`event.action`='deny'"],
    ),
    (
        "{product: asa}",
        "{src_ip: 1.2.3.4}",
        ["`event.dataset`='cisco.asa'", "`source.ip`='1.2.3.4'"],
    ),
    # Sysmon for Linux joins auditd in the three Linux host categories.
    (
        "{product: linux, category: process_creation}",
        "{ParentCommandLine: x, LogonId: 0}",
        [
            SYSMON_LINUX,
            "`process.parent.command_line`='x'",
            "`user.audit.id`=0",
            "`winlog.event_data.LogonId`=0",
        ],
    ),
    (
        "{product: linux, category: network_connection}",
        "{Initiated: 'true'}",
        [SYSMON_LINUX, "`winlog.event_data.Initiated`='true'"],
    ),
    ("{product: linux, category: file_event}", "{TargetFilename: /x}", [SYSMON_LINUX]),
    # (an underscore in a value is escaped in a LIKE by the plain backend)
    ("{category: dns}", "{query: a.vn}", [r"`event.dataset` LIKE 'windows\_dns.debug'"]),
    (
        "{product: zeek, category: network_connection}",
        "{DestinationPort: 3333, Protocol: tcp, SourceIp: 10.0.0.1}",
        [
            "`event.dataset`='zeek.conn'",
            "`destination.port`=3333",
            "`network.transport`='tcp'",
            "`source.ip`='10.0.0.1'",
        ],
    ),
    (
        "{product: linux, service: vsftpd}",
        "{message|contains: x}",
        ["`event.dataset`='syslog'", "`process.name`='vsftpd'"],
    ),
    ("{product: linux, service: clamav}", "{message|contains: x}", ["`process.name`='clamd'"]),
    ("{product: linux, service: guacamole}", "{message|contains: x}", ["`process.name`='guacd'"]),
    ("{product: cisco, service: aaa}", "{message|contains: x}", [r"'netdevice.syslog'"]),
    ("{product: juniper, service: bgp}", "{message|contains: x}", [r"'netdevice.syslog'"]),
    # Windows channels beyond the classic ones, and the rest of Sysmon's event ids.
    (
        "{product: windows, service: dns-client}",
        "{EventID: 3008, QueryName|contains: mega.co.nz}",
        [
            "`winlog.channel`='Microsoft-Windows-DNS Client Events/Operational'",
            "`event.code`='3008'",
            "`winlog.event_data.QueryName` LIKE '%mega.co.nz%'",
        ],
    ),
    (
        "{product: windows, service: applocker}",
        "{EventID: 8004}",
        [
            "`winlog.channel`='Microsoft-Windows-AppLocker/EXE and DLL'",
            "`winlog.channel`='Microsoft-Windows-AppLocker/MSI and Script'",
        ],
    ),
    (
        "{product: windows, service: firewall-as}",
        "{EventID: 2004}",
        ["`winlog.channel`='Microsoft-Windows-Windows Firewall With Advanced Security/Firewall'"],
    ),
    (
        "{product: windows, category: create_stream_hash}",
        "{TargetFilename|endswith: ':Zone.Identifier'}",
        ["`event.code`='15'", "`winlog.event_data.TargetFilename`"],
    ),
    ("{product: windows, category: sysmon_status}", "{State: Stopped}", ["`event.code`='16'"]),
    ("{product: windows, category: process_tampering}", "{Type: x}", ["`event.code`='25'"]),
]


@pytest.mark.parametrize(
    ("logsource", "detection", "fragments"), MAPPED, ids=[m[0] for m in MAPPED]
)
def test_mapped_logsource(
    pipeline: ProcessingPipeline, logsource: str, detection: str, fragments: list[str]
) -> None:
    query = convert(pipeline, logsource, detection)
    missing = [fragment for fragment in fragments if fragment not in query]
    assert missing == [], query


def test_a_rule_may_name_ecs_fields_directly(pipeline: ProcessingPipeline) -> None:
    # Dotted names are ECS already and skip the "everything else" prefixes.
    query = convert(pipeline, "{product: windows, service: security}", "{user.name: an}")
    assert "`user.name`='an'" in query and "event_data.user" not in query


def test_a_specific_server_narrows_the_generic_webserver(pipeline: ProcessingPipeline) -> None:
    query = convert(pipeline, "{category: webserver, product: nginx}", "{cs-method: GET}")
    assert "`event.dataset`='nginx.access' AND" in query


REFUSED_LOGSOURCES = [
    "{category: netflow}",
    "{product: zeek, service: modbus}",
    "{product: linux, service: proftpd}",  # product linux, but a service we do not collect
    "{product: paloalto, service: globalprotect}",
    "{product: windows}",
    "{product: windows, service: not-a-channel}",
    "{product: macos, category: process_creation}",
    "{product: cisco, service: ios-xe-telemetry}",  # product cisco, but not a syslog service
    "{product: aws, service: guardduty}",  # cloud: only the audit logs are collected
    "{product: azure, service: not-a-log}",
]


@pytest.mark.parametrize("logsource", REFUSED_LOGSOURCES)
def test_uncollected_logsource_is_refused(pipeline: ProcessingPipeline, logsource: str) -> None:
    with pytest.raises(SigmaTransformationError, match=REFUSED):
        convert(pipeline, logsource, "{x: y}")


DECISIONS = [
    # (log source, what the import report says)
    ("{product: macos, category: process_creation}", "macOS endpoints"),
    ("{product: okta, service: okta}", "SaaS identity"),
    ("{product: cisco, service: duo}", "SaaS identity"),
    ("{product: jvm, category: application}", "application framework"),
    ("{category: antivirus}", "antivirus"),
    ("{product: rpc_firewall, category: application}", "RPC Firewall"),
    ("{product: paloalto, service: globalprotect}", "GlobalProtect"),
    ("{product: windows, category: file_access}", "Kernel-File ETW"),
    ("{product: windows}", "every Windows channel"),
]


@pytest.mark.parametrize(("logsource", "reason"), DECISIONS)
def test_a_refusal_by_product_decision_says_why(
    pipeline: ProcessingPipeline, logsource: str, reason: str
) -> None:
    with pytest.raises(SigmaTransformationError, match="a product decision") as refused:
        convert(pipeline, logsource, "{x: y}")
    assert reason in str(refused.value) and REFUSED in str(refused.value)


@pytest.mark.parametrize(
    "logsource",
    [
        "{product: opencanary, category: application}",  # category application, but mapped
        "{product: kubernetes, category: application, service: audit}",
        "{product: cisco, category: firewall}",  # product cisco, but the ASA
    ],
)
def test_a_decision_never_refuses_a_mapped_log_source(
    pipeline: ProcessingPipeline, logsource: str
) -> None:
    assert "`event.dataset`=" in convert(pipeline, logsource, "{x: y}")


def test_sigmahq_rules_convert_or_are_refused_for_a_known_reason(
    pipeline: ProcessingPipeline,
) -> None:
    """Over the public rules the pipeline never fails in an unexpected way, and every family it
    maps converts at least some real rules."""
    outcomes: Counter[str] = Counter()
    converted_logsources: set[tuple[str | None, str | None, str | None]] = set()
    unexpected: list[str] = []
    for path in sorted(SIGMAHQ.rglob("*.yml")):
        for rule in SigmaCollection.from_yaml(path.read_text(encoding="utf-8")):
            assert isinstance(rule, SigmaRule), path.name
            backend = sqliteBackend(processing_pipeline=pipeline)  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
            try:
                backend.convert_rule(rule)  # type: ignore[no-untyped-call]  # the sqlite backend has no annotations
            except SigmaTransformationError as exc:
                if REFUSED not in str(exc):
                    unexpected.append(f"{path.name}: {exc}")
                outcomes["refused"] += 1
            except SigmaFeatureNotSupportedByBackendError:
                # Bare keywords: the plain backend has no full-text search; the engine's
                # backend searches event.original.
                outcomes["keywords"] += 1
            else:
                outcomes["converted"] += 1
                logsource = rule.logsource
                converted_logsources.add((logsource.product, logsource.category, logsource.service))
    assert unexpected == []
    assert sum(outcomes.values()) > 100, f"the SigmaHQ reference rules are missing at {SIGMAHQ}"
    for family in [
        ("linux", "process_creation", None),
        ("linux", None, "auditd"),
        ("linux", "file_event", None),
        ("linux", "network_connection", None),
        (None, "webserver", None),
        ("fortigate", None, "event"),
        (None, "firewall", None),
        (None, "proxy", None),
        (None, "dns", None),
        ("zeek", None, "dns"),
        ("zeek", None, "http"),
        ("opencanary", "application", None),
        ("kubernetes", None, "audit"),
    ]:
        assert family in converted_logsources, family
