"""The API against its own OpenAPI document (schemathesis): no 500s, answers match the schema.

Runs as an admin token (every operation admits admins) over a store holding a few alerts and
the data-health scenario's sources, with a bounded number of generated requests per operation
so the whole file stays well under a minute.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from canhgac.models import Severity
from canhgac.store.triage import Role

from .conftest import TriageEnv, make_alert, make_event

MAX_EXAMPLES = 15
KNOWN_ALERTS = [f"a{i}" for i in range(len(Severity))]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _seed(env: TriageEnv) -> None:
    now = env.clock.now
    for i, severity in enumerate(Severity):
        event = make_event(f"e{i}", now - timedelta(minutes=i), **{"host.name": "web-01"})
        alert = make_alert(
            f"a{i}",
            now - timedelta(minutes=i),
            severity=severity,
            event_ids=[event.id],
            snapshot={"host.name": "web-01"},
        )
        env.add_alert(alert, [event])


def _with_known_ids(
    cases: st.SearchStrategy[Any], known_sources: list[str]
) -> st.SearchStrategy[Any]:
    """Cases whose ``alert_id`` or ``source_id`` is often a stored one, so not everything is
    a 404."""
    known = {"alert_id": KNOWN_ALERTS, "source_id": known_sources}

    def pick(pair: tuple[Any, int | None]) -> Any:
        case, index = pair
        for name, ids in known.items():
            if index is not None and name in (case.path_parameters or {}):
                case.path_parameters[name] = ids[index % len(ids)]
        return case

    return st.tuples(cases, st.sampled_from([*range(6), None])).map(pick)


def test_api_conforms_to_its_openapi_document(health_env: TriageEnv) -> None:
    # schemathesis' own pytest plugin does not run under this pytest version, so each
    # operation's strategy is driven by hypothesis directly.
    env = health_env
    _seed(env)
    app = env.app()
    sources = [item.id for item in app.state.triage.sources.board().rows]
    assert len(sources) == 7  # the scenario's six keys and the seeded events' (no source name)
    secret, _ = app.state.triage.tokens.issue("schemathesis", Role.admin, created_by="admin")
    auth = {"Authorization": f"Bearer {secret}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, headers=auth)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:

        @given(case=_with_known_ids(operation.as_strategy(), sources))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth, checks=CHECKS)

        try:
            conforms()
        # Checks fail with many exception types; collect every operation's failure, then
        # report them all (the assert below fails the test).
        except Exception as exc:  # noqa: BLE001 - collected and reported, not swallowed
            failures.append(f"{operation.label}: {exc}")
    assert failures == []
