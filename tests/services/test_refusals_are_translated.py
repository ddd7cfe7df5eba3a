"""Every refusal a service raises reaches its reader in their language: a static look (AST) at app/services (and at
the shared reads of app/queries, whose loaders refuse too) for
DomainErrors given a sentence the catalogues cannot hold — a plain string, an f-string, a string built with % or + or
.format(), or a module constant that is one — instead of a message marked with N_ (translated by the web layer for its
reader) or already translated with gettext/ngettext; and every N_ message so raised is in the French and German
catalogues."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from app.services import errors
from tests.i18n_support import _catalogue

APP = Path(__file__).resolve().parent.parent.parent / "app"
ERRORS = frozenset(name for name, value in vars(errors).items()
                   if isinstance(value, type) and issubclass(value, errors.DomainError))
TRANSLATED = frozenset({"gettext", "ngettext", "pgettext", "_"})
# Still English (README, "Languages"), by file and the start of the refusal: the scoring core's own error about a
# review's input (a bug if met).
STILL_ENGLISH = {
    "queries/redress.py": "InvalidInput(f'The review input is invalid: {error}')",
}


def _still_english(line: str) -> bool:
    name, _, refusal = line.split(":", 2)
    return name in STILL_ENGLISH and refusal.strip().startswith(STILL_ENGLISH[name])


def _is_english_text(node: ast.expr, constants: dict[str, ast.expr]) -> bool:
    """Whether `node` is a sentence written in English in the code, which no catalogue translates."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return _is_english_text(node.left, constants) or _is_english_text(node.right, constants)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("format", "replace"):
        return _is_english_text(node.func.value, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return _is_english_text(constants[node.id], constants)
    if isinstance(node, ast.IfExp):
        return _is_english_text(node.body, constants) or _is_english_text(node.orelse, constants)
    return False


def _called(node: ast.Call) -> str:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else ""


def _message(node: ast.Call) -> ast.expr | None:
    if node.args:
        return node.args[0]
    return next((keyword.value for keyword in node.keywords if keyword.arg == "message"), None)


def untranslated_refusals(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: Error(...)` for each DomainError of `source` raised with a sentence no catalogue holds."""
    tree = ast.parse(source, filename)
    constants = {target.id: statement.value for statement in tree.body if isinstance(statement, ast.Assign)
                 for target in statement.targets if isinstance(target, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _called(node) in ERRORS:
            message = _message(node)
            if message is not None and _is_english_text(message, constants):
                found.append(f"{filename}:{node.lineno}: {_called(node)}({ast.unparse(message)[:80]})")
    return found


def marked_refusals(source: str) -> list[str]:
    """The messages `source` marks with N_ (its refusals', among others)."""
    return [node.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and _called(node) == "N_" and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)]


def _sources() -> list[tuple[str, Path]]:
    paths = sorted([*(APP / "services").glob("*.py"), *(APP / "queries").glob("*.py")])
    return [(str(path.relative_to(APP)), path) for path in paths]


def test_no_service_refuses_with_a_sentence_the_catalogues_cannot_translate() -> None:
    found = [line for name, path in _sources() for line in untranslated_refusals(path.read_text(), name)
             if not _still_english(line)]
    assert found == []


@pytest.mark.parametrize("language", ["fr", "de"])
def test_every_marked_message_of_the_services_is_in_the_catalogues(language: str) -> None:
    catalogue = _catalogue(language)
    missing = [message for _, path in _sources() for message in marked_refusals(path.read_text())
               if catalogue.get(message) is None or not catalogue.get(message).string]  # type: ignore[union-attr]
    assert missing == []


@pytest.mark.parametrize("source", [
    'raise NotAllowed("Only officers decide.")',
    'raise InvalidInput(f"At most {limit} characters.", details={"field": "x"})',
    'raise DeadlinePassed("The call closed on %s." % when)',
    'raise EditConflict("Saved by " + name)',
    'raise NotFound("There is no {thing}.".format(thing=thing))',
    'GONE = "This link has expired."\ndef f():\n    raise InvalidTransition(GONE)',
    'raise InvalidTransition(message="Already decided.")',
])
def test_the_check_finds_a_deliberately_plain_string(source: str) -> None:
    assert len(untranslated_refusals(source)) == 1


@pytest.mark.parametrize("source", [
    'raise NotAllowed(N_("Only officers decide."))',
    'raise InvalidInput(N_("At most %(max)d characters."), max=limit, details={"field": "x"})',
    'raise IneligibleProposal(ngettext("%(num)d check failed.", "%(num)d checks failed.", count))',
    'GONE = N_("This link has expired.")\ndef f():\n    raise InvalidTransition(GONE)',
    'raise InvalidTransition(state.template, **state.params)',
])
def test_the_check_lets_a_catalogued_message_through(source: str) -> None:
    assert untranslated_refusals(source) == []
