"""The one completeness check for registries of config-built implementations.

A registry of :class:`~canhgac.registry.Builder` is complete when it has exactly one builder
per model of the config's union (``config.StoreConfig``, ``config.SourceConfig``, ...), keyed
by that model's ``type``, and each builder takes that very model.
"""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from canhgac.registry import Builder, Registry


def config_models(annotation: Any) -> dict[str, type[BaseModel]]:
    """``type`` -> model, for the config models inside an Annotated/Union annotation."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation.model_fields["type"].default: annotation}
    found: dict[str, type[BaseModel]] = {}
    for arg in typing.get_args(annotation):
        found |= config_models(arg)
    return found


def assert_builds_every_config_type(registry: Registry[Builder[Any, Any]], annotation: Any) -> None:
    models = config_models(annotation)
    assert models, f"no config models in {annotation!r}"
    assert registry.names() == sorted(models), registry
    for name, builder in registry.items():
        assert builder.config_type is models[name], (name, builder.config_type)
