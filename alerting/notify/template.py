"""Message templates: Jinja2 files saying what a message reads, in a channel's language and
markup, rendered in a sandbox with every value escaped for that markup.

Alert values come from log lines, so they are attacker-controlled. Three rules keep them inert:

- **Data is never compiled.** Only the shipped templates and the files named in the config
  (``template``, ``digest_template``) are; a user name such as ``{{ 7*7 }}`` prints as those
  characters.
- **Every printed value is escaped for the channel's markup at output** (the environment's
  ``finalize``), whatever the template did to it first (filters, ``~``, ``|e``, ``|safe``):
  the worst a template can do is escape twice. Only the markup helpers ``b(text)``,
  ``code(text)`` and ``link(url, label)`` produce markup, and they escape their text; ``link``
  writes nothing but the label unless the URL is ``http(s)://``.
- **The environment is a** :class:`~jinja2.sandbox.SandboxedEnvironment` (no walk from a value
  to Python internals) with :class:`~jinja2.StrictUndefined`, and each template is rendered
  once at start with a sample alert and digest, so a syntax error or a misspelt name stops the
  start with the file, line and reason instead of failing every notification later.

Markups (:data:`MARKUPS`): ``html`` (Telegram), ``markdown`` (Mattermost, Discord, TheHive and
DFIR-IRIS descriptions), ``adaptive_card`` (Teams card text), ``chat_card`` (Google Chat card
text), ``slack`` (Slack mrkdwn), ``jira`` (Jira wiki) and ``text`` (Apprise, Zalo, e-mail,
console).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from alerting.notify.markup import html_text, jira_wiki_text, markdown_text, slack_text
from alerting.notify.render import strip_controls
from canhgac.errors import ConfigError
from canhgac.registry import Registry

#: The kinds of message a channel renders, each with its own template.
KINDS = ("alert", "digest")


class Marked(str):
    """Text that is markup of the channel already (made by a helper): printed as it is."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class MarkupStyle:
    """How one markup escapes text and writes bold, code and links."""

    escape: Callable[[str], str]
    bold: str  # a format with {text}
    code: str
    link: Callable[[str, str], str]  # (url, escaped label) -> markup

    def text(self, value: Any) -> str:
        return value if isinstance(value, Marked) else self.escape(str(value))

    def output(self, value: Any) -> str:
        """Jinja2's ``finalize``: every ``{{ … }}`` goes through here."""
        return self.text(value)

    def b(self, value: Any) -> Marked:
        return Marked(self.bold.format(text=self.text(value)))

    def code_span(self, value: Any) -> Marked:
        return Marked(self.code.format(text=self.text(value)))

    def hyperlink(self, url: Any, label: Any) -> Marked:
        text = self.text(label)
        url = str(url)
        if not url.startswith(("https://", "http://")):
            return Marked(text)
        # Our links are built from web.public_url and quoted ids; anything that could close
        # the markup's link syntax is percent-encoded all the same.
        return Marked(self.link(quote(url, safe=":/?#&=%+,;@!$*'~.-_"), text))


def _plain(text: str) -> str:
    return strip_controls(text)


MARKUPS: Registry[MarkupStyle] = Registry(
    "markup",
    {
        "html": MarkupStyle(
            html_text,
            "<b>{text}</b>",
            "<code>{text}</code>",
            lambda url, label: f'<a href="{html.escape(url)}">{label}</a>',
        ),
        # The angle brackets keep Discord from unfurling a preview of the UI's login page;
        # CommonMark (Mattermost, Teams) reads them as the link's destination.
        "markdown": MarkupStyle(
            markdown_text, "**{text}**", "{text}", lambda url, label: f"[{label}](<{url}>)"
        ),
        # Adaptive Card TextBlock text: a Markdown subset (bold, italic, lists, links) without
        # code spans or HTML; the destination is bare (hyperlink() percent-encodes parentheses).
        "adaptive_card": MarkupStyle(
            markdown_text, "**{text}**", "{text}", lambda url, label: f"[{label}]({url})"
        ),
        # Google Chat card text: a small HTML subset (<b>, <i>, <u>, <s>, <font>, <a>, <br>),
        # no <code>.
        "chat_card": MarkupStyle(
            html_text,
            "<b>{text}</b>",
            "{text}",
            lambda url, label: f'<a href="{html.escape(url)}">{label}</a>',
        ),
        "slack": MarkupStyle(
            slack_text, "*{text}*", "`{text}`", lambda url, label: f"<{url}|{label}>"
        ),
        # Jira wiki markup (REST v2 descriptions); hyperlink() percent-encodes "|" and "]".
        "jira": MarkupStyle(
            jira_wiki_text, "*{text}*", "{{{{{text}}}}}", lambda url, label: f"[{label}|{url}]"
        ),
        "text": MarkupStyle(_plain, "{text}", "{text}", lambda url, label: f"{label}: {url}"),
    },
)


def environment(markup: str) -> SandboxedEnvironment:
    style = MARKUPS.get(markup)
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,  # finalize escapes for the markup; HTML autoescape would be wrong
        finalize=style.output,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(b=style.b, code=style.code_span, link=style.hyperlink)
    return env


def shipped_template(kind: str, language: str) -> tuple[str, str]:
    """(name, source) of the template shipped for ``kind`` in ``language``."""
    name = f"{kind}.{language}.j2"
    source = resources.files("alerting.notify").joinpath("message_templates", name)
    return f"<shipped {name}>", source.read_text(encoding="utf-8")


def _read(path: Path, channel: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"alerting.channels {channel!r}: cannot read template {path}: {exc}"
        ) from None


class MessageTemplate:
    """One compiled template of a channel."""

    def __init__(self, source: str, name: str, markup: str, channel: str) -> None:
        self.name = name
        self.channel = channel
        try:
            self._template: Template = environment(markup).from_string(source)
        except TemplateSyntaxError as exc:
            raise ConfigError(
                f"alerting.channels {channel!r}: template {name}, line {exc.lineno}: {exc.message}"
            ) from None

    def render(self, context: Mapping[str, Any]) -> str:
        return self._template.render(context).strip()

    def check(self, context: Mapping[str, Any]) -> None:
        """Render ``context`` (a sample) once; a template error is a config error."""
        try:
            self.render(context)
        except TemplateError as exc:
            raise ConfigError(
                f"alerting.channels {self.channel!r}: template {self.name} fails on a sample "
                f"message: {type(exc).__name__}: {exc}"
            ) from None


def load_template(
    kind: str, *, markup: str, language: str, path: Path | None, channel: str
) -> MessageTemplate:
    """The channel's own file when it names one, else the shipped template."""
    if path is None:
        name, source = shipped_template(kind, language)
    else:
        name, source = str(path), _read(path, channel)
    return MessageTemplate(source, name, markup, channel)
