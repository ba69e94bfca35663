"""Progress bars for the long commands (rules import, test, backtest), on standard error.

Only on a terminal: piped or in CI, standard error stays free of carriage-return noise and
standard output (what a script reads) never sees a bar. The bar shows count, rate, elapsed time
and ETA; a step of unknown size shows a spinner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class _Rate(ProgressColumn):
    """Steps per second (rules, windows), once there is a rate to show."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "")


class Tracker:
    """One task's progress; does nothing when there is no bar (not a terminal)."""

    def __init__(self, progress: Progress | None = None, task: TaskID | None = None) -> None:
        self._progress = progress
        self._task = task

    def advance(self, steps: int = 1) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, steps)

    def at(self, done: int, total: int) -> None:
        """``done`` of ``total`` steps (a callback for code that counts its own steps)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)

    def update(self, *, description: str | None = None, total: int | None = None) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=description, total=total)


@contextmanager
def tracked(
    description: str, total: int | None = None, *, console: Console | None = None
) -> Iterator[Tracker]:
    """A progress bar on ``console`` (default: standard error) while the block runs."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield Tracker()
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with progress:
        yield Tracker(progress, progress.add_task(description, total=total))
