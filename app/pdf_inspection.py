"""Reading an uploaded PDF's page count in a separate, limited process, so that a hostile file costs the server
seconds at most, never minutes.

A crafted PDF can make a parser work for a long time with a small file: cross-reference streams chained by /Prev,
each inflating to tens of megabytes, or a page tree of thousands of pages. The parent (`inspect_pdf_bytes`) starts
this file as a script (`python -I app/pdf_inspection.py`: the standard library and pypdf only, none of the app) and
hands it the bytes on its standard input. The child limits itself before it reads anything — CPU seconds and
address space (`resource.setrlimit`) — and the parent kills it after a wall-clock timeout. Inside, the file must
start with `%PDF-`, the cross-reference chain may have at most `max_xref_sections` links, all the streams pypdf
inflates together at most `max_inflated_bytes`, and the page count is read from the page tree's root (/Count)
before the tree is walked, so a file that says it has 10,000 pages is refused without walking them.

The answer is one JSON object on the standard output: {"pages": N} or {"refused": <reason>, ...}; a child that dies
(the CPU limit's SIGXCPU, a MemoryError, the timeout's kill) is a refusal too ("too_complex").
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PDF_MAGIC = b"%PDF-"
SCRIPT = Path(__file__).resolve()


@dataclass(frozen=True)
class InspectionLimits:
    """What one inspection may cost (the defaults are config.py's PDF_INSPECTION_* settings)."""

    cpu_seconds: int = 10
    wall_seconds: float = 20.0
    memory_bytes: int = 768 * 1024 * 1024
    max_inflated_bytes: int = 64 * 1024 * 1024
    max_xref_sections: int = 32


class Refused(BaseException):
    """The file is refused for `reason` (a stable code); `facts` say more (pages, limits).

    A BaseException on purpose: raised from inside pypdf (a hook on its inflating and its cross-reference reading),
    it must pass through pypdf's `except Exception` recoveries, which would otherwise go on with a partial file."""

    def __init__(self, reason: str, **facts: Any) -> None:
        super().__init__(reason)
        self.reason, self.facts = reason, facts


# --- the parent ------------------------------------------------------------------------------------------------------

def inspect_pdf_bytes(data: bytes, *, page_limit: int | None, limits: InspectionLimits) -> dict[str, Any]:
    """The child's answer for `data`: {"pages": N} or {"refused": reason, ...}; "too_complex" when it died or ran
    out of time."""
    if not data.startswith(PDF_MAGIC):  # cheap, and needs no process
        return {"refused": "not_pdf"}
    request = json.dumps({"page_limit": page_limit, "limits": asdict(limits)})
    try:
        # -I: isolated (no PYTHON* variables, no user site, not the script's folder on sys.path): none of the app
        # is imported, only the standard library and pypdf. Our own script; the file's bytes go to its stdin.
        finished = subprocess.run([sys.executable, "-I", str(SCRIPT), request],  # noqa: S603
                                  input=data, capture_output=True, timeout=limits.wall_seconds, check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child
        return {"refused": "too_complex", "limit": "time"}
    try:
        answer: dict[str, Any] = json.loads(finished.stdout)
    except ValueError:  # killed by the CPU limit (SIGXCPU) or the kernel, or out of memory while starting
        return {"refused": "too_complex", "limit": "process", "exit": finished.returncode}
    return answer


# --- the child (standard library and pypdf only) -------------------------------------------------------------------

def _limit_this_process(limits: InspectionLimits) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))


def _count_inflated_bytes(limit: int) -> None:
    """Every stream pypdf inflates counts towards `limit` bytes in all (pypdf's own caps are per stream)."""
    from pypdf import filters

    inflate = filters.decompress
    total = [0]

    def counted(data: bytes) -> bytes:
        result = inflate(data)
        total[0] += len(result)
        if total[0] > limit:
            raise Refused("too_complex", limit="inflated_bytes", max_inflated_bytes=limit)
        return result

    filters.decompress = counted  # FlateDecode looks the name up in its module at each call


def _reader_class(max_xref_sections: int) -> Any:
    from pypdf import PdfReader

    class ChainLimitedReader(PdfReader):
        """Counts the cross-reference sections pypdf follows (tables and streams, chained by /Prev)."""

        xref_sections = 0

        def _count_section(self) -> None:
            self.xref_sections += 1
            if self.xref_sections > max_xref_sections:
                raise Refused("too_complex", limit="xref_sections", max_xref_sections=max_xref_sections)

        def _read_xref(self, stream: Any) -> Any:
            self._count_section()
            return super()._read_xref(stream)

        def _read_pdf15_xref_stream(self, stream: Any) -> Any:
            self._count_section()
            return super()._read_pdf15_xref_stream(stream)

    return ChainLimitedReader


def probe(data: bytes, *, page_limit: int | None, limits: InspectionLimits) -> dict[str, Any]:
    """The page count of `data`, or why it is refused (run in the limited child)."""
    import io
    import warnings

    if not data.startswith(PDF_MAGIC):
        return {"refused": "not_pdf"}
    _count_inflated_bytes(limits.max_inflated_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pypdf warns about repairable oddities; we judge by the result
            reader = _reader_class(limits.max_xref_sections)(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return {"refused": "encrypted"}
            # The page tree's root says how many pages there are: refuse a long file before walking its tree.
            declared = reader.trailer["/Root"]["/Pages"].get("/Count")
            if isinstance(declared, int) and page_limit is not None and declared > page_limit:
                return {"refused": "too_many_pages", "pages": int(declared), "page_limit": page_limit}
            pages = len(reader.pages)
    except Refused as refusal:
        return {"refused": refusal.reason, **refusal.facts}
    except MemoryError:
        return {"refused": "too_complex", "limit": "memory"}
    except Exception as error:  # any parser failure means the file is unusable
        return {"refused": "damaged", "error": type(error).__name__}
    if pages < 1:
        return {"refused": "no_pages"}
    if page_limit is not None and pages > page_limit:
        return {"refused": "too_many_pages", "pages": pages, "page_limit": page_limit}
    return {"pages": pages}


def _main() -> None:
    request = json.loads(sys.argv[1])
    limits = InspectionLimits(**request["limits"])
    _limit_this_process(limits)
    data = sys.stdin.buffer.read()
    sys.stdout.write(json.dumps(probe(data, page_limit=request["page_limit"], limits=limits)))


if __name__ == "__main__":
    _main()
