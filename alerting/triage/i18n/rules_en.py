"""English messages of the rules page's switches and the pivot links."""

MESSAGES: dict[str, str] = {
    "rules.state": "Runs",
    "rules.enabled": "Enabled",
    "rules.disabled": "Disabled",
    "rules.disabled_count": "{count} disabled.",
    "rules.switched_by": "{actor}, {time}",
    "rules.reason": "Reason (required)",
    "rules.disable": "Disable",
    "rules.enable": "Enable",
    "rules.ran_at": "ran {time}",
    "rules.tests": "tests",
    "notice.done_rule_disabled": "Rule disabled: detection stops it at its next tick.",
    "notice.done_rule_enabled": (
        "Rule enabled: it resumes from now; events ingested while it was disabled are not"
        " searched (use rules backtest for them)."
    ),
    "notice.rule_reason": "Give a reason (up to 1000 characters) to disable or enable a rule.",
    "notice.rule_already_disabled": "The rule is already disabled.",
    "notice.rule_already_enabled": "The rule is already enabled.",
    "error.rule_unknown": "No loaded rule has this id.",
    "error.rule_reason": "Give a reason (up to 1000 characters) to disable or enable a rule.",
    "error.rule_already_disabled": "The rule is already disabled.",
    "error.rule_already_enabled": "The rule is already enabled.",
    "overview.rule_disabled": "disabled",
    "pivot.title": "Open the {kind} page",
}
