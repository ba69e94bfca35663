"""The health alert rules: one identity per kind of problem, like a Sigma rule's."""

from __future__ import annotations

from dataclasses import dataclass

from canhgac.health.model import Quality
from canhgac.models import Severity


@dataclass(frozen=True, slots=True)
class HealthRule:
    id: str
    title: str
    severity: Severity
    quality: Quality


SILENT = HealthRule(
    "canhgac-health-silent", "Log source silent (nguồn log im lặng)", Severity.high, Quality.live
)
NOT_UNDERSTOOD = HealthRule(
    "canhgac-health-not-understood",
    "Log lines stored but not understood (log không được phân tích)",
    Severity.medium,
    Quality.correct,
)
CLOCK_SKEW = HealthRule(
    "canhgac-health-clock-skew",
    "Log source clock skew (lệch giờ nguồn log)",
    Severity.medium,
    Quality.correct,
)
DEAD_LETTERS = HealthRule(
    "canhgac-health-dead-letters",
    "Log records rejected as dead letters (bản ghi bị loại)",
    Severity.medium,
    Quality.clean,
)
SEQUENCE_GAPS = HealthRule(
    "canhgac-health-sequence-gaps",
    "Log records missing (sequence gaps) (thiếu bản ghi log)",
    Severity.medium,
    Quality.complete,
)
DETECTION_BEHIND = HealthRule(
    "canhgac-health-detection-behind",
    "Detection rules stopped searching (quy tắc phát hiện bị dừng)",
    Severity.high,
    Quality.live,
)

#: Every health rule, by id (a test checks the ids are unique and prefixed).
HEALTH_RULES: dict[str, HealthRule] = {
    rule.id: rule
    for rule in (
        SILENT,
        NOT_UNDERSTOOD,
        CLOCK_SKEW,
        DEAD_LETTERS,
        SEQUENCE_GAPS,
        DETECTION_BEHIND,
    )
}
