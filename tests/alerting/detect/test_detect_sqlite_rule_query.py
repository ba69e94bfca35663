"""What the SQLite compiler hands the store with each query (RuleQuery): the datasets a rule
is pinned to and the needles its matches contain; never more than the condition implies."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigma.rule import SigmaRule

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.sqlite.backend import compile_sqlite
from canhgac.store.sqlite.rule_query import datasets_of, needles_of

PIPELINE = Path(__file__).parent / "fixtures" / "pipelines" / "ecs_test.yml"


def compiled(logsource: str, detection: str) -> object:
    rule = SigmaRule.from_yaml(
        f"title: t\nid: 5f0b2a43-8c53-4a3e-9d39-2b7b5d6a0c11\nlogsource:\n{logsource}\n"
        f"detection:\n{detection}"
    )
    return compile_sqlite(rule, load_pipeline([PIPELINE])).query


AUTH = "  product: linux\n  service: auth"


@pytest.mark.parametrize(
    ("logsource", "detection", "datasets"),
    [
        (AUTH, "  sel:\n    message|contains: sshd\n  condition: sel", {"system.auth"}),
        (  # the rule's own dataset test: only where both hold
            AUTH,
            "  sel:\n    event.dataset: [System.Auth, other]\n  condition: sel",
            {"system.auth"},
        ),
        (
            "  product: unmapped",
            "  a:\n    event.dataset: nginx.access\n  b:\n    event.dataset: Apache.Access\n"
            "  condition: a or b",
            {"nginx.access", "apache.access"},
        ),
        (  # one side of the OR is not pinned: nothing is
            "  product: unmapped",
            "  a:\n    event.dataset: nginx.access\n  b:\n    message: x\n  condition: a or b",
            None,
        ),
        (  # a negation pins nothing; a wildcard is not a dataset name
            "  product: unmapped",
            "  a:\n    event.dataset: nginx.access\n  b:\n    event.dataset: 'web.*'\n"
            "  condition: not a or b",
            None,
        ),
    ],
)
def test_the_datasets_a_rule_is_pinned_to(
    logsource: str, detection: str, datasets: set[str] | None
) -> None:
    query = compiled(logsource, detection)
    assert datasets_of(query) == (None if datasets is None else frozenset(datasets))


def test_needles_are_the_required_prefilters_and_a_query_is_still_its_text() -> None:
    query = compiled(
        AUTH, "  sel:\n    message|contains|all: [Failed password, invalid]\n  condition: sel"
    )
    assert isinstance(query, str) and query.startswith("doc LIKE")
    assert set(needles_of(query)) == {
        frozenset({"%failed password%"}),
        frozenset({"%invalid%"}),
    }
