"""What the commands print to: the shared console, one-line problem reports, whole tables, and
safe text.

Whatever a command shows of log content (alerts' snapshots, dead letters' raw bytes, events a
rule test quotes) is attacker-controlled: :func:`printable` shows its control characters as
visible escapes (an ANSI or OSC sequence could recolour the terminal, rewrite its title or
hide lines) and escapes rich markup, so neither the terminal nor rich interprets it.
"""

from __future__ import annotations

import json
import re

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from canhgac.text import escape_controls

console = Console()

#: Wide enough for any row: a piped table is never cut to the 80 columns rich assumes.
_UNBOUNDED_WIDTH = 1_000_000

# JSON escapes only C0 controls; C1 controls (0x9b is an 8-bit CSI) and bidi overrides would
# reach the terminal raw. Outside strings JSON text is ASCII, so escaping them as \uXXXX
# everywhere keeps the document's value unchanged.
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(value: object) -> str:
    """``value`` as text for a rich table cell or markup line: controls and markup escaped."""
    return escape(escape_controls(str(value)))


def line(console: Console, text: str) -> None:
    # One problem, one line: never wrapped, never read as markup (rules quote log content),
    # control characters (newlines included) shown as escapes.
    console.print(escape_controls(text), markup=False, highlight=False, soft_wrap=True)


def block(console: Console, text: str) -> None:
    """Several lines of the project's own text (a converted query): newlines kept, other
    control characters escaped."""
    for part in text.split("\n"):
        line(console, part)


def json_line(document: object) -> str:
    """One JSON document on one line (UTF-8 kept), with no character a terminal obeys."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


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
