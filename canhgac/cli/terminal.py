"""What the commands print to: the shared console, one-line problem reports, whole tables."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

console = Console()

#: Wide enough for any row: a piped table is never cut to the 80 columns rich assumes.
_UNBOUNDED_WIDTH = 1_000_000


def line(console: Console, text: str) -> None:
    # One problem, one line: never wrapped, never read as markup (rules quote log content).
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def print_table(console: Console, table: Table) -> None:
    """On a terminal, the table fitted to it; piped or redirected, at its natural width, so no
    IP address, id or path is cut or folded (scripts read every cell whole)."""
    if console.is_terminal:
        console.print(table)
        return
    width = console.measure(table, options=console.options.update_width(_UNBOUNDED_WIDTH))
    # print(width=) cannot exceed the console's own width: a console as wide as the table.
    whole = Console(file=console.file, width=width.maximum, color_system=None)
    whole.print(table, crop=False)
