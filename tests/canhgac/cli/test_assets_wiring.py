"""The composition root and the asset inventory: a broken inventory is refused before the
start (naming its own file and line), and the running inventory's reloads are metrics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from canhgac.assets.inventory import AssetInventory
from canhgac.cli.config_checks import check_config
from canhgac.cli.telemetry import watch_assets
from canhgac.config import AssetsConfig
from canhgac.config_loader import read_config
from canhgac.errors import ConfigError
from canhgac.metrics import Metrics

GOOD = "assets:\n  - {name: e-Cabinet, department: VP UBND, criticality: high, hosts: [ecab]}\n"


def test_a_broken_inventory_is_refused_for_the_roles_that_use_it(tmp_path: Path) -> None:
    inventory = tmp_path / "assets.yaml"
    inventory.write_text("assets:\n  - name: x\n    criticality: vital\n", encoding="utf-8")
    config = tmp_path / "canhgac.yaml"
    config.write_text(f"roles: [detect]\nassets:\n  path: {inventory}\n", encoding="utf-8")
    loaded = read_config(config)
    with pytest.raises(ConfigError) as info:
        check_config(loaded, ["web"])
    text = str(info.value)
    assert text.startswith(f"{config}:3: 'assets.path': asset inventory refused:")
    assert f"{inventory}:3: 'assets.0.criticality'" in text
    assert f"{inventory}:2: 'assets.0.department': Field required" in text
    check_config(loaded, ["collect"])  # a collector never reads it


def test_inventory_reloads_and_refusals_are_metrics_and_a_soft_health_check(
    tmp_path: Path,
) -> None:
    path = tmp_path / "assets.yaml"
    path.write_text(GOOD, encoding="utf-8")
    inventory = AssetInventory(AssetsConfig(path=str(path)))
    metrics = Metrics()
    watch_assets(metrics, inventory)
    assert "canhgac_assets 1.0" in metrics.render()
    path.write_text(GOOD + "  - oops\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert inventory.check() is False
    rendered = metrics.render()
    assert "canhgac_asset_reload_errors_total 1.0" in rendered
    assert "canhgac_assets 1.0" in rendered  # the last good one
    status, details = metrics.status()
    assert status == "degraded" and "asset inventory edit refused" in details["assets"]
