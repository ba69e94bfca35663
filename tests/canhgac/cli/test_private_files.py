"""What the process writes is its own: files 0600 and folders 0700 whatever the shell's umask,
and a corrupt database is refused at start with one line, before anything is created."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "canhgac.yaml"
    var = tmp_path / "var"
    path.write_text(
        f"data_dir: {var}\nstore:\n  path: {var / 'db' / 'canhgac.db'}\nweb:\n  port: 0\n",
        encoding="utf-8",
    )
    return path


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANHGAC_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_and_folders_are_private_even_under_a_lax_umask(tmp_path: Path) -> None:
    config = _config(tmp_path)
    secret = tmp_path / "var" / "initial-admin-password"
    log = tmp_path / "stderr.log"
    with (
        log.open("w") as stderr,
        subprocess.Popen(
            [sys.executable, "-m", "canhgac", "web", "--config", str(config)],
            cwd=tmp_path,
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            umask=0o022,  # what an operator's shell usually has
        ) as process,
    ):
        try:
            deadline = time.monotonic() + 60
            while not secret.exists():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the first admin was not created"
                time.sleep(0.1)
            time.sleep(0.5)  # the password is written right after the file appears
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    var = tmp_path / "var"
    database = var / "db" / "canhgac.db"
    created = [database, secret, *var.glob("db/canhgac.db-*")]
    assert {path.name: _mode(path) for path in created} == {path.name: 0o600 for path in created}
    assert _mode(var) == 0o700 and _mode(var / "db") == 0o700


def test_a_corrupt_database_is_refused_at_start(tmp_path: Path) -> None:
    config = _config(tmp_path)
    database = tmp_path / "var" / "db" / "canhgac.db"
    database.parent.mkdir(parents=True)
    # A SQLite header followed by garbage, as a torn copy or a bad disk leaves it.
    database.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    run = subprocess.run(
        [sys.executable, "-m", "canhgac", "web", "--config", str(config)],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1, run.stderr
    [line] = [text for text in run.stderr.splitlines() if text.startswith("error:")]
    assert str(database) in line
    assert any(why in line for why in ("corrupt", "not usable", "not a database")), line
    assert not (tmp_path / "var" / "initial-admin-password").exists()
