"""The list commands' output (`canhgac alerts list`, `canhgac incidents list`): a table, JSON
Lines or CSV, chosen with ``--format`` (``--json`` for short).

``json`` is JSON Lines (one object per line, as stored), ``csv`` the table's columns with a
header row; both are for scripts. The table fits a terminal and is never cut when piped
(:func:`~canhgac.cli.terminal.print_table`). What a record holds may be log content: every
cell and line goes out with its control characters escaped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from canhgac.cli.terminal import json_line, print_table, printable
from canhgac.errors import ConfigError
from canhgac.registry import Registry
from canhgac.text import escape_controls

Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Listing(Generic[Item]):
    """How one kind of record is listed."""

    #: The table's title for ``n`` records.
    title: Callable[[int], str]
    columns: tuple[str, ...]
    #: One record's cells, in ``columns`` order.
    row: Callable[[Item], list[str]]
    #: One record as its JSON document.
    document: Callable[[Item], Any]


Printer = Callable[[Listing[Any], Sequence[Any], Console], None]


def _json_lines(listing: Listing[Any], items: Sequence[Any], console: Console) -> None:
    out = console.file
    for item in items:
        out.write(json_line(listing.document(item)) + "\n")
    out.flush()


def _csv(listing: Listing[Any], items: Sequence[Any], console: Console) -> None:
    writer = csv.writer(console.file, lineterminator="\n")
    writer.writerow(listing.columns)
    # Shown on a terminal as often as read by a script: no control sequence gets through.
    writer.writerows([escape_controls(cell) for cell in listing.row(item)] for item in items)
    console.file.flush()


def _table(listing: Listing[Any], items: Sequence[Any], console: Console) -> None:
    table = Table(title=listing.title(len(items)))
    for column in listing.columns:
        table.add_column(column, overflow="fold")
    for item in items:
        # Log content is attacker-controlled: no markup, no terminal control sequences.
        table.add_row(*(printable(cell) for cell in listing.row(item)))
    print_table(console, table)


#: ``--format`` names -> how the records are printed.
FORMATS: Registry[Printer] = Registry("format", {"table": _table, "json": _json_lines, "csv": _csv})


def printer(output: str, as_json: bool = False) -> Printer:
    """The printer ``--format`` (or ``--json``) chose; an unknown name is a usage error."""
    try:
        return FORMATS.get("json" if as_json else output)
    except ConfigError as exc:
        raise typer.BadParameter(str(exc), param_hint="--format") from None


FormatOption = Annotated[
    str,
    typer.Option(
        "--format",
        help="table, json (JSON Lines: one object per line) or csv.",
        autocompletion=lambda incomplete: [
            name for name in FORMATS.names() if name.startswith(incomplete)
        ],
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Same as --format json: one JSON object per line.")
]
