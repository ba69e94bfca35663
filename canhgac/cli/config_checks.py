"""Checks of the configured values that name something, made before anything starts.

The settings models know the shape of the file; what a name refers to (a parser in the
ingest registry, a codec, a pipeline file on disk, a notification channel) is known here, in
the composition root. Each check applies to the roles that use the value (a collector on a
city host has no rules folder) and yields ``(key path, problem)``; every problem is reported
as ``file:line: 'key.path': message`` and the command exits with code 2.
"""

from __future__ import annotations

import codecs
import os
import ssl
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from canhgac.assets.loader import load_inventory
from canhgac.config import ListenerTlsConfig, Settings, TlsConfig
from canhgac.config_loader import ConfigFile, refuse, unknown_name
from canhgac.errors import ConfigError
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


def asset_inventory(settings: Settings) -> Iterator[Problem]:
    """The inventory loads (its own problems are named by its own file and line)."""
    if settings.assets.path is None:
        return
    try:
        load_inventory(settings.assets.path)
    except ConfigError as exc:
        yield ("assets", "path"), f"asset inventory refused:\n{exc}"


def source_tls_files(settings: Settings) -> Iterator[Problem]:
    for index, source in enumerate(settings.sources):
        tls = getattr(source, "tls", None)
        if tls is not None:
            yield from _tls_files(("sources", index, "tls"), tls)


def web_tls_files(settings: Settings) -> Iterator[Problem]:
    if settings.web.tls is not None:
        yield from _tls_files(("web", "tls"), settings.web.tls)


def _tls_files(loc: KeyPath, tls: TlsConfig) -> Iterator[Problem]:
    """Each file readable, then the key the certificate's and the CA file certificates."""
    files = {"cert_file": tls.cert_file, "key_file": tls.key_file}
    if isinstance(tls, ListenerTlsConfig) and tls.client_ca_file is not None:
        files["client_ca_file"] = tls.client_ca_file
    unreadable = {key: problem for key, path in files.items() if (problem := _unreadable(path))}
    for key, problem in unreadable.items():
        yield (*loc, key), problem
    if unreadable:
        return
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        yield (*loc, "key_file"), f"not the key of {tls.cert_file!r}, or not PEM: {exc}"
    if "client_ca_file" in files:
        try:
            context.load_verify_locations(cafile=files["client_ca_file"])
        except (OSError, ValueError) as exc:
            yield (*loc, "client_ca_file"), f"no PEM CA certificates: {exc}"


def _unreadable(path: str) -> str | None:
    if not Path(path).is_file():
        return f"no file {path!r}"
    if not os.access(path, os.R_OK):
        return f"cannot read {path!r} (permissions: the service user must read it)"
    return None


#: Each check and the roles whose processes need it to pass.
CHECKS: tuple[tuple[Check, frozenset[str]], ...] = (
    (source_parsers, frozenset({"collect"})),
    (source_encodings, frozenset({"collect"})),
    (source_names, frozenset({"collect"})),
    (source_tls_files, frozenset({"collect"})),
    (rules_dir, frozenset({"detect"})),
    (pipeline_files, frozenset({"detect"})),
    (assign_channel, frozenset({"web"})),
    (web_tls_files, frozenset({"web"})),
    (asset_inventory, frozenset({"detect", "web"})),
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
