"""The folder tree is the architecture: packaging, layering and lazy heavy imports."""

from __future__ import annotations

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("canhgac", "ingest", "alerting")
# Heavy client libraries, each allowed only in the module that uses it, so the embedded mode
# never loads them.
HEAVY_IMPORTS = {
    "kafka": {
        "ingest/transport/kafka/__init__.py",
        "ingest/transport/kafka/client.py",
        "ingest/transport/kafka/topics.py",
        "ingest/transport/kafka/sender.py",
        "ingest/transport/kafka/receiver.py",
    },
    "elasticsearch": {
        "canhgac/store/elasticsearch/store.py",
        "canhgac/store/elasticsearch/setup.py",
        "canhgac/store/elasticsearch/errors.py",
        "canhgac/store/elasticsearch/leases.py",
        "canhgac/store/elasticsearch/client.py",
        "canhgac/store/elasticsearch/triage.py",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules() -> list[tuple[str, Path, set[str]]]:
    result = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            result.append((rel, path, _imports(path)))
    return result


def _top(name: str) -> str:
    return name.split(".")[0]


def test_ingest_and_alerting_never_import_each_other() -> None:
    bad = [
        (rel, name)
        for rel, _, names in _modules()
        for name in names
        if (rel.startswith("ingest/") and _top(name) == "alerting")
        or (rel.startswith("alerting/") and _top(name) == "ingest")
    ]
    assert bad == []


def test_kernel_imports_neither_except_the_cli() -> None:
    bad = [
        (rel, name)
        for rel, _, names in _modules()
        if rel.startswith("canhgac/") and not rel.startswith("canhgac/cli")
        for name in names
        if _top(name) in {"ingest", "alerting"}
    ]
    assert bad == []


def test_heavy_clients_are_imported_only_where_used() -> None:
    bad = [
        (rel, name)
        for rel, _, names in _modules()
        for name in names
        if _top(name) in HEAVY_IMPORTS and rel not in HEAVY_IMPORTS[_top(name)]
    ]
    assert bad == []


def test_embedded_mode_loads_no_kafka_or_elasticsearch() -> None:
    code = (
        "import sys, canhgac.cli, ingest.sources.registry, alerting.detect.run.engine;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'kafka','elasticsearch'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def test_wheel_holds_exactly_the_import_packages(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("canhgac-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/")[0] for name in archive.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == set(PACKAGES)
