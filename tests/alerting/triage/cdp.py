"""A small Chrome DevTools Protocol client driving Debian's headless Chromium.

Enough for the browser tests: open a page, type, click with real mouse events, read the DOM
through JavaScript, take screenshots, and collect what the browser logged (exceptions,
Content-Security-Policy violations). One browser process per instance, a fresh profile in a
temporary folder, no network access beyond the loopback server under test.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import websocket

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
    "--window-size=1400,1000",
)


class BrowserError(AssertionError):
    """The browser did not do what the test asked, in time."""


class Chromium:
    def __init__(self, profile: Path, *, binary: str = CHROMIUM, timeout: float = 15.0) -> None:
        if shutil.which(binary) is None:
            raise BrowserError(
                f"{binary} is missing: install it with "
                "`apt-get install -y chromium chromium-driver` (browser tests never skip)"
            )
        self.timeout = timeout
        self.profile = profile
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._process = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port, path = self._devtools_address()
            self._socket = websocket.create_connection(
                f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True
            )
            target = self._call("Target.createTarget", url="about:blank")["targetId"]
            self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log"):
                self.send(f"{domain}.enable")
        except BaseException:
            self._kill()
            raise

    # --- lifecycle -------------------------------------------------------------------------------
    def _devtools_address(self) -> tuple[str, str]:
        marker = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if marker.exists():
                lines = marker.read_text().split()
                if len(lines) >= 2:
                    return lines[0], lines[1]
            if self._process.poll() is not None:
                raise BrowserError(f"chromium exited with {self._process.returncode}")
            time.sleep(0.05)
        raise BrowserError("chromium did not open its DevTools port")

    def close(self) -> None:
        try:
            self._call("Browser.close")
        # The browser may already be gone (closed socket, no answer): make sure the process is.
        except (BrowserError, OSError, ValueError, websocket.WebSocketException):
            pass
        finally:
            self._socket.close()
            self._kill()

    def _kill(self) -> None:
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # --- protocol --------------------------------------------------------------------------------
    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            answer = json.loads(self._socket.recv())
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise BrowserError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))
            if "method" in answer:
                self.events.append(answer)
        raise BrowserError(f"{method}: no answer")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """A command to the page."""
        return self._call(method, self._session, **params)

    def _wait_event(self, method: str, since: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for event in self.events[since:]:
                if event.get("method") == method:
                    return event
            self._socket.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                answer = json.loads(self._socket.recv())
            except websocket.WebSocketTimeoutException:
                break
            finally:
                self._socket.settimeout(self.timeout)
            if "method" in answer:
                self.events.append(answer)
        raise BrowserError(f"no {method} event")

    # --- what tests do ---------------------------------------------------------------------------
    def navigate(self, url: str) -> None:
        mark = len(self.events)
        self.send("Page.navigate", url=url)
        self._wait_event("Page.loadEventFired", mark)

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str) -> Any:
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise BrowserError(f"{expression!r} never became true")

    def click(self, selector: str, *, navigates: bool = False) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        mark = len(self.events)
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )
        if navigates:
            self._wait_event("Page.loadEventFired", mark)

    def type(self, selector: str, text: str) -> None:
        """Focus a field, clear it and type ``text`` as keyboard input."""
        self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.focus(); e.select && e.select(); })()"
        )
        self.send("Input.insertText", text=text)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a <select> the way a user's choice does (value, then change)."""
        self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            f" e.value = {json.dumps(value)};"
            " e.dispatchEvent(new Event('change', {bubbles: true})); })()"
        )

    def press(self, key: str, *, navigates: bool = False) -> None:
        """A key typed on the keyboard (a printable ``key`` also types its text)."""
        mark = len(self.events)
        text = {"text": key} if len(key) == 1 else {}
        self.send("Input.dispatchKeyEvent", type="keyDown", key=key, **text)
        self.send("Input.dispatchKeyEvent", type="keyUp", key=key)
        if navigates:
            self._wait_event("Page.loadEventFired", mark)

    def viewport(self, width: int, height: int) -> None:
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def color_scheme(self, scheme: str) -> None:
        """Emulate the system's ``prefers-color-scheme`` (``light`` or ``dark``)."""
        self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))

    def set_cookie(self, name: str, value: str, url: str) -> None:
        self.send("Network.setCookie", name=name, value=value, url=url)

    def logged(self, needle: str) -> list[str]:
        """Browser log entries and exceptions whose text contains ``needle``."""
        texts = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Log.entryAdded":
                texts.append(str(params.get("entry", {}).get("text", "")))
            elif event.get("method") == "Runtime.exceptionThrown":
                texts.append(json.dumps(params.get("exceptionDetails", {})))
            elif event.get("method") == "Runtime.consoleAPICalled":
                texts.append(json.dumps(params.get("args", [])))
        return [t for t in texts if needle in t]
