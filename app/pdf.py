"""HTML to PDF with WeasyPrint: the only module that imports it.

- One shared `FontConfiguration` for the process: fonts are found and loaded once, not on every receipt.
- A URL fetcher that can load nothing but files under `app/static/` (our own CSS, fonts and images); any other
  URL (http, https, data, file elsewhere, a path that climbs out with ..) is refused, so text from users can
  never make the server fetch anything.
- Deterministic output: the same HTML gives the same bytes (the document's dates come from its
  `<meta name="dcterms.created">`, and the PDF identifier is derived from the content).
- Rendering is serialised by a lock: WeasyPrint and Pango are not documented as thread-safe and the app may
  run in threaded workers; a one-page receipt takes tens of milliseconds.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import mimetypes
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = (Path(__file__).resolve().parent / "static").resolve()
# Relative URLs in our print templates (e.g. "css/print.css") resolve against the static folder.
BASE_URL = STATIC_DIR.as_uri() + "/"

FONT_CONFIG = FontConfiguration()
_render_lock = threading.Lock()


class RefusedURL(ValueError):
    """A URL outside our static folder: never fetched."""


class StaticOnlyFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no types
    """Serves `file:` URLs that point inside app/static/ and refuses everything else."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        path = static_path_for(url)
        mime_type, _ = mimetypes.guess_type(path.name)
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime_type or "application/octet-stream"})


def static_path_for(url: str) -> Path:
    """The file inside app/static/ that `url` names; RefusedURL for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
        raise RefusedURL(f"only our own static files can be used in a PDF, not {url[:80]!r}")
    path = Path(unquote(parts.path)).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise RefusedURL(f"only our own static files can be used in a PDF, not {url[:80]!r}")
    return path


_FETCHER = StaticOnlyFetcher()
_STYLESHEETS: dict[str, CSS] = {}
# Images (only ever our own static files, see the fetcher) are loaded and parsed once per process, not per PDF.
_IMAGE_CACHE: dict[str, object] = {}


def _stylesheets(names: tuple[str, ...]) -> list[CSS]:
    """Our print style sheets (paths under app/static/), parsed once per process and reused for every PDF.

    Parsing the letters' style sheet took about a fifth of each letter's rendering time.
    """
    sheets = []
    for name in names:
        if name not in _STYLESHEETS:
            path = static_path_for(BASE_URL + name)
            _STYLESHEETS[name] = CSS(string=path.read_text(), base_url=BASE_URL, url_fetcher=_FETCHER,
                                     font_config=FONT_CONFIG)
        sheets.append(_STYLESHEETS[name])
    return sheets


def render_pdf(html: str, *, stylesheets: tuple[str, ...] = (), tagged: bool = False) -> bytes:
    """Render an HTML document (our own template output) to PDF bytes, with our style sheets `stylesheets`.

    `tagged` writes the structure (headings, paragraphs, tables, reading order) that screen readers follow, as
    WeasyPrint's `pdf_tags` does; it costs about half as much again per document (README, Accessibility).
    """
    return render_pdf_with_pages(html, stylesheets=stylesheets, tagged=tagged)[0]


def render_pdf_with_pages(html: str, *, stylesheets: tuple[str, ...] = (), tagged: bool = False) -> tuple[bytes, int]:
    """`render_pdf`, byte for byte, and the number of pages (letters record it; no second parse of the PDF)."""
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    with _render_lock:
        document = HTML(string=html, base_url=BASE_URL, url_fetcher=_FETCHER).render(
            font_config=FONT_CONFIG, stylesheets=_stylesheets(stylesheets), cache=_IMAGE_CACHE
        )
        pdf: bytes = document.write_pdf(pdf_identifier=identifier, pdf_tags=tagged)
    return pdf, len(document.pages)


def _release_fonts() -> None:
    """Free the shared FontConfiguration at exit, while Pango is still loaded.

    Left to the interpreter's final garbage collection, its GObject finalizer may run after the libraries it
    needs are gone and kill the process with SIGSEGV (exit code 139) after all the work is done.
    """
    global FONT_CONFIG
    FONT_CONFIG = None
    gc.collect()


atexit.register(_release_fonts)
