"""`python -m scoring select [FILE]`, `python -m scoring promote [FILE]` and `python -m scoring review [FILE]`: run the
selection rules (or a promotion from the reserve list, or the placing of a re-evaluated proposal after an upheld
evaluation review) on a JSON document and print the output document as JSON."""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from .assessment import assess_document, is_assessment_document
from .errors import ScoringError
from .io import read_json, select_document
from .model import Selection
from .output import selection_to_dict
from .promotion import promote_document
from .review import review_document_run

EXIT_OK = 0
EXIT_INVALID = 2

COMMANDS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Selection]]] = {
    "select": ("rank the proposals and select within the budget (or, for a document of kind assessment, select by "
               "the officer's assessment)",
               lambda data: (assess_document(data) if is_assessment_document(data) else select_document(data))[2]),
    "promote": ("promote from the reserve list after a selected proposal leaves (a promotion document)",
                promote_document),
    "review": ("place a re-evaluated proposal after an upheld evaluation review (a review document)",
               review_document_run),
}


def build_parser() -> argparse.ArgumentParser:
    """The command line: `select` (a selection-rules document) and `promote` (a promotion document)."""
    parser = argparse.ArgumentParser(prog="python -m scoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (summary, _) in COMMANDS.items():
        command = commands.add_parser(name, help=summary)
        command.add_argument("file", nargs="?", help="the input JSON document (default: standard input)")
        command.add_argument("--indent", type=int, metavar="N",
                             help="indent the output by N spaces (default: one compact line)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 invalid input with a one-line message)."""
    args = build_parser().parse_args(argv)
    with _without_cycle_collection():
        return _run(args)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Run with the cyclic garbage collector paused: a large call allocates a few hundred thousand objects, none of
    them in a cycle, and the collector would walk them again and again for nothing (a sixth of the command's time);
    reference counting still frees every one of them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run(args: argparse.Namespace) -> int:
    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read {args.file or 'standard input'}: {error}")
    try:
        data = read_json(text)
    except (ValueError, RecursionError) as error:  # json.JSONDecodeError, NaN or Infinity, absurd nesting
        return _fail(f"invalid JSON: {error}")
    try:
        selection = COMMANDS[args.command][1](data)
    except ScoringError as error:
        return _fail(f"invalid input: {error}")
    sys.stdout.write(write_json(selection_to_dict(selection), indent=args.indent) + "\n")
    return EXIT_OK


def write_json(output: Mapping[str, Any], *, indent: int | None = None) -> str:
    """The output as JSON text: one compact line, which json's C encoder writes (an indented document goes through
    its pure-Python encoder, several times slower on a large call), or indented for reading."""
    if indent is None:
        return json.dumps(output, separators=(",", ":"))
    return json.dumps(output, indent=indent)


def _read(path: str | None) -> str:
    if path is None:
        return sys.stdin.buffer.read().decode("utf-8-sig")
    with open(path, encoding="utf-8-sig") as handle:  # tolerate the BOM some editors write
        return handle.read()


def _fail(message: str) -> int:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return EXIT_INVALID
