"""A detection rule's WHERE fragment with what its compiler knows about the rows it matches.

The store can answer many rules' first pages from one read of their rows (the shared passes
of :mod:`canhgac.store.sqlite.shared_scan` and :mod:`canhgac.store.sqlite.needle_scan`) when it
knows which rows a rule can match at all: the datasets its log source pins it to, and the
needles (LIKE patterns on the JSON document) every match contains. The compiler knows both
(:mod:`alerting.detect.compile.sqlite.backend`); it hands them over with the text itself.
"""

from __future__ import annotations

from collections.abc import Iterable

#: One LIKE pattern (ESCAPE '\') the event's JSON document matches.
Pattern = str


class RuleQuery(str):
    """A WHERE fragment for :meth:`SQLiteStore.search_events` that also says

    * ``required``: a conjunction of clauses, each a set of LIKE patterns of which every
      matching event's document satisfies one;
    * ``datasets``: the only datasets (lowercase) a matching event can have, or None.

    It is the query text everywhere else; a plain ``str`` made from it simply knows nothing.
    """

    required: tuple[frozenset[Pattern], ...]
    datasets: frozenset[str] | None

    def __new__(
        cls,
        query: str,
        required: Iterable[Iterable[Pattern]] = (),
        datasets: Iterable[str] | None = None,
    ) -> RuleQuery:
        made = super().__new__(cls, query)
        made.required = tuple(frozenset(clause) for clause in required)
        made.datasets = None if datasets is None else frozenset(d.lower() for d in datasets)
        return made

    def __reduce__(
        self,
    ) -> tuple[type[RuleQuery], tuple[str, tuple[frozenset[str], ...], frozenset[str] | None]]:
        return (RuleQuery, (str(self), self.required, self.datasets))


def needles_of(query: object) -> tuple[frozenset[Pattern], ...]:
    """The clauses ``query`` carries (none for a plain string)."""
    return query.required if isinstance(query, RuleQuery) else ()


def datasets_of(query: object) -> frozenset[str] | None:
    """The datasets ``query`` is pinned to (None: any, or unknown)."""
    return query.datasets if isinstance(query, RuleQuery) else None
