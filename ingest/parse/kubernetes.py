"""Kubernetes API server audit log (``--audit-log-path``): one ``audit.k8s.io/v1`` Event per
line::

    {"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"…",
     "stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create",
     "user":{"username":"admin","groups":["system:masters"]},"sourceIPs":["10.20.4.5"],
     "userAgent":"kubectl/v1.29.2","objectRef":{"resource":"pods","namespace":"default",
     "apiVersion":"v1"},"responseStatus":{"code":201},
     "requestReceivedTimestamp":"2024-03-05T07:02:11.482311Z", …}

The event is kept under ``hanoi.kubernetes.audit.*`` except the request and response bodies
(a whole object, in ``event.original`` only); from a pod spec in the request body the host
paths it mounts, the capabilities it adds and whether it runs privileged are pulled out, as
the Sigma rules on pod creation need them.
"""

from __future__ import annotations

from typing import Any

from canhgac.errors import ParseError
from ingest.parse.base import Fields, Origin
from ingest.parse.ecs import put_address
from ingest.parse.jsonlog import flatten, has_escapes, load_object
from ingest.parse.timestamps import any_time, zone_of

DATASET = "kubernetes.audit"
_PREFIX = "hanoi.kubernetes.audit."
_BODIES = ("requestObject", "responseObject")
_MAX_ITEMS = 64
_EVENT_TYPES = {
    "create": "creation", "delete": "deletion", "deletecollection": "deletion",
    "update": "change", "patch": "change", "get": "access", "list": "access", "watch": "access",
}  # fmt: skip


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value[:_MAX_ITEMS] if isinstance(item, dict)] if isinstance(
        value, list
    ) else []  # fmt: skip


def _pod_spec(body: dict[str, Any]) -> dict[str, Any]:
    """The pod spec of a Pod, or of a workload's pod template (Deployment, Job, …)."""
    spec = _object(body.get("spec"))
    template = _object(spec.get("template"))
    if not template:  # CronJob: spec.jobTemplate.spec.template
        template = _object(_object(_object(spec.get("jobTemplate")).get("spec")).get("template"))
    return _object(template.get("spec")) if template else spec


def _pod_security(fields: Fields, body: dict[str, Any]) -> None:
    spec = _pod_spec(body)
    paths = [
        str(_object(volume.get("hostPath")).get("path", ""))[:1024]
        for volume in _objects(spec.get("volumes"))
        if "hostPath" in volume
    ]
    containers = _objects(spec.get("containers")) + _objects(spec.get("initContainers"))
    contexts = [_object(container.get("securityContext")) for container in containers]
    added = [
        str(capability)[:64]
        for context in contexts
        for capability in _objects_or_texts(_object(context.get("capabilities")).get("add"))
    ]
    if paths:
        fields[_PREFIX + "host_paths"] = paths
    if added:
        fields[_PREFIX + "capabilities"] = added
    if any(context.get("privileged") is True for context in contexts):
        fields[_PREFIX + "privileged"] = True
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(key) is True:
            fields[_PREFIX + key] = True


def _objects_or_texts(value: Any) -> list[str]:
    return [item for item in value[:_MAX_ITEMS] if isinstance(item, str)] if isinstance(
        value, list
    ) else []  # fmt: skip


def _ecs(fields: Fields, record: dict[str, Any], origin: Origin) -> None:
    verb = record.get("verb")
    if isinstance(verb, str):
        fields["event.action"] = verb
        fields["event.type"] = [_EVENT_TYPES.get(verb, "info")]
    user = _object(record.get("user"))
    if isinstance(name := user.get("username"), str):
        fields["user.name"] = name
    if isinstance(uid := user.get("uid"), str):
        fields["user.id"] = uid
    ips = _objects_or_texts(record.get("sourceIPs"))
    if ips:
        put_address(fields, "source", ips[0])
    if isinstance(agent := record.get("userAgent"), str):
        fields["user_agent.original"] = agent
    if isinstance(uri := record.get("requestURI"), str):
        fields["url.original"] = uri
    if isinstance(audit_id := record.get("auditID"), str):
        fields["event.id"] = audit_id[:64]
    code = _object(record.get("responseStatus")).get("code")
    if isinstance(code, int) and not isinstance(code, bool):
        fields["http.response.status_code"] = code
        fields["event.outcome"] = "failure" if code >= 400 else "success"
    _object_ref(fields, _object(record.get("objectRef")))
    _timestamp(fields, record, origin)


def _object_ref(fields: Fields, ref: dict[str, Any]) -> None:
    for key, target in (("resource", "orchestrator.resource.type"),
                        ("name", "orchestrator.resource.name"),
                        ("namespace", "orchestrator.namespace"),
                        ("apiVersion", "orchestrator.api_version")):  # fmt: skip
        if isinstance(value := ref.get(key), str):
            fields[target] = value


def _timestamp(fields: Fields, record: dict[str, Any], origin: Origin) -> None:
    for key in ("requestReceivedTimestamp", "stageTimestamp"):
        if key in record:
            when = any_time(record[key], zone_of(origin))
            if when is not None:
                fields["@timestamp"] = when
                return
    fields["event.timestamp_fallback"] = True


def parse_kubernetes_audit(text: str, origin: Origin) -> Fields:
    record = load_object(text)
    version = record.get("apiVersion")
    if record.get("kind") != "Event" or not str(version).startswith("audit.k8s.io/"):
        raise ParseError("not a Kubernetes audit event (kind Event, apiVersion audit.k8s.io/*)")
    bodies = {key: record.pop(key) for key in _BODIES if key in record}
    fields = flatten(record, prefix=_PREFIX, escaped=has_escapes(text))
    fields.update(
        {
            "event.dataset": origin.dataset or DATASET,
            "event.module": "kubernetes",
            "event.kind": "event",
            "event.category": ["configuration"],
            "orchestrator.type": "kubernetes",
        }
    )
    _ecs(fields, record, origin)
    _pod_security(fields, _object(bodies.get("requestObject")))
    return fields
