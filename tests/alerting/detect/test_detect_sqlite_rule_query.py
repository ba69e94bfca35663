"""What the SQLite compiler hands the store with each query (RuleQuery): the datasets a rule
is pinned to and the needles its matches contain; never more than the condition implies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from sigma.rule import SigmaRule
from sigma.types import SigmaRegularExpression, SigmaRegularExpressionFlag

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.sqlite.backend import compile_sqlite
from alerting.detect.compile.sqlite.prefilter import regex_literal
from canhgac.store.sqlite.rule_query import datasets_of, needles_of

PIPELINE = Path(__file__).parent / "fixtures" / "pipelines" / "ecs_test.yml"
CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "sigmahq-all"


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


def test_a_field_key_guards_the_sql_but_is_no_needle_of_the_store() -> None:
    # `user.id: 0` has no needle of its own ('0' is too short): the rule requires the key
    # of user.id, in its SQL; the store's needle pass gets the value clauses only.
    query = compiled(AUTH, "  sel:\n    message|contains: sshd\n    user.id: 0\n  condition: sel")
    assert query.startswith("doc LIKE '%sshd%' ESCAPE '\\' AND doc LIKE '%\"user.id\":%'")
    assert set(needles_of(query)) == {frozenset({"%sshd%"})}


EXAMPLES = {  # regex -> a text it matches
    "union(\\s|\\+)+select": "x union select 1",
    "union(\\s|\\+|/\\*.*?\\*/)+(all(\\s|\\+)+)?select": "UNİON/**/SELECT",
    "(?i)powershell.exe": "POWERSHELL.EXE",
    "(?i)mimikatz": "MIMI\u212aATZ",
    'say "quoted"': 'say "quoted"',
    "cmd\\.exe /c powershell": "cmd.exe /c powershell",
    "ab?cdef": "acdef",
    "abcd{2}xyz": "abcddxyz",
    "[(|]defgh": "|defgh",
    "(abc|xyz)+tail": "xyztail",
}


@pytest.mark.parametrize(
    ("regex", "ignore_case", "literal"),
    [
        ("union(\\s|\\+)+select", False, "select"),
        # |i: Python folds i, k and s with non-ASCII letters too; a run never holds them
        ("union(\\s|\\+|/\\*.*?\\*/)+(all(\\s|\\+)+)?select", True, "elect"),
        ("(?i)mimikatz", False, "atz"),  # an inline flag may turn on IGNORECASE
        ("(?i)powershell.exe", False, "power"),
        ("cmd\\.exe /c powershell", False, "exe /c powershell"),  # an escape ends a run
        ("ab?cdef", False, "cdef"),  # 'b' is optional
        ("abcd{2}xyz", False, "abc"),  # 'd{2}' is conservatively dropped
        ("[0-9]{2,20}(x|y)", False, None),  # a quantifier's bounds are not text
        ("abc|defgh", False, None),  # either side: no run is required
        ("(?x) ab cd ef gh", False, None),  # verbose: spaces are not matched
        ("[(|]defgh", False, "defgh"),  # a class may hold '(' and '|'
        ("(abc|xyz)+tail", False, "tail"),
        ("-[Ee]nc\\s+[A-Za-z0-9+/=]{8,}", False, None),
        ('say "quoted"', False, "quoted"),  # JSON escapes '"': never in a needle
    ],
)
def test_a_regex_yields_the_longest_literal_run_every_match_contains(
    regex: str, ignore_case: bool, literal: str | None
) -> None:
    value = SigmaRegularExpression(regex)
    if ignore_case:
        value.add_flag(SigmaRegularExpressionFlag.IGNORECASE)
    assert regex_literal(value) == literal
    if literal:  # a match contains it, in ASCII case folded as LIKE does
        example = EXAMPLES[regex]
        assert re.search(regex, example, re.IGNORECASE if ignore_case else 0)
        assert literal.lower() in example.lower()


def _parser_runs(regex: str) -> list[str]:
    """The literal runs at the top level of ``regex`` as Python's own parser reads it."""
    runs, run = [], ""
    for op, arg in re._parser.parse(regex):  # type: ignore[attr-defined]
        if str(op) == "LITERAL":
            run += chr(arg)
        else:
            runs.append(run)
            run = ""
    return [*runs, run]


def _corpus_regexes() -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if "|re" in str(key):
                    found.extend(v for v in (value if isinstance(value, list) else [value]))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted((CORPUS / "rules").rglob("*.yml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            walk((document or {}).get("detection"))
    return [str(regex) for regex in found if isinstance(regex, str)]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="no SigmaHQ corpus beside the repo")
def test_every_corpus_regex_literal_is_a_run_of_the_parsers_reading() -> None:
    """An independent reading (Python's own regex parser) of every SigmaHQ ``|re`` value: the
    literal we guard on is inside one of the runs every match must contain."""
    checked = 0
    for regex in _corpus_regexes():
        try:
            value = SigmaRegularExpression(regex)
        except Exception:  # noqa: BLE001 - a regex pySigma refuses never becomes a query
            continue
        literal = regex_literal(value)
        if literal is not None:
            checked += 1
            runs = _parser_runs(regex)
            assert any(literal in run for run in runs), (regex, literal, runs)
    assert checked > 100
