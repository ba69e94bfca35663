"""The committed deploy files are exactly what deploy/site_description.py renders, so compose,
the systemd host files and the integration test's cluster cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kafka_cluster import DEPLOY, load_deploy_module, site

render = load_deploy_module("render_site")


def test_committed_files_equal_a_fresh_render() -> None:
    rendered = render.rendered()
    assert {"compose.yaml", "systemd/elasticsearch.yml"} <= set(rendered)
    for relative, text in rendered.items():
        committed = (DEPLOY / relative).read_text(encoding="utf-8")
        assert committed == text, f"deploy/{relative}: run python deploy/render_site.py"


def test_check_mode_reports_a_drifted_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for relative, text in render.rendered().items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text, encoding="utf-8")
    monkeypatch.setattr(render, "DEPLOY", tmp_path)
    assert render.main(["--check"]) == 0
    drifted = tmp_path / "systemd" / "kafka" / "admin.properties"
    drifted.write_text(drifted.read_text() + "security.protocol=PLAINTEXT\n", encoding="utf-8")
    assert render.main(["--check"]) == 1
    assert (
        capsys.readouterr().out
        == "deploy/systemd/kafka/admin.properties: differ from the description\n"
    )
    assert render.main([]) == 0  # rewritten
    assert render.main(["--check"]) == 0


def test_the_cluster_id_is_what_kafka_storage_accepts() -> None:
    # 16 bytes, base64url, unpadded: the id `kafka-storage random-uuid` prints.
    assert len(site.cluster_id_bytes()) == 16 and len(site.CLUSTER_ID) == 22
    assert "=" not in site.CLUSTER_ID and "+" not in site.CLUSTER_ID


def test_every_sasl_listener_has_its_jaas_entry_and_every_listener_tls() -> None:
    nodes = render.host_nodes()
    props = site.kafka_properties(nodes[0], nodes, render.HOST_FILES)
    for listener in site.LISTENERS:
        assert listener.protocol in {"SSL", "SASL_SSL"}
        jaas = f"listener.name.{listener.name.lower()}.scram-sha-512.sasl.jaas.config"
        assert (jaas in props) == listener.protocol.startswith("SASL_"), listener.name
    assert props["controller.quorum.voters"].count("@") == 3
