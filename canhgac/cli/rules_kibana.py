"""`rules convert --target lucene|esql`: a rule as Kibana's own query languages, to cross-check.

Converted by pySigma's Elasticsearch backend (``pysigma-backend-elasticsearch``, imported only
here) through our processing pipeline, so the field names are the ones we store. These are not
the queries Canh Gác runs (``--target dsl`` and ``sql`` are), and they differ on purpose in one
way, printed with them: Lucene and ES|QL compare keyword fields case-sensitively, where our
stores match case-insensitively as Sigma specifies (``NGUYỄN`` matches ``nguyễn``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule

from canhgac.errors import ConfigError

CASE_NOTE = (
    "note: Lucene and ES|QL compare keyword fields case-sensitively; Canh Gác matches "
    "case-insensitively (Sigma semantics), so Kibana may miss events that differ only in case"
)

#: Kibana's KQL has no pySigma backend; Lucene is what Kibana's search bar takes with KQL off.
KQL_NOTE = "kql: no pySigma backend converts to KQL; use --target lucene (Kibana: KQL off)"


def _backend(name: str) -> Callable[[ProcessingPipeline], Any]:
    try:
        from sigma.backends import elasticsearch
    except ImportError:  # pragma: no cover - a dependency of the package
        raise ConfigError(
            "rules convert --target lucene/esql needs pysigma-backend-elasticsearch "
            "(pip install 'pysigma-backend-elasticsearch>=2.1,<2.2')"
        ) from None
    backend: Callable[[ProcessingPipeline], Any] = getattr(elasticsearch, name)
    return backend


#: ``--target`` names converted by pySigma -> its backend class name.
KIBANA_BACKENDS = {"lucene": "LuceneBackend", "esql": "ESQLBackend"}


def kibana_query(rule: SigmaRule, pipeline: ProcessingPipeline, target: str) -> str:
    """``rule`` in the Kibana language ``target`` (a key of :data:`KIBANA_BACKENDS`)."""
    backend = _backend(KIBANA_BACKENDS[target])(pipeline)
    queries = backend.convert_rule(rule)
    return "\n".join(str(query) for query in queries)
