"""SigmaHQ's router and switch rules (keyword searches) on syslog received with the dataset
of deploy/collectors/network-devices.yaml, through the real parser, SQLite and the rule as the
scheduler compiles it. The lines are real ones from public write-ups (a Cisco IOS
configuration command logged by `archive log config`, a BGP MD5 failure)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import load_rules
from canhgac.config import SyslogTcpSourceConfig
from canhgac.config_loader import load_settings
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.parse.base import Origin
from ingest.parse.record import to_record

ROOT = Path(__file__).resolve().parents[2]
SIGMAHQ_NETWORK = ROOT.parent / "shared" / "sigmahq-all" / "rules" / "network"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
END = "2200-01-01T00:00:00.000000Z"
ACL_COMMAND = (
    "<189>1827406: Sep 25 2026 11:37:42.893: %PARSER-5-CFGLOG_LOGGEDCMD: User:admin  logged"
    " command:ip access-group 90 in"
)
SSH_COMMAND = (
    "<190>54: 000051: Jan  6 10:24:17: %PARSER-5-CFGLOG_LOGGEDCMD: User:console  logged"
    " command:ip ssh authentication-retries 2"
)


def _dataset() -> str:
    settings = load_settings(ROOT / "deploy" / "collectors" / "network-devices.yaml")
    [dataset] = {s.dataset for s in settings.sources if isinstance(s, SyslogTcpSourceConfig)}
    assert dataset is not None
    return dataset


@pytest.mark.parametrize(
    ("rule_file", "fires", "quiet"),
    [("cisco/aaa/cisco_cli_modify_config.yml", ACL_COMMAND, SSH_COMMAND)],
)
def test_a_sigmahq_network_rule_fires_on_the_devices_syslog(
    rule_file: str, fires: str, quiet: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANHGAC_TRANSPORT__SASL_PASSWORD", "x")
    rule_path = SIGMAHQ_NETWORK / rule_file
    if not rule_path.is_file():
        pytest.fail(f"SigmaHQ corpus missing at {rule_path}")
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(rule_path, rules / rule_path.name)
    ruleset = compile_rules(
        load_rules(rules), load_pipeline([PIPELINE]), "sqlite", default_interval=timedelta(1)
    )
    assert ruleset.errors == [] and len(ruleset.rules) == 1, ruleset.errors
    origin = Origin(
        source="network-devices",
        identity="tcp:10.20.0.1",
        received_at="2026-09-25T04:40:00.000000Z",
        parser="syslog",
        dataset=_dataset(),
    )
    records = [to_record(line.encode(), origin, index) for index, line in enumerate([quiet, fires])]
    events = [record for record in records if isinstance(record, Event)]
    assert len(events) == 2
    store = SQLiteStore(tmp_path / "events.db")
    try:
        store.write_events(events)
        hits = store.search_events(ruleset.rules[0].query, "", END).events
        assert [hit.fields["event.original"] for hit in hits] == [fires]
    finally:
        store.close()
