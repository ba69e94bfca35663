"""Checks of the configured values that name something, made before anything starts.

The settings models know the shape of the file; what a name refers to (a parser in the
ingest registry, a codec, a pipeline file on disk, a notification channel) is known here, in
the composition root. Each check applies to the roles that use the value (a collector on a
city host has no rules folder) and yields ``(key path, problem)``; every problem is reported
as ``file:line: 'key.path': message`` and the command exits with code 2.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from canhgac.config import Settings
from canhgac.config_loader import ConfigFile, refuse, unknown_name
from canhgac.yaml_lines import KeyPath
from ingest.parse.registry import PARSERS

Problem = tuple[KeyPath, str]
Check = Callable[[Settings], Iterator[Problem]]


def source_parsers(settings: Settings) -> Iterator[Problem]:
    for index, source in enumerate(settings.sources):
        if source.parser not in PARSERS:
            known = PARSERS.names()
            yield ("sources", index, "parser"), unknown_name("parser", source.parser, known)


def source_encodings(settings: Settings) -> Iterator[Problem]:
    for index, source in enumerate(settings.sources):
        try:
            codecs.lookup(source.encoding)
        except LookupError:
            yield ("sources", index, "encoding"), f"unknown encoding {source.encoding!r}"


def source_names(settings: Settings) -> Iterator[Problem]:
    # The name is part of every event id of a source: two sources of one name would mix
    # their streams' ids.
    seen: set[str] = set()
    for index, source in enumerate(settings.sources):
        if source.name in seen:
            yield ("sources", index, "name"), f"source name {source.name!r} is used twice"
        seen.add(source.name)


def rules_dir(settings: Settings) -> Iterator[Problem]:
    if not Path(settings.detection.rules_dir).is_dir():
        yield ("detection", "rules_dir"), f"no rules folder {settings.detection.rules_dir!r}"


def pipeline_files(settings: Settings) -> Iterator[Problem]:
    for index, path in enumerate(settings.detection.pipeline):
        if not Path(path).is_file():
            yield ("detection", "pipeline", index), f"no pipeline file {path!r}"


def assign_channel(settings: Settings) -> Iterator[Problem]:
    wanted = settings.web.assign_channel
    names = [channel.name for channel in settings.alerting.channels]
    if wanted is not None and wanted not in names:
        yield ("web", "assign_channel"), unknown_name("channel", wanted, names)


#: Each check and the roles whose processes need it to pass.
CHECKS: tuple[tuple[Check, frozenset[str]], ...] = (
    (source_parsers, frozenset({"collect"})),
    (source_encodings, frozenset({"collect"})),
    (source_names, frozenset({"collect"})),
    (rules_dir, frozenset({"detect"})),
    (pipeline_files, frozenset({"detect"})),
    (assign_channel, frozenset({"web"})),
)


def check_config(config: ConfigFile, roles: Iterable[str]) -> None:
    """Raise ConfigError with one line per problem of the checks ``roles`` need."""
    wanted = set(roles)
    refuse(
        [
            config.problem(loc, message)
            for check, needed_by in CHECKS
            if needed_by & wanted
            for loc, message in check(config.settings)
        ]
    )
