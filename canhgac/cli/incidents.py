"""`canhgac incidents list|show|assign|status|close|reopen|comment`: incidents from the host's
console.

Listing prints a table, JSON Lines or CSV (:mod:`canhgac.cli.listing`), as `canhgac alerts
list` does. Every change goes through the web UI's and the API's own incident actions
(:class:`~alerting.triage.incident_actions.IncidentActions`): the same checks, the same
revision-checked write, the same audit entry. The audit names ``cli:<login>`` (the host
account running the command), or ``--actor``, which must be an active web account.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from canhgac.cli.completion import complete_incident_status, complete_severity
from canhgac.cli.listing import FormatOption, JsonOption, Listing, printer
from canhgac.cli.options import ConfigOption, settings_from
from canhgac.cli.terminal import console, json_line, line
from canhgac.errors import CanhGacError
from canhgac.models import Severity
from canhgac.store.incidents import Incident, IncidentFilter, IncidentSort, IncidentStatus
from canhgac.store.triage import CloseReason, TriageStore
from canhgac.timeutil import for_display

if TYPE_CHECKING:  # the web stack is imported when a command runs, not with the CLI
    from alerting.triage.incident_actions import IncidentActions

IncidentId = Annotated[str, typer.Argument(help="Incident id (inc-…).", show_default=False)]
ActorOption = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Web account to record as having done it (default: cli:<your login>).",
        show_default=False,
    ),
]
COLUMNS = ("id", "updated", "severity", "status", "owner", "alerts", "title")


def _row(incident: Incident) -> list[str]:
    return [
        incident.id,
        for_display(incident.updated_at),
        incident.severity.value,
        incident.status.value,
        incident.owner or "",
        str(len(incident.alert_ids)),
        incident.title,
    ]


INCIDENTS: Listing[Incident] = Listing(
    title=lambda n: f"{n} incidents (times Asia/Ho_Chi_Minh)",
    columns=COLUMNS,
    row=_row,
    document=lambda incident: incident.model_dump(mode="json"),
)


def register(app: typer.Typer) -> None:
    """Add the commands to ``app`` (the ``incidents`` group)."""
    app.command("list")(list_incidents)
    app.command("show")(show)
    app.command("assign")(assign)
    app.command("status")(set_status)
    app.command("close")(close)
    app.command("reopen")(reopen)
    app.command("comment")(comment)


@dataclass(frozen=True, slots=True)
class _Desk:
    """The incident actions of one command, and who they are recorded as done by."""

    actions: IncidentActions
    triage: TriageStore

    def actor(self, name: str | None) -> str:
        if name is None:
            return f"cli:{getpass.getuser()}"
        user = self.triage.get_user(name)
        if user is None or user.disabled:
            raise CanhGacError(f"--actor {name!r} is no active web account")
        return user.username


@contextmanager
def _incidents(config: Path | None) -> Iterator[_Desk]:
    from alerting.triage.app import incidents_of
    from alerting.triage.errors import TriageError
    from alerting.triage.stores import build_triage_store
    from canhgac.store.registry import build_store
    from canhgac.timeutil import utcnow

    settings = settings_from(config)
    store = build_store(settings.store)
    try:
        triage = build_triage_store(settings)
        try:
            actions = incidents_of(store, triage, utcnow)
            if actions is None:
                raise CanhGacError(f"the {settings.store.type} store keeps no incidents")
            yield _Desk(actions, triage)
        except TriageError as exc:
            raise CanhGacError(exc.message) from None
        finally:
            triage.close()
    finally:
        store.close()


def _done(what: str, incident: Incident, out: Console = console) -> None:
    owner = incident.owner or "—"
    line(out, f"{what} {incident.id}: {incident.status.value}, {incident.severity.value}, {owner}")


def list_incidents(
    config: ConfigOption = None,
    status: Annotated[
        str | None,
        typer.Option(
            help="open, investigating, contained or closed.",
            autocompletion=complete_incident_status,
        ),
    ] = None,
    active: Annotated[bool, typer.Option("--active", help="Only incidents not closed.")] = False,
    severity: Annotated[
        str | None,
        typer.Option(help="informational … critical.", autocompletion=complete_severity),
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Owner's login name.")] = None,
    sort: Annotated[str, typer.Option(help="updated, created, severity or oldest.")] = "updated",
    limit: Annotated[int, typer.Option(help="How many (at most 1000).", min=1, max=1000)] = 50,
    output: FormatOption = "table",
    as_json: JsonOption = False,
) -> None:
    """List incidents, most recently changed first."""
    show_all = printer(output, as_json)
    query = _filter(status, active, severity, owner, sort, limit)
    with _incidents(config) as desk:
        found = desk.actions.store.list_incidents(query)
    show_all(INCIDENTS, found, console)


def _filter(
    status: str | None,
    active: bool,
    severity: str | None,
    owner: str | None,
    sort: str,
    limit: int,
) -> IncidentFilter:
    try:
        return IncidentFilter(
            status=IncidentStatus(status) if status else None,
            active=active,
            severity=Severity(severity) if severity else None,
            owner=owner or None,
            sort=IncidentSort(sort),
            limit=limit,
        )
    except ValueError as exc:  # a value none of the choices: a usage error, one line
        raise typer.BadParameter(str(exc).splitlines()[0]) from None


def show(incident_id: IncidentId, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Show one incident: header, alerts, tasks, comments and history."""
    with _incidents(config) as desk:
        incident = desk.actions.get(incident_id)
    if as_json:
        console.file.write(json_line(incident.model_dump(mode="json")) + "\n")
        console.file.flush()
        return
    for text in describe(incident):
        line(console, text)


def describe(incident: Incident) -> list[str]:
    """The incident as lines of text (log content included: :func:`line` escapes it)."""
    lines = [
        f"{incident.id}  {incident.title}",
        f"status {incident.status.value} · severity {incident.severity.value}"
        f" · owner {incident.owner or '—'}",
        f"created {for_display(incident.created_at)} by {incident.created_by}"
        f" · updated {for_display(incident.updated_at)}",
    ]
    if incident.close_reason:
        lines.append(f"closed {_when(incident.closed_at)}: {incident.close_reason.value}")
    lines.append(f"alerts ({len(incident.alert_ids)}): {', '.join(incident.alert_ids) or '—'}")
    if incident.entities:
        lines.append(f"entities: {', '.join(incident.entities)}")
    for task in incident.tasks:
        done = f" (done by {task.done_by}, {_when(task.done_at)})" if task.done else ""
        lines.append(f"task [{'x' if task.done else ' '}] {task.text}{done}")
    for note in incident.comments:
        lines.append(f"comment {for_display(note.created_at)} {note.author}: {note.text}")
    for entry in incident.actions:
        lines.append(
            f"history {for_display(entry.at)} {entry.actor} {entry.action}{_detail(entry.detail)}"
        )
    return lines


def _when(stamp: str | None) -> str:
    return for_display(stamp) if stamp else "—"


def _detail(detail: dict[str, Any]) -> str:
    return "".join(f" {key}={value}" for key, value in detail.items())


def assign(
    incident_id: IncidentId,
    owner: Annotated[str, typer.Argument(help="The new owner's login name.")],
    config: ConfigOption = None,
    actor: ActorOption = None,
) -> None:
    """Give an incident an owner (an open incident moves on to investigating)."""
    with _incidents(config) as desk:
        _done("assigned", desk.actions.assign(desk.actor(actor), incident_id, owner))


def set_status(
    incident_id: IncidentId,
    status: Annotated[
        str,
        typer.Argument(
            help="open, investigating or contained (closing takes a reason: use close).",
            autocompletion=complete_incident_status,
        ),
    ],
    config: ConfigOption = None,
    actor: ActorOption = None,
) -> None:
    """Move an incident on."""
    try:
        chosen = IncidentStatus(status)
    except ValueError:
        raise typer.BadParameter(f"not an incident status: {status!r}") from None
    with _incidents(config) as desk:
        _done("status of", desk.actions.set_status(desk.actor(actor), incident_id, chosen))


def close(
    incident_id: IncidentId,
    reason: Annotated[CloseReason, typer.Option(help="true_positive, false_positive or benign.")],
    comment_text: Annotated[
        str | None, typer.Option("--comment", help="A comment to close it with.")
    ] = None,
    config: ConfigOption = None,
    actor: ActorOption = None,
) -> None:
    """Close an incident with a reason (and a comment)."""
    with _incidents(config) as desk:
        who = desk.actor(actor)
        _done("closed", desk.actions.close(who, incident_id, reason, comment_text))


def reopen(incident_id: IncidentId, config: ConfigOption = None, actor: ActorOption = None) -> None:
    """Reopen a closed incident."""
    with _incidents(config) as desk:
        _done("reopened", desk.actions.reopen(desk.actor(actor), incident_id))


def comment(
    incident_id: IncidentId,
    text: Annotated[str, typer.Argument(help="The comment ('-': read it from stdin).")],
    config: ConfigOption = None,
    actor: ActorOption = None,
) -> None:
    """Comment on an incident."""
    if text == "-":
        text = typer.get_text_stream("stdin").read()
    with _incidents(config) as desk:
        _done("commented on", desk.actions.comment(desk.actor(actor), incident_id, text))
