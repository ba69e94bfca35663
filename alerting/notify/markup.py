"""Log content made inert for each target's markup.

Snapshot values are attacker-controlled. Each chat or case tool reads its text as markup of its
own, so a value such as ``<!channel>`` (a Slack ping), ``@everyone`` (Discord), ``<b>`` (Telegram
HTML) or ``[link|http://evil]`` (Jira) must arrive as the characters it is, not as formatting,
mentions or links. Control and bidi characters are removed first (:func:`strip_controls`).
"""

from __future__ import annotations

import html
import re

from alerting.notify.render import strip_controls

#: Zero-width space: put after ``@`` so that ``@everyone`` reads the same but pings nobody.
_ZWSP = "\u200b"

# Newlines are gone (strip_controls), so line-start syntax (lists, headings) cannot occur; what
# is left is inline: emphasis, code, links, autolinks (``:``), tables (``|``), HTML.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_~|\[\]()<>:#])")
_JIRA_SPECIALS = re.compile(r"([\\{}\[\]*_?\-+^~|!#()])")
_MENTIONS = re.compile(r"@(?=(everyone|here|channel|all)\b)", re.IGNORECASE)


def _clean(text: str) -> str:
    return strip_controls(text)


def html_text(text: str) -> str:
    """For Telegram's HTML parse mode and Google Chat card text: ``< > & "`` as entities."""
    return html.escape(_clean(text), quote=True)


def slack_text(text: str) -> str:
    """Slack mrkdwn: ``& < >`` as entities (the three Slack's reference says to escape), which
    also disarms ``<!channel>`` and ``<http://x|label>``."""
    return _clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: str) -> str:
    """Markdown (Mattermost, Discord, Teams Adaptive Card text, TheHive descriptions): every
    punctuation mark with a meaning backslash-escaped, mass mentions broken by a zero-width
    space (``@everyone``, ``@here``, ``@channel``, ``@all``)."""
    escaped = _MARKDOWN_SPECIALS.sub(r"\\\1", _clean(text))
    return _MENTIONS.sub("@" + _ZWSP, escaped)


def discord_text(text: str) -> str:
    """Discord markdown: as :func:`markdown_text`, and user/role mentions (``<@123>``) broken
    too (their ``<`` is escaped already). The payload also sets ``allowed_mentions``."""
    return markdown_text(text)


def jira_wiki_text(text: str) -> str:
    """Jira wiki markup (REST API v2 descriptions): the markup characters backslash-escaped,
    so ``[x|http://evil]`` is no link and ``{code}`` no macro."""
    return _JIRA_SPECIALS.sub(r"\\\1", _clean(text))
