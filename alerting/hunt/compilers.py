"""Query language of a store -> the compiler of search trees into it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alerting.hunt.syntax import Node
from alerting.hunt.to_elasticsearch import compile_elasticsearch
from alerting.hunt.to_sqlite import compile_sqlite
from canhgac.registry import Registry

HUNT_COMPILERS: Registry[Callable[[Node], Any]] = Registry(
    "query language", {"sqlite": compile_sqlite, "elasticsearch": compile_elasticsearch}
)
