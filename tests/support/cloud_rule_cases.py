"""SigmaHQ cloud rules and the records that must fire them and must not, shared by the SQLite
test (tests/rules/test_cloud_sigmahq_end_to_end.py) and the Elasticsearch one
(tests/integration/test_cloud_sigmahq_on_elasticsearch.py)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from alerting.detect.compile.pipeline import load_pipeline
from alerting.detect.compile.rules import compile_rules
from alerting.detect.load.ruleset import RuleSet, load_rules
from canhgac.models import Event
from ingest.parse.base import Origin
from ingest.parse.record import to_record
from tests.support import cloud_records as cloud

ROOT = Path(__file__).resolve().parents[2]
SIGMAHQ_CLOUD = ROOT.parent / "shared" / "sigmahq-all" / "rules" / "cloud"
PIPELINE = ROOT / "rules" / "pipelines" / "ecs.yml"
END = "2200-01-01T00:00:00.000000Z"


@dataclass(frozen=True)
class Case:
    rule: str  # under SigmaHQ's rules/cloud
    parser: str
    fires: dict[str, Any]
    quiet: dict[str, Any]


CASES = [
    Case("aws/cloudtrail/aws_snapshot_backup_exfiltration.yml", "cloudtrail",
         cloud.CLOUDTRAIL_SNAPSHOT_SHARED, cloud.CLOUDTRAIL_DESCRIBE),
    Case("azure/signin_logs/azure_ad_azurehound_discovery.yml", "azure",
         cloud.AZURE_SIGNIN_AZUREHOUND, cloud.AZURE_SIGNIN_BROWSER_FAILED),
    Case("azure/activity_logs/azure_keyvault_secrets_modified_or_deleted.yml", "azure",
         cloud.AZURE_ACTIVITY_SECRET_WRITE, cloud.AZURE_AUDIT_ROLE_MEMBER),
    Case("gcp/audit/gcp_firewall_rule_modified_or_deleted.yml", "gcp_audit",
         cloud.GCP_FIREWALL_DELETE, cloud.GCP_FIREWALL_LIST),
    Case("gcp/gworkspace/admin/gcp_gworkspace_application_access_levels_modified.yml",
         "gcp_audit", cloud.WORKSPACE_ADMIN_SETTING, cloud.GCP_FIREWALL_LIST),
    Case("m365/audit/microsoft365_bypass_conditional_access.yml", "o365",
         cloud.M365_CMSI_LOGIN, cloud.M365_NORMAL_LOGIN),
]  # fmt: skip


def compiled(case: Case, language: str, tmp_path: Path) -> RuleSet:
    rule_path = SIGMAHQ_CLOUD / case.rule
    assert rule_path.is_file(), f"SigmaHQ corpus missing at {rule_path}"
    rules = tmp_path / "rules"
    rules.mkdir(parents=True)
    shutil.copy(rule_path, rules / rule_path.name)
    return compile_rules(
        load_rules(rules), load_pipeline([PIPELINE]), language, default_interval=timedelta(1)
    )


def events(case: Case) -> list[Event]:
    """The quiet record, then the one that must fire, through the real parser."""
    origin = Origin("cloud", f"test:{case.rule}", "2026-11-30T10:00:00.000000Z",
                    parser=case.parser)  # fmt: skip
    records = [
        to_record(cloud.line(record).encode(), origin, index)
        for index, record in enumerate([case.quiet, case.fires])
    ]
    parsed = [record for record in records if isinstance(record, Event)]
    assert len(parsed) == 2, records
    return parsed
