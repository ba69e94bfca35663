"""Loading a rules directory: every problem reported as ``path:line: message``, the good rules
loaded regardless."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerting.detect.load.ruleset import load_rules

GOOD_1 = "5b3f1b0e-0000-4000-8000-0000000000a1"
GOOD_2 = "5b3f1b0e-0000-4000-8000-0000000000a2"

BROKEN_YAML = """title: Broken YAML
id: 5b3f1b0e-0000-4000-8000-0000000000b2
detection:
  sel:
    a: b
   condition: sel
"""


def test_three_broken_rules_are_reported_and_two_good_ones_load(kit: Any) -> None:
    rules_dir = kit.write_rules(
        {
            "good/one.yml": kit.rule_text("sel:\n  user.name: a\ncondition: sel", rule_id=GOOD_1),
            "good/two.yaml": kit.rule_text("k:\n  - 'Failed'\ncondition: k", rule_id=GOOD_2),
            "bad/modifier.yml": kit.rule_text(
                "sel:\n  user.name|contans: x\ncondition: sel",
                rule_id="5b3f1b0e-0000-4000-8000-0000000000b1",
            ),
            "bad/syntax.yml": BROKEN_YAML,
            "bad/settings.yml": kit.rule_text(
                "sel:\n  user.name: x\ncondition: sel",
                rule_id="5b3f1b0e-0000-4000-8000-0000000000b3",
                extra="canhgac:\n  interval: 5m\n  group_bye: [source.ip]\n",
            ),
            # Neither of these is a rule; loading them would add errors.
            "good/one.tests.yml": "not: [a, rule",
            "pipelines/ecs.yml": "transformations: [",
        }
    )

    ruleset = load_rules(rules_dir)

    assert sorted(rule.id for rule in ruleset.rules) == [GOOD_1, GOOD_2]
    assert ruleset.messages == [
        f"{rules_dir}/bad/modifier.yml:10: Unknown modifier 'contans'",
        f"{rules_dir}/bad/settings.yml:10: unknown key 'canhgac.group_bye'",
        f"{rules_dir}/bad/syntax.yml:6: invalid YAML: expected <block end>, but found "
        "'<block mapping start>'",
    ]
    assert [(error.path, error.line) for error in ruleset.errors] == [
        (f"{rules_dir}/bad/modifier.yml", 10),
        (f"{rules_dir}/bad/settings.yml", 10),
        (f"{rules_dir}/bad/syntax.yml", 6),
    ]


def test_metadata_condition_regex_and_settings_problems_point_at_their_line(kit: Any) -> None:
    rules_dir = kit.write_rules(
        {
            "level.yml": kit.rule_text(
                "sel:\n  a: x\ncondition: sel", rule_id=GOOD_1, level="urgent"
            ),
            "condition.yml": kit.rule_text(
                "sel:\n  a: x\ncondition: sel and missing", rule_id=GOOD_2
            ),
            "regex.yml": kit.rule_text(
                "sel:\n  a: x\n  b|re: 'a(b'\ncondition: sel",
                rule_id="5b3f1b0e-0000-4000-8000-0000000000c1",
            ),
            "settings.yml": kit.rule_text(
                "sel:\n  a: x\ncondition: sel",
                rule_id="5b3f1b0e-0000-4000-8000-0000000000c2",
                extra="canhgac:\n  suppress: 0s\n  interval: often\n",
            ),
            "date.yml": "date: 2024-13-01\n"
            + kit.rule_text(
                "sel:\n  a: x\ncondition: sel", rule_id="5b3f1b0e-0000-4000-8000-0000000000c3"
            ),
        }
    )

    messages = load_rules(rules_dir).messages

    assert messages == [
        f"{rules_dir}/condition.yml:11: Detection 'missing' not defined in detections",
        f"{rules_dir}/date.yml:1: Rule date '2024-13-01' is invalid, use yyyy-mm-dd",
        f"{rules_dir}/level.yml:4: 'urgent' is not a valid Sigma rule level",
        f"{rules_dir}/regex.yml:11: Regular expression 'a(b' is invalid: missing ), "
        "unterminated subpattern at position 1",
        f"{rules_dir}/settings.yml:9: 'canhgac.suppress': Value error, must be longer than zero",
        f"{rules_dir}/settings.yml:10: 'canhgac.interval': expected a duration such as 30s, "
        "5m or 1h, got 'often'",
    ]


def test_duplicate_and_missing_ids_are_errors_and_the_first_rule_wins(kit: Any) -> None:
    text = kit.rule_text("sel:\n  a: x\ncondition: sel", rule_id=GOOD_1)
    no_id = kit.rule_text("sel:\n  a: x\ncondition: sel").replace(
        "id: 5b3f1b0e-0000-4000-8000-000000000001\n", ""
    )
    rules_dir = kit.write_rules({"a.yml": text, "b.yml": text, "c.yml": no_id})

    ruleset = load_rules(rules_dir)

    assert [str(rule.path) for rule in ruleset.rules] == [f"{rules_dir}/a.yml"]
    assert ruleset.messages == [
        f"{rules_dir}/b.yml:2: duplicate rule id {GOOD_1} (also in {rules_dir}/a.yml)",
        f"{rules_dir}/c.yml:1: rule has no 'id' (a UUID is required)",
    ]


def test_settings_and_hostile_files_never_stop_the_load(kit: Any) -> None:
    rules_dir = kit.write_rules(
        {
            "settings.yml": kit.rule_text(
                "sel:\n  a: x\ncondition: sel",
                rule_id=GOOD_1,
                extra="canhgac:\n  interval: 5m\n  group_by: [source.ip, user.name]\n",
            ),
            "empty.yml": "",
            "list.yml": "- just\n- a list\n",
            "dupkey.yml": "title: a\ntitle: b\n",
            "correlation.yml": "title: c\nid: 5b3f1b0e-0000-4000-8000-0000000000d1\n"
            "correlation:\n  type: event_count\n  rules: [x]\n  group-by: [a]\n"
            "  timespan: 5m\n  condition:\n    gte: 3\n",
        }
    )
    (rules_dir / "binary.yml").write_bytes(b"\xff\xfe\x00garbage")

    ruleset = load_rules(rules_dir)

    [rule] = ruleset.rules
    assert rule.settings.interval == timedelta(minutes=5)
    assert rule.settings.group_by == ("source.ip", "user.name")
    assert rule.settings.suppress_window == timedelta(hours=1)
    # A correlation loads on its own; its references are resolved when it is compiled.
    assert [correlation.id for correlation in ruleset.correlations] == [
        "5b3f1b0e-0000-4000-8000-0000000000d1"
    ]
    assert [message.split(": ", 1)[0] for message in ruleset.messages] == [
        f"{rules_dir}/binary.yml:1",
        f"{rules_dir}/dupkey.yml:2",
        f"{rules_dir}/empty.yml:1",
        f"{rules_dir}/list.yml:1",
    ]


def test_a_missing_rules_directory_is_one_error(kit: Any) -> None:
    ruleset = load_rules(kit.tmp_path / "nowhere")
    assert ruleset.rules == []
    assert ruleset.messages == [f"{kit.tmp_path / 'nowhere'}:1: rules directory does not exist"]
