"""TLS files that are missing, unreadable or not a pair refuse the start with their
``file:line``, before anything is created."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from canhgac.cli.config_checks import check_config
from canhgac.config_loader import read_config
from canhgac.errors import ConfigError
from tests.support.certificates import ALLOWED_SENDER, Pki

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_good_files_pass(pki: Pki, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "canhgac.yaml",
        f"web:\n"
        f"  tls:\n"
        f"    cert_file: {pki.server.cert_file}\n"
        f"    key_file: {pki.server.key_file}\n"
        f"sources:\n"
        f"  - type: syslog_tcp\n"
        f"    name: syslog-tls\n"
        f"    port: 6514\n"
        f"    tls:\n"
        f"      cert_file: {pki.server.cert_file}\n"
        f"      key_file: {pki.server.key_file}\n"
        f"      client_ca_file: {pki.ca_file}\n"
        f"      allowed_clients: [{ALLOWED_SENDER}]\n",
    )
    config = read_config(path)
    check_config(config, ["collect", "web"])
    assert config.settings.web.secure_cookies  # implied by web.tls


def test_missing_mismatched_and_garbled_files_are_refused_with_their_line(
    pki: Pki, tmp_path: Path
) -> None:
    other = pki.issue("other", "other.hanoi.example")
    garbage = _write(tmp_path / "ca.crt", "không phải chứng chỉ\n")
    path = _write(
        tmp_path / "canhgac.yaml",
        f"web:\n"
        f"  tls:\n"
        f"    cert_file: {pki.server.cert_file}\n"
        f"    key_file: {tmp_path / 'missing.key'}\n"
        f"sources:\n"
        f"  - type: syslog_tcp\n"
        f"    name: syslog-tls\n"
        f"    tls:\n"
        f"      cert_file: {pki.server.cert_file}\n"
        f"      key_file: {other.key_file}\n"
        f"      client_ca_file: {garbage}\n"
        f"  - type: http\n"
        f"    name: https\n"
        f"    tls:\n"
        f"      cert_file: {tmp_path / 'nope.crt'}\n"
        f"      key_file: {pki.server.key_file}\n",
    )
    with pytest.raises(ConfigError) as info:
        check_config(read_config(path), ["collect", "web"])
    problems = str(info.value).splitlines()
    assert problems[0] == f"{path}:4: 'web.tls.key_file': no file '{tmp_path / 'missing.key'}'"
    assert problems[1].startswith(
        f"{path}:10: 'sources.0.tls.key_file': not the key of '{pki.server.cert_file}', or "
        "not PEM: [X509: KEY_VALUES_MISMATCH]"
    )
    assert problems[2].startswith(
        f"{path}:11: 'sources.0.tls.client_ca_file': no PEM CA certificates:"
    )
    assert problems[3] == f"{path}:15: 'sources.1.tls.cert_file': no file '{tmp_path / 'nope.crt'}'"
    assert len(problems) == 4


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_key_is_refused(pki: Pki, tmp_path: Path) -> None:
    key = tmp_path / "locked.key"
    key.write_bytes(pki.server.key_file.read_bytes())
    key.chmod(0)
    path = _write(
        tmp_path / "canhgac.yaml",
        f"web:\n  tls:\n    cert_file: {pki.server.cert_file}\n    key_file: {key}\n",
    )
    with pytest.raises(ConfigError, match=r":4: 'web.tls.key_file': cannot read"):
        check_config(read_config(path), ["web"])


def test_a_start_with_a_missing_key_exits_2_and_creates_nothing(pki: Pki, tmp_path: Path) -> None:
    path = _write(
        tmp_path / "canhgac.yaml",
        f"data_dir: {tmp_path / 'var'}\n"
        f"roles: [collect, index]\n"
        f"store:\n  path: {tmp_path / 'var' / 'canhgac.db'}\n"
        f"sources:\n"
        f"  - type: syslog_tcp\n"
        f"    name: syslog-tls\n"
        f"    port: 0\n"
        f"    tls:\n"
        f"      cert_file: {pki.server.cert_file}\n"
        f"      key_file: /run/secrets/none.key\n",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "canhgac", "run", "--config", str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "configuration error",
        f"{path}:11: 'sources.0.tls.key_file': no file '/run/secrets/none.key'",
    ]
    assert not (tmp_path / "var").exists()
