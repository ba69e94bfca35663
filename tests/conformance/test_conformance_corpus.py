"""The corpus itself: it covers every Sigma modifier and the project's must-haves, and every
case can fail (see conftest.py for the format)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from sigma.modifiers import modifier_mapping


def _items(detection: dict[str, Any]) -> Iterator[tuple[str | None, Any]]:
    """(field with modifiers, value) for every detection item; keywords have no field."""
    for name, body in detection.items():
        if name == "condition":
            continue
        if isinstance(body, dict):
            yield from ((key or None, value) for key, value in body.items())
        else:
            yield None, body


def _all_items(cases: Any) -> list[tuple[str | None, Any]]:
    return [item for case in cases for item in _items(case.detection)]


def test_every_sigma_modifier_is_covered(corpus_cases: Any) -> None:
    used = {
        modifier
        for key, _ in _all_items(corpus_cases)
        if key and "|" in key
        for modifier in key.split("|")[1:]
    }
    assert set(modifier_mapping) - used == set()


def test_keywords_nulls_and_decomposed_vietnamese_are_covered(corpus_cases: Any) -> None:
    items = _all_items(corpus_cases)
    assert any(key is None or key.startswith("|") for key, _ in items)  # keywords
    assert any(value is None for _, value in items)  # null values
    texts = [
        value
        for case in corpus_cases
        for event in case.events.values()
        for value in (event or {}).values()
        if isinstance(value, str)
    ]
    assert any(not unicodedata.is_normalized("NFC", text) for text in texts)
    assert any("ễ" in text or "Ễ" in text for text in texts)


def test_every_case_can_fail(corpus_cases: Any) -> None:
    problems = []
    for case in corpus_cases:
        if not case.matches <= set(case.events):
            problems.append(f"{case.key}: expects events it does not have")
        if not set(case.events) - case.matches:
            # Without an event the rule must not match, matching too much would not show.
            problems.append(f"{case.key}: every event is expected to match")
        if not set(case.refused) <= {"sqlite", "elasticsearch"}:
            problems.append(f"{case.key}: refused by an unknown store")
    assert problems == []
