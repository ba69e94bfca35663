"""The one registry shape, and the one completeness check every registry test uses."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import BaseModel

from canhgac.errors import ConfigError
from canhgac.registry import Builder, Registry
from tests.support.registries import assert_builds_every_config_type


class _Red(BaseModel):
    type: Literal["red"] = "red"
    shade: int = 1


class _Blue(BaseModel):
    type: Literal["blue"] = "blue"


_Colour = Annotated[_Red | _Blue, "a union like the config's"]


def test_get_returns_the_entry_and_an_unknown_name_lists_the_known_ones() -> None:
    registry = Registry("parser", {"nginx": len, "auth": str})
    assert registry.get("nginx") is len
    assert registry.names() == ["auth", "nginx"]
    assert "auth" in registry and "xml" not in registry
    with pytest.raises(ConfigError, match=r"^unknown parser 'xml'; known parsers: auth, nginx$"):
        registry.get("xml")


def test_a_builder_builds_from_its_own_model_and_refuses_another() -> None:
    build = Builder(_Red, lambda config, times: config.shade * times)
    assert build(_Red(shade=3), 2) == 6
    with pytest.raises(ConfigError, match="_Red expected, got _Blue"):
        build(_Blue())


def test_the_completeness_check_passes_a_complete_registry_and_fails_the_others() -> None:
    complete = Registry("colour", {"red": Builder(_Red, repr), "blue": Builder(_Blue, repr)})
    assert_builds_every_config_type(complete, _Colour)
    missing = Registry("colour", {"red": Builder(_Red, repr)})
    with pytest.raises(AssertionError):
        assert_builds_every_config_type(missing, _Colour)
    swapped = Registry("colour", {"red": Builder(_Blue, repr), "blue": Builder(_Red, repr)})
    with pytest.raises(AssertionError):
        assert_builds_every_config_type(swapped, _Colour)
