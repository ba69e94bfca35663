"""What the commands print to: the shared console, and one-line problem reports."""

from __future__ import annotations

from rich.console import Console

console = Console()


def line(console: Console, text: str) -> None:
    # One problem, one line: never wrapped, never read as markup (rules quote log content).
    console.print(text, markup=False, highlight=False, soft_wrap=True)
