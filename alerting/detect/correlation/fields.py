"""Which event field a correlation reads, per referenced rule: aliases, then field mapping.

A correlation names fields in ``group-by`` and ``condition.field``; an alias renames them per
referenced rule (the specification). What remains is a Sigma field name, which the processing
pipeline maps onto our ECS fields *for the referenced rule's log source* (``User`` of a Windows
rule is ``winlog.event_data.User``). That mapping is read by running the pipeline over a probe
rule with the base rule's log source, so a correlation reads exactly the field the base rule's
own query would compare. A name the pipeline maps to several fields is refused: a group has
one value.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule

PROBE = "field_probe"


class FieldProblem(ValueError):
    """A correlation field that cannot be read faithfully (the message says why)."""


def aliased(rule: SigmaCorrelationRule, name: str, references: set[str]) -> str:
    """The field ``name`` stands for in the events of the rule known by ``references``
    (its reference as written, its id and its name)."""
    for alias in rule.aliases:
        if alias.alias != name:
            continue
        for reference, target in alias.mapping.items():
            if reference.reference in references:
                return str(target)
        raise FieldProblem(f"alias '{name}' has no field for rule '{sorted(references)[0]}'")
    return name


@dataclass(slots=True)
class FieldMapper:
    """Maps Sigma field names to event fields through the pipeline, per log source."""

    pipeline: ProcessingPipeline
    _cache: dict[tuple[str | None, str | None, str | None, str], list[str]] = field(
        default_factory=dict
    )

    def event_field(self, rule: SigmaRule, name: str) -> str:
        """The one event field ``name`` means for ``rule``'s log source."""
        names = self.event_fields(rule, name)
        if len(names) != 1:
            raise FieldProblem(
                f"field '{name}' maps to {', '.join(names) or 'no field'} for log source "
                f"{rule.logsource.to_dict()}; a correlation needs exactly one field"
            )
        return names[0]

    def event_fields(self, rule: SigmaRule, name: str) -> list[str]:
        """Every event field ``name`` is compared as for ``rule``'s log source."""
        source = rule.logsource
        key = (source.category, source.product, source.service, name)
        if key not in self._cache:
            self._cache[key] = self._probe(rule, name)
        return self._cache[key]

    def _probe(self, rule: SigmaRule, name: str) -> list[str]:
        if "|" in name or not name.strip():
            raise FieldProblem(f"'{name}' is not a field name")
        try:
            probe = SigmaRule.from_dict(
                {
                    "title": "field probe",
                    "logsource": rule.logsource.to_dict(),
                    "detection": {PROBE: {name: "x"}, "condition": PROBE},
                }
            )
            # A fresh pipeline object: applying one keeps per-rule state.
            processed = (self.pipeline + ProcessingPipeline()).apply(probe)
        except SigmaError as exc:
            raise FieldProblem(f"field '{name}' cannot be mapped: {exc}") from None
        assert isinstance(processed, SigmaRule)
        return sorted(set(fields_of(processed.detection.detections[PROBE])))


def fields_of(node: SigmaDetection | SigmaDetectionItem) -> Iterator[str]:
    if isinstance(node, SigmaDetectionItem):
        if node.field is not None:
            yield node.field
        return
    for item in node.detection_items:
        yield from fields_of(item)
