"""The ECS fields Canh Gác writes in events, with their ECS 9.4 types (plain data).

The index template maps each with its type (:mod:`.mappings`); a test checks this table
against the ECS reference and against every parser's output, so a field a parser starts
writing must be added here. Fields outside ECS are under ``hanoi.<dataset>.`` (application
logs), an Elastic integration's namespace (``winlog.``, ``auditd.log.``, ``fortinet.firewall.``,
``cef.``, ``system.auth.``) or ``canhgac.`` (provenance), see deploy/elasticsearch.md.
"""

from __future__ import annotations

# The ECS fields our parsers write, with their ECS 9.4 types (a test checks them against
# the reference and against every parser's output): each is mapped with its type, so a day's
# index never guesses one from the first value it sees, and Kibana data views agree with
# Elastic's own indices. ``wildcard`` and ``match_only_text`` are stored in their family's
# base types (keyword, see the module doc: the test node has neither).
ECS_FIELD_TYPES: dict[str, str] = {
    **dict.fromkeys(
        (
            "process.pid", "process.parent.pid", "process.thread.id", "process.args_count",
            "source.port", "destination.port", "source.nat.port", "destination.nat.port",
            "http.response.status_code", "http.response.body.bytes", "http.request.body.bytes",
            "log.syslog.facility.code", "log.syslog.severity.code", "log.syslog.priority",
            "event.severity", "network.bytes", "source.bytes",
            "destination.bytes",
        ),
        "long",
    ),
    **dict.fromkeys(
        (
            "source.ip", "destination.ip", "source.nat.ip", "destination.nat.ip", "client.ip",
            "server.ip", "host.ip", "observer.ip", "related.ip",
        ),
        "ip",
    ),
    **dict.fromkeys(("@timestamp", "event.created", "event.start", "event.end"), "date"),
    **dict.fromkeys(
        ("process.command_line", "process.parent.command_line", "url.original", "url.path"),
        "wildcard",
    ),
    **dict.fromkeys(
        (
            "event.kind", "event.category", "event.type", "event.outcome", "event.action",
            "event.code", "event.dataset", "event.module", "event.provider", "event.original",
            "agent.name", "agent.type", "agent.version", "ecs.version", "error.code",
            "host.name", "log.level", "log.syslog.appname", "log.syslog.msgid",
            "log.syslog.procid", "log.syslog.version", "network.protocol",
            "network.transport", "observer.name", "observer.product", "observer.type",
            "observer.vendor", "observer.version", "observer.serial_number",
            "observer.ingress.interface.name", "observer.egress.interface.name",
            "process.executable", "process.name", "process.parent.executable",
            "process.working_directory", "file.path", "file.name", "registry.path",
            "dns.question.name", "service.name", "rule.id", "user.name", "user.id",
            "user.domain", "user.effective.name", "user.effective.id", "user.target.name",
            "user.target.id", "group.name", "group.id", "related.user", "related.hosts",
            "source.domain", "destination.domain", "source.geo.country_name",
            "destination.geo.country_name", "source.user.name", "destination.user.name",
            "url.domain", "url.query", "http.request.method", "http.request.referrer",
            "http.version", "user_agent.original",
        ),
        "keyword",
    ),
    "message": "match_only_text",
    # Written by the proxy, DNS, Zeek, Kubernetes and joined-auditd parsers.
    "dns.question.class": "keyword",
    "dns.question.type": "keyword",
    "dns.type": "keyword",
    "event.duration": "long",
    "http.response.bytes": "long",
    "http.response.mime_type": "keyword",
    "orchestrator.type": "keyword",
    "process.args": "keyword",
    "rule.name": "keyword",
    "url.scheme": "keyword",
    # Written by the Sysmon for Linux and Windows DNS debug log parsers.
    "dns.id": "keyword",
    "dns.op_code": "keyword",
    "dns.header_flags": "keyword",
    "dns.response_code": "keyword",
    "network.direction": "keyword",
    "process.parent.user.name": "keyword",
    # Written by the cloud audit parsers (CloudTrail, Azure, GCP, Microsoft 365).
    "cloud.provider": "keyword",
    "cloud.region": "keyword",
    "cloud.account.id": "keyword",
    "cloud.project.id": "keyword",
    "event.id": "keyword",
    "user.email": "keyword",
}  # fmt: skip
