"""`canhgac deadletters list|replay`: see what could not become an event, and replay it.

``list`` shows stored dead letters oldest first (from ``--since``), filtered by source and
reason class; ``replay`` runs them through the current parsers and configuration (see
:mod:`ingest.replay`): those that parse become events and leave the dead letters, those that
fail again stay with the new reason.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console
from rich.table import Table

from canhgac.cli.terminal import json_line, print_table, printable
from canhgac.config import Duration
from canhgac.dead_letters import CLASSES, DeadLetterQuery, reason_class
from canhgac.models import DeadLetter
from canhgac.timeutil import for_display, to_iso, utcnow

_DURATION: TypeAdapter[object] = TypeAdapter(Duration)
_PREVIEW_CHARS = 80

SourceOption = Annotated[str | None, typer.Option("--source", help="Only this source.")]
ReasonOption = Annotated[
    str | None, typer.Option("--reason", help=f"Only this reason class: {', '.join(CLASSES)}.")
]
SinceOption = Annotated[
    str | None,
    typer.Option(
        "--since", help="Received at or after: a date or ISO time (Hanoi), or an age (2h, 7d)."
    ),
]


def register(app: typer.Typer) -> None:
    """Add ``list`` and ``replay`` to ``app`` (the ``deadletters`` group)."""
    app.command("list")(list_command)
    app.command("replay")(replay_command)


def since_time(text: str | None) -> str | None:
    """The canonical UTC time ``--since`` means."""
    if text is None:
        return None
    try:
        age = _DURATION.validate_python(text)
    except ValidationError:
        from canhgac.cli.rules_tools import parse_moment

        return to_iso(parse_moment(text))
    return to_iso(utcnow() - age)  # type: ignore[operator]


def _query(
    source: str | None, reason: str | None, since: str | None, limit: int
) -> DeadLetterQuery:
    if reason is not None and reason not in CLASSES:
        raise typer.BadParameter(f"{reason!r}: one of {', '.join(CLASSES)}", param_hint="--reason")
    return DeadLetterQuery(source=source, reason=reason, since=since_time(since), limit=limit)


def list_command(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")] = None,
    source: SourceOption = None,
    reason: ReasonOption = None,
    since: SinceOption = None,
    limit: Annotated[int, typer.Option(help="How many, oldest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List stored dead letters, oldest first, with their reasons."""
    from canhgac.cli.options import settings_from
    from canhgac.store.registry import build_store

    query = _query(source, reason, since, limit)
    store = build_store(settings_from(config).store)
    try:
        page = store.find_dead_letters(query)
    finally:
        store.close()
    if as_json:
        for letter in page.letters:
            typer.echo(json_line(as_document(letter)))
        return
    console = Console()
    print_table(console, _table(page.letters))
    if page.after is not None:
        console.print(
            f"more follow: raise --limit, or narrow with --since {page.after[0]}", markup=False
        )


def replay_command(
    config: Annotated[Path | None, typer.Option("--config", "-c", help="YAML config file.")] = None,
    source: SourceOption = None,
    reason: ReasonOption = None,
    since: SinceOption = None,
) -> None:
    """Replay dead letters through the current parsers and configuration.

    Those that parse become events (with their ids, so twice stores once) and leave the dead
    letters; those that fail again stay with the new reason."""
    from canhgac.cli.config_checks import check_config
    from canhgac.cli.options import config_from
    from canhgac.store.registry import build_store
    from ingest.replay import replay

    loaded = config_from(config)
    check_config(loaded, ["collect"])  # the parsers and encodings it replays with
    query = _query(source, reason, since, 500)
    store = build_store(loaded.settings.store)
    try:
        outcome = replay(store, loaded.settings.sources, query)
    finally:
        store.close()
    typer.echo(
        f"replayed: {outcome.parsed} parsed into events ({outcome.stored} new), "
        f"{outcome.failed} failed again (kept with the new reason)"
    )
    for why, count in sorted(outcome.skipped.items()):
        typer.echo(f"skipped {count}: {why}")


def as_document(letter: DeadLetter) -> dict[str, object]:
    return {
        "id": letter.id,
        "source": letter.source,
        "reason_class": reason_class(letter.reason),
        "reason": letter.reason,
        "received_at": letter.received_at,
        "raw": letter.raw.decode("utf-8", "replace"),
        "raw_base64": base64.b64encode(letter.raw).decode("ascii"),
        "context": letter.context,
    }


def _table(letters: list[DeadLetter]) -> Table:
    table = Table(title=f"{len(letters)} dead letters (oldest first, times Asia/Ho_Chi_Minh)")
    for column in ("received", "source", "class", "reason", "raw", "id"):
        table.add_column(column)
    for letter in letters:
        # Log content is attacker-controlled: escaped, so it cannot inject rich markup, and
        # control characters shown as escapes, so it cannot move the cursor or recolour.
        raw = letter.raw[: _PREVIEW_CHARS * 4].decode("utf-8", "replace")[:_PREVIEW_CHARS]
        table.add_row(
            for_display(letter.received_at),
            printable(letter.source),
            reason_class(letter.reason),
            printable(letter.reason),
            printable(raw),
            printable(letter.id),
        )
    return table
