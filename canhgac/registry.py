"""The one registry shape: names from the configuration -> the class or function they select.

Every "which implementation does ``type: x`` mean" lookup (parsers, sources, transports, stores,
channels, ...) is a :class:`Registry`: ``get(name)`` is the lookup, and an unknown name is a
:class:`~canhgac.errors.ConfigError` that lists the known ones. Implementations built from their
own config model are registered as a :class:`Builder`, which pairs the model with the function
and checks the model at the call, so a registry of builders for different models stays typed
(no ``Any`` parameter narrowed by an ``assert`` that ``python -O`` would remove). Tests check a
registry against the config's union of models with one helper (``tests/support/registries.py``).
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Mapping
from typing import Concatenate, Generic, ParamSpec, TypeVar

from canhgac.errors import ConfigError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
C = TypeVar("C")
P = ParamSpec("P")


class Registry(Generic[T]):
    """Named implementations of one ``kind`` (a word for messages: "parser", "store")."""

    def __init__(self, kind: str, entries: Mapping[str, T]) -> None:
        self.kind = kind
        self._entries = dict(entries)

    def get(self, name: str) -> T:
        try:
            return self._entries[name]
        except KeyError:
            known = ", ".join(self.names())
            raise ConfigError(
                f"unknown {self.kind} {name!r}; known {self.kind}s: {known}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> ItemsView[str, T]:
        return self._entries.items()

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"


class Builder(Generic[P, T_co]):
    """Builds a ``T`` from a config of model ``config_type`` (and the extra arguments ``P``).

    The model is checked when called: the builders in one registry take different models, and
    the caller holds the union of them.
    """

    def __init__(self, config_type: type[C], build: Callable[Concatenate[C, P], T_co]) -> None:
        def checked(config: object, *args: P.args, **kwargs: P.kwargs) -> T_co:
            if not isinstance(config, config_type):
                raise ConfigError(f"{config_type.__name__} expected, got {type(config).__name__}")
            return build(config, *args, **kwargs)

        self.config_type: type[object] = config_type
        self._checked = checked

    def __call__(self, config: object, *args: P.args, **kwargs: P.kwargs) -> T_co:
        return self._checked(config, *args, **kwargs)
