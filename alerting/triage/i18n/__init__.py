"""Message catalogues (one dict per language) and the request's language.

Vietnamese is the default; ``?lang=en`` switches a browser to English and remembers the
choice in a cookie. A test checks both catalogues have the same keys and that every key the
templates and code use exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from alerting.triage.i18n.assets_en import MESSAGES as ASSETS_EN
from alerting.triage.i18n.assets_vi import MESSAGES as ASSETS_VI
from alerting.triage.i18n.en import MESSAGES as EN
from alerting.triage.i18n.incidents_en import MESSAGES as INCIDENTS_EN
from alerting.triage.i18n.incidents_vi import MESSAGES as INCIDENTS_VI
from alerting.triage.i18n.rules_en import MESSAGES as RULES_EN
from alerting.triage.i18n.rules_vi import MESSAGES as RULES_VI
from alerting.triage.i18n.search_en import MESSAGES as SEARCH_EN
from alerting.triage.i18n.search_vi import MESSAGES as SEARCH_VI
from alerting.triage.i18n.vi import MESSAGES as VI
from alerting.triage.i18n.workspace_en import MESSAGES as WORKSPACE_EN
from alerting.triage.i18n.workspace_vi import MESSAGES as WORKSPACE_VI

#: Language code -> its catalogue. The first is the default.
CATALOGUES: dict[str, Mapping[str, str]] = {
    "vi": {**VI, **WORKSPACE_VI, **SEARCH_VI, **ASSETS_VI, **RULES_VI, **INCIDENTS_VI},
    "en": {**EN, **WORKSPACE_EN, **SEARCH_EN, **ASSETS_EN, **RULES_EN, **INCIDENTS_EN},
}
DEFAULT_LANGUAGE = "vi"
LANG_COOKIE = "canhgac_lang"
LANG_PARAM = "lang"


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in CATALOGUES else DEFAULT_LANGUAGE
        self._messages = CATALOGUES[self.lang]

    def __call__(self, key: str, **values: Any) -> Markup:
        """The message, as markup: the catalogue's text escaped, each value escaped unless it
        is already markup (a ``<time>`` element, say)."""
        return Markup(escape(self._messages[key])).format(**values)

    def has(self, key: str) -> bool:
        return key in self._messages


def choose_language(param: str | None, cookie: str | None) -> str:
    for candidate in (param, cookie):
        if candidate in CATALOGUES:
            return str(candidate)
    return DEFAULT_LANGUAGE


def request_language(scope: Scope) -> str:
    return str(scope.get("state", {}).get("lang", DEFAULT_LANGUAGE))


class LanguageMiddleware:
    """Puts the request's language in ``scope["state"]["lang"]``; a valid ``?lang=``
    also sets the cookie that keeps it."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        param = (query.get(LANG_PARAM) or [None])[-1]
        cookie = _cookie(scope, LANG_COOKIE)
        lang = choose_language(param, cookie)
        scope.setdefault("state", {})["lang"] = lang
        if param not in CATALOGUES or param == cookie:
            await self.app(scope, receive, send)
            return

        async def remember(message: Message) -> None:
            if message["type"] == "http.response.start":
                attributes = "; Path=/; Max-Age=31536000; SameSite=Strict; HttpOnly"
                if self.secure:
                    attributes += "; Secure"
                header = f"{LANG_COOKIE}={lang}{attributes}".encode("latin-1")
                message["headers"] = [*message.get("headers", []), (b"set-cookie", header)]
            await send(message)

        await self.app(scope, receive, remember)


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            # Attacker-controlled header: whatever the parser raises, there is no language cookie.
            except Exception:  # noqa: BLE001 - a page must not fail on a hostile Cookie header
                return None
            if name in jar:
                return jar[name].value
    return None
