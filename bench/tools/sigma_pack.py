"""A rule set for a soak: every project rule plus N SigmaHQ rules imported the way an operator
would, with `canhgac rules import` (which keeps only the rules we can run).

The import of the whole pack (~3,700 rules, ~1 minute) is done once into a cache folder next
to the pack's copy in /tmp; each soak then copies the project's rules and a seeded sample of
N imported ones into its own work folder.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT_RULES = ROOT / "rules"
PIPELINE = Path("pipelines") / "ecs.yml"
DEFAULT_PACK = ROOT.parent / "shared" / "sigmahq-all" / "rules"
IMPORTED = "imported"


def _cache_for(pack: Path) -> Path:
    key = hashlib.sha256(f"{pack.resolve()}:{PROJECT_RULES.resolve()}".encode()).hexdigest()
    return Path("/tmp") / f"canhgac-soak-sigma-{key[:12]}"


def imported_pack(pack: Path) -> Path:
    """The folder holding the runnable rules of ``pack``, importing them on the first call."""
    cache = _cache_for(pack)
    done = cache / "done"
    if done.exists():
        return cache / IMPORTED
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    config = cache / "import.yaml"
    config.write_text(
        f"""
data_dir: {cache / "var"}
detection: {{rules_dir: {PROJECT_RULES}, pipeline: [{PROJECT_RULES / PIPELINE}]}}
demo: {{mode: "off"}}
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "canhgac", "rules", "import", str(pack)]
    command += ["--into", str(cache / IMPORTED), "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    with (cache / "import.log").open("wb") as log:
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT, env=env)
    done.touch()
    return cache / IMPORTED


def build_rules(target: Path, count: int, pack: Path = DEFAULT_PACK, seed: int = 1) -> int:
    """Fill ``target`` with the project's rules and ``count`` imported SigmaHQ rules.

    Returns how many imported rules were copied (fewer if the pack has fewer runnable ones).
    """
    shutil.copytree(PROJECT_RULES, target)
    if count <= 0:
        return 0
    source = imported_pack(pack)
    # Correlations are left out: a sample could hold one without the rules it refers to.
    runnable = sorted(p for p in source.rglob("*.yml") if not _is_correlation(p))
    chosen = random.Random(seed).sample(runnable, min(count, len(runnable)))
    for path in chosen:
        destination = target / IMPORTED / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return len(chosen)


def _is_correlation(path: Path) -> bool:
    return any(line.startswith("correlation:") for line in path.read_text("utf-8").splitlines())
