"""Kubernetes audit events (audit.k8s.io/v1 Event, as the API server's log backend writes
them; shapes from the Kubernetes auditing documentation)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from canhgac.errors import ParseError
from canhgac.models import DeadLetter
from ingest.parse.base import Origin
from ingest.parse.kubernetes import parse_kubernetes_audit

OriginFactory = Callable[..., Origin]
EventFields = Callable[..., dict[str, Any]]
DeadLetterOf = Callable[..., DeadLetter]

DELETE_EVENTS = (
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata",'
    '"auditID":"6b7e0e5c-3d4b-4a4e-9a52-1f5e0a3c2b11","stage":"ResponseComplete",'
    '"requestURI":"/api/v1/namespaces/default/events","verb":"deletecollection",'
    '"user":{"username":"system:serviceaccount:kube-system:attacker","uid":"u-1",'
    '"groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.20.4.5"],'
    '"userAgent":"kubectl/v1.29.2 (linux/amd64) kubernetes/4b8e819",'
    '"objectRef":{"resource":"events","namespace":"default","apiVersion":"v1"},'
    '"responseStatus":{"metadata":{},"code":200},'
    '"requestReceivedTimestamp":"2024-03-05T07:02:11.482311Z",'
    '"stageTimestamp":"2024-03-05T07:02:11.490000Z",'
    '"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}'
)
POD = {
    "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Request", "auditID": "a-2",
    "stage": "ResponseComplete", "requestURI": "/api/v1/namespaces/cong-dan/pods",
    "verb": "create", "user": {"username": "nguyễn.văn.a@hanoi.gov.vn"},
    "sourceIPs": ["2001:db8::7", "10.0.0.1"],
    "objectRef": {"resource": "pods", "namespace": "cong-dan", "name": "debug", "apiVersion": "v1"},
    "responseStatus": {"code": 403, "reason": "Forbidden"},
    "requestObject": {
        "kind": "Pod", "apiVersion": "v1",
        "spec": {
            "hostPID": True,
            "volumes": [{"name": "root", "hostPath": {"path": "/", "type": ""}}],
            "containers": [{"name": "c", "image": "alpine", "securityContext": {
                "privileged": True, "capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"]}}}],
        },
    },
    "requestReceivedTimestamp": "2024-03-05T07:03:00.000001Z",
}  # fmt: skip


def test_delete_events(make_origin: OriginFactory) -> None:
    fields = parse_kubernetes_audit(DELETE_EVENTS, make_origin("kubernetes_audit"))
    assert fields["event.dataset"] == "kubernetes.audit"
    assert fields["@timestamp"] == "2024-03-05T07:02:11.482311Z"
    assert fields["event.action"] == "deletecollection"
    assert fields["event.type"] == ["deletion"]
    assert fields["event.outcome"] == "success"
    assert fields["user.name"] == "system:serviceaccount:kube-system:attacker"
    assert fields["user.id"] == "u-1"
    assert fields["source.ip"] == "10.20.4.5"
    assert fields["user_agent.original"].startswith("kubectl/v1.29.2")
    assert fields["url.original"] == "/api/v1/namespaces/default/events"
    assert fields["orchestrator.resource.type"] == "events"
    assert fields["orchestrator.namespace"] == "default"
    assert fields["http.response.status_code"] == 200
    assert fields["hanoi.kubernetes.audit.verb"] == "deletecollection"
    assert fields["hanoi.kubernetes.audit.objectRef.resource"] == "events"
    assert fields["hanoi.kubernetes.audit.annotations.authorization.k8s.io/decision"] == "allow"
    assert fields["event.id"] == "6b7e0e5c-3d4b-4a4e-9a52-1f5e0a3c2b11"


def test_privileged_pod_spec_is_summarised(event_fields: EventFields) -> None:
    fields = event_fields(json.dumps(POD, ensure_ascii=False), "kubernetes_audit")
    assert fields["hanoi.kubernetes.audit.host_paths"] == ["/"]
    assert fields["hanoi.kubernetes.audit.capabilities"] == ["SYS_ADMIN", "NET_ADMIN"]
    assert fields["hanoi.kubernetes.audit.privileged"] is True
    assert fields["hanoi.kubernetes.audit.hostPID"] is True
    assert fields["event.outcome"] == "failure"
    assert fields["user.name"] == "nguyễn.văn.a@hanoi.gov.vn"
    assert fields["source.ip"] == "2001:db8::7"
    # the body stays in event.original only
    assert not any(key.startswith("hanoi.kubernetes.audit.requestObject") for key in fields)


def test_deployment_template_spec(make_origin: OriginFactory) -> None:
    spec = POD["requestObject"]["spec"]  # type: ignore[index]
    event = POD | {"objectRef": {"resource": "deployments", "apiGroup": "apps"},
                   "requestObject": {"kind": "Deployment", "spec": {"template": {"spec": spec}}}}  # fmt: skip
    fields = parse_kubernetes_audit(json.dumps(event), make_origin("kubernetes_audit"))
    assert fields["hanoi.kubernetes.audit.host_paths"] == ["/"]
    assert fields["hanoi.kubernetes.audit.objectRef.apiGroup"] == "apps"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ('{"kind":"Pod","apiVersion":"v1"}', "not a Kubernetes audit event"),
        ('{"kind":"Event","apiVersion":"v1"}', "not a Kubernetes audit event"),
        ("kubectl delete pod x", "invalid JSON"),
        ('{"kind":"Event","apiVersion":"audit.k8s.io/v1","x":' + "[" * 100 + "]" * 100 + "}",
         "deep"),
    ],
)  # fmt: skip
def test_other_records_are_refused(line: str, reason: str, make_origin: OriginFactory) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_kubernetes_audit(line, make_origin("kubernetes_audit"))


def test_hostile_shapes_do_not_crash(make_origin: OriginFactory) -> None:
    event = {"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": 7, "user": "root",
             "sourceIPs": "1.2.3.4", "responseStatus": {"code": True},
             "requestObject": {"spec": {"volumes": "x", "containers": [1, {"securityContext": 2}]}}}  # fmt: skip
    fields = parse_kubernetes_audit(json.dumps(event), make_origin("kubernetes_audit"))
    assert "event.action" not in fields and "user.name" not in fields
    assert "source.ip" not in fields and "http.response.status_code" not in fields
    assert fields["event.timestamp_fallback"] is True


def test_garbage_bytes_become_a_dead_letter(dead_letter: DeadLetterOf) -> None:
    assert dead_letter(b'{"kind":"Event" \xff\xfe', "kubernetes_audit").reason
