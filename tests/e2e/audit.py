"""Every page a browser test visits is checked once per session: axe-core finds no violation (at any impact), the
page reflows at 320 and 390 CSS px without scrolling sideways, and at 1366 px every table fits its container;
screenshots at 390 and 1366 px go to test-artifacts/pages/.

How pages get checked without the tests asking: the browser context reports every HTML document it receives for a
page's main frame (a listener that only records, so it never races the test), and the page the test drives is a
thin proxy that checks the newly loaded document before the test's next call on the page. Pages a test opens
itself (`context.new_page()`) are checked with `auditor.check(page)`; a document that was received but never
checked fails the test at its end, naming the page. A "page" is the Flask endpoint that rendered it, with the
method and, for errors, the status: each is scanned once per session (`check(page, state=...)` scans a state a
test arranged with JavaScript, such as errors shown while typing).

axe-core is the copy bundled with axe-playwright-python (no CDN); it is evaluated through the DevTools protocol,
which the page's Content-Security-Policy does not govern.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from werkzeug.exceptions import HTTPException

AXE_SCRIPT = (Path(__import__("axe_playwright_python").__file__).parent / "axe.min.js").read_text(encoding="utf-8")
NARROW_WIDTHS = (320, 390)
SHOT_WIDTHS = (390, 1366)
DESKTOP = 1366
AXE_NARROW = 390

# The page's own overflow, and at 1366 px every table wider than the box it sits in (a table inside a scrolling
# container scrolls by itself at narrow widths; on a desktop it must fit).
_OVERFLOW_JS = """() => {
  const root = document.documentElement, limit = root.clientWidth + 1;
  const sticks = el => { const box = el.getBoundingClientRect(); return box.width > 0 && box.right > limit; };
  const clipped = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible' && a.getBoundingClientRect().right <= limit) return true;
    }
    return false;
  };
  const wide = [];
  if (root.scrollWidth > root.clientWidth) {
    for (const el of document.body.querySelectorAll('*')) {
      if (!sticks(el) || clipped(el) || Array.from(el.children).some(sticks)) continue;
      const named = typeof el.className === 'string' && el.className;
      const classes = named ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
      wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + classes +
                ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px)');
      if (wide.length > 4) break;
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, culprits: wide};
}"""
_TABLES_FIT_JS = """() => Array.from(document.querySelectorAll('main table')).filter(t => t.offsetParent !== null)
  .map(t => { const box = t.parentElement; return {table: (t.id || t.className || 'table'),
              width: t.scrollWidth, room: box.clientWidth}; })
  .filter(t => t.width > t.room + 1)"""


# Resize events run before animation-frame callbacks: after two frames every resize handler has run.
_SETTLED_JS = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}"
                         .replace("\n", " "))
        if len(violation["nodes"]) > 5:
            lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


@dataclass
class Auditor:
    """The session's record of checked pages and the checks themselves."""

    app: Flask
    artifacts: Path
    checked: dict[str, str] = field(default_factory=dict)  # page key -> the URL it was checked on
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def key(self, url: str, method: str = "GET", status: int = 200) -> str:
        """The page a URL shows: its endpoint, the method, and the status when it is an error."""
        parts = urlsplit(url)
        adapter = self.app.url_map.bind("localhost")
        try:
            endpoint, _ = adapter.match(parts.path, method=method)
        except HTTPException:
            endpoint = "not-found"
        suffix = "" if method == "GET" else f".{method.lower()}"
        return f"{endpoint}{suffix}" + (f".{status}" if status >= 400 else "")

    def check(self, page: Any, *, state: str = "", key: str | None = None) -> None:
        """Scan the page as it is now (once per page key and state) and fail on any finding."""
        name = key or self.key(page.url)
        if state:
            name = f"{name}+{state}"
        with self._lock:
            if name in self.checked:
                return
            self.checked[name] = page.url
        problems = []
        page.evaluate(AXE_SCRIPT)
        problems += self._axe(page, "")
        viewport = page.viewport_size or {"width": 1280, "height": 900}
        safe = re.sub(r"[^A-Za-z0-9_.+-]", "_", name)
        try:
            for width in sorted({*NARROW_WIDTHS, *SHOT_WIDTHS}):
                page.set_viewport_size({"width": width, "height": 900})
                if width == AXE_NARROW:  # the narrow layout has its own markup states (the menu, stacked tables)
                    page.evaluate(_SETTLED_JS)
                    problems += self._axe(page, f" at {width} px")
                if width in NARROW_WIDTHS:
                    overflow = page.evaluate(_OVERFLOW_JS)
                    if overflow["scrollWidth"] > overflow["clientWidth"]:
                        problems.append(f"at {width} px the page is {overflow['scrollWidth']} px wide (scrolls "
                                        f"sideways); widest: {'; '.join(overflow['culprits'])}")
                if width == DESKTOP:
                    for table in page.evaluate(_TABLES_FIT_JS):
                        problems.append(f"at {width} px table {table['table']} is {table['width']} px wide in "
                                        f"{table['room']} px")
                if width in SHOT_WIDTHS:
                    self.artifacts.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(self.artifacts / f"{safe}-{width}.png"), full_page=True)
        finally:
            page.set_viewport_size(viewport)
        if problems:
            raise AssertionError(f"{name} ({page.url}):\n" + "\n".join(problems))

    @staticmethod
    def _axe(page: Any, where: str) -> list[str]:
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        if not result["violations"]:
            return []
        return [f"axe-core found violations{where}:\n" + _describe(result["violations"])]


class PageWatch:
    """Records the HTML documents a context's pages receive, so that each is checked before the test moves on."""

    def __init__(self, auditor: Auditor, context: Any) -> None:
        self.auditor = auditor
        self.pending: dict[Any, tuple[str, str]] = {}  # page -> (key, url) of its latest unchecked document
        self.missed: dict[str, str] = {}
        context.on("response", self._on_response)

    def _on_response(self, response: Any) -> None:
        # Only local attributes here: a listener that called the browser could interleave with the test.
        request = response.request
        if not request.is_navigation_request() or 300 <= response.status < 400:
            return
        frame = response.frame
        if frame.parent_frame is not None or "text/html" not in response.headers.get("content-type", ""):
            return
        key = self.auditor.key(response.url, request.method, response.status)
        previous = self.pending.get(frame.page)
        if previous is not None and previous[0] not in self.auditor.checked:
            self.missed.setdefault(*previous)
        self.pending[frame.page] = (key, response.url)

    def flush(self, page: Any) -> None:
        """Check the page's latest document if it is loaded and not checked yet."""
        entry = self.pending.get(page)
        if entry is None or page.is_closed():
            return
        key, url = entry
        if key in self.auditor.checked:
            self.pending.pop(page, None)
            return
        try:
            if page.url.split("#")[0] != url.split("#")[0]:
                return
            # The document is the one received: let it finish loading rather than skip it, so that whether it is
            # checked does not depend on how fast this machine renders it.
            page.wait_for_load_state("load")
        except Exception:  # noqa: BLE001 - the document is being replaced: check the next one
            return
        self.pending.pop(page, None)
        self.auditor.check(page, key=key)

    def finish(self) -> list[str]:
        """Check what is still open; return the pages that were shown but never checked."""
        for page in list(self.pending):
            self.flush(page)
        for key, url in self.pending.values():
            if key not in self.auditor.checked:
                self.missed.setdefault(key, url)
        return [f"{key} ({url})" for key, url in self.missed.items() if key not in self.auditor.checked]


class AuditedPage:
    """A Playwright page that checks each new document before the test's next call on it."""

    def __init__(self, page: Any, watch: PageWatch) -> None:
        object.__setattr__(self, "_page", page)
        object.__setattr__(self, "_watch", watch)

    def new_tab(self) -> AuditedPage:
        """Another page in the same browser context (a second tab), watched like this one."""
        return AuditedPage(self._page.context.new_page(), self._watch)

    def __getattr__(self, name: str) -> Any:
        page, watch = self._page, self._watch
        value = getattr(page, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            watch.flush(page)
            return value(*args, **kwargs)

        return call

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._page, name, value)
