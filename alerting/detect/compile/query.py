"""What a compiler makes of one rule, whichever store it targets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A rule compiled for one store, and whether the pipeline mapped its log source."""

    query: Any
    logsource_mapped: bool


#: A store's compiler: applies the pipeline to the rule (in place) and compiles it.
QueryCompiler = Callable[[SigmaRule, ProcessingPipeline], CompiledQuery]
