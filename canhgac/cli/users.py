"""`canhgac users add|unlock|reset-password`: web accounts from the host's console.

These work with the web role running (they change the shared triage store, which every
request reads) and are the way back in when nobody can log in: ``unlock`` clears an account's
login backoff, ``reset-password`` sets a password read from the terminal (never argv) that
its owner must change at the next login, and ends the account's sessions.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from canhgac.cli.options import ConfigOption, settings_from
from canhgac.cli.terminal import console, printable

if TYPE_CHECKING:  # the web stack is imported when a command runs, not with the CLI
    from alerting.triage.auth.accounts import Accounts

Username = Annotated[str, typer.Argument(help="Login name.")]


def register(app: typer.Typer) -> None:
    """Add the commands to ``app`` (the ``users`` group)."""
    app.command("add")(add)
    app.command("unlock")(unlock)
    app.command("reset-password")(reset_password)


@contextmanager
def _accounts(config: Path | None) -> Iterator[Accounts]:
    from alerting.triage.app import INITIAL_PASSWORD_FILE
    from alerting.triage.auth.accounts import Accounts
    from alerting.triage.auth.passwords import Passwords
    from alerting.triage.errors import TriageError
    from alerting.triage.stores import build_triage_store
    from canhgac.errors import CanhGacError

    settings = settings_from(config)
    triage = build_triage_store(settings)
    initial = Path(settings.data_dir) / INITIAL_PASSWORD_FILE
    try:
        yield Accounts(triage, Passwords(), initial_password_file=initial)
    except TriageError as exc:
        raise CanhGacError(exc.message) from None
    finally:
        triage.close()


def _password() -> str:
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=sys.stdin.isatty()))


def add(
    username: Username,
    role: Annotated[str, typer.Option(help="analyst, rule_author, ops or admin.")] = "analyst",
    display_name: Annotated[str, typer.Option(help="Shown in the UI.")] = "",
    config: ConfigOption = None,
) -> None:
    """Add a web account; the password is read from the terminal (or stdin), never argv."""
    password = _password()
    with _accounts(config) as accounts:
        accounts.create_user(username, password, role, display_name=display_name, actor="cli")
    console.print(f"added {printable(username)} ({printable(role)})")


def unlock(username: Username, config: ConfigOption = None) -> None:
    """Clear an account's failed-login backoff so it can log in at once."""
    with _accounts(config) as accounts:
        accounts.update_user("cli", username, unlock=True)
    console.print(f"unlocked {printable(username)}")


def reset_password(username: Username, config: ConfigOption = None) -> None:
    """Set a new password (read from the terminal or stdin, never argv); its owner must
    change it at the next login. Ends the account's sessions and clears its backoff."""
    password = _password()
    with _accounts(config) as accounts:
        accounts.update_user(
            "cli", username, password=password, unlock=True, must_change_password=True
        )
    console.print(f"password of {printable(username)} reset; it must be changed at next login")
