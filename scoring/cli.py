"""`python -m scoring select [FILE]`: run the selection rules on a JSON document, print the result as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .errors import ScoringError
from .io import parse_input, read_json, selection_to_dict
from .rules import select

EXIT_OK = 0
EXIT_INVALID = 2


def build_parser() -> argparse.ArgumentParser:
    """The command line: one subcommand, `select`."""
    parser = argparse.ArgumentParser(prog="python -m scoring", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("select", help="rank the proposals and select within the budget")
    run.add_argument("file", nargs="?", help="the input JSON document (default: standard input)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 success, 2 invalid input with a one-line message)."""
    args = build_parser().parse_args(argv)
    try:
        text = _read(args.file)
    except (OSError, UnicodeDecodeError) as error:
        return _fail(f"cannot read {args.file or 'standard input'}: {error}")
    try:
        data = read_json(text)
    except (ValueError, RecursionError) as error:  # json.JSONDecodeError, NaN or Infinity, absurd nesting
        return _fail(f"invalid JSON: {error}")
    try:
        selection = select(*parse_input(data))
    except ScoringError as error:
        return _fail(f"invalid input: {error}")
    sys.stdout.write(json.dumps(selection_to_dict(selection), indent=2) + "\n")
    return EXIT_OK


def _read(path: str | None) -> str:
    if path is None:
        return sys.stdin.buffer.read().decode("utf-8-sig")
    with open(path, encoding="utf-8-sig") as handle:  # tolerate the BOM some editors write
        return handle.read()


def _fail(message: str) -> int:
    print("error: " + " ".join(message.split()), file=sys.stderr)
    return EXIT_INVALID
