"""An import-linter contract for names, which import-linter's own contracts cannot see.

import-linter checks which modules import which; `flask.request` and `flask.session` are names inside the module
`flask`, which services and queries may import for `current_app`. `forbidden_names` reads the source of every
module in `source_modules` (and below) and fails on any import or use of a listed name:
`from flask import request`, `from flask import session as s`, or `import flask` then `flask.request`.
Registered in pyproject.toml under [tool.importlinter] `contract_types`; `make lint` runs it with the others.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck
from importlinter.domain.helpers import module_expressions_to_modules


def _source_path(module: str) -> Path | None:
    """The file of a module of this checkout (the root packages sit in the working directory)."""
    base = Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def forbidden_uses(source: str, forbidden: set[str]) -> list[tuple[int, str]]:
    """(line, dotted name) for each import or attribute use of a forbidden name ("flask.request") in the source."""
    found: list[tuple[int, str]] = []
    module_aliases: dict[str, str] = {}  # local name -> module, for `import flask` / `import flask as f`
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                      if f"{node.module}.{alias.name}" in forbidden]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in forbidden:  # `import flask.request` is not a module, but say so anyway
                    found.append((node.lineno, alias.name))
                if alias.asname:
                    module_aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    module_aliases[root] = root
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in module_aliases:
            dotted = f"{module_aliases[node.value.id]}.{node.attr}"
            if dotted in forbidden:
                found.append((node.lineno, dotted))
    return sorted(found)


class ForbiddenNamesContract(Contract):
    """Modules in `source_modules` may not import or use the names in `forbidden_names` ("module.name")."""

    type_name = "forbidden_names"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())
    forbidden_names = fields.SetField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        # import-linter's fields are typed as the Field descriptors, not the values they hold once parsed.
        sources = module_expressions_to_modules(graph, self.source_modules)  # type: ignore[arg-type]
        names: set[str] = set(self.forbidden_names)  # type: ignore[call-overload]
        modules = sorted({descendant for source in sources
                          for descendant in {source.name, *graph.find_descendants(source.name)}})
        violations: list[dict[str, Any]] = []
        for module in modules:
            path = _source_path(module)
            if path is None:
                continue
            for line, name in forbidden_uses(path.read_text(encoding="utf-8"), names):
                violations.append({"module": module, "line": line, "name": name})
        return ContractCheck(kept=not violations, warnings=[], metadata={"violations": violations})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            output.print_error(f"{violation['module']} uses {violation['name']} (l.{violation['line']})", bold=False)
        output.new_line()
