"""URL converters."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter

INT32_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` limited to the database's integer range: a larger id is a 404, not a database error."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


def id_schema(converter: IdConverter) -> dict[str, Any]:
    """How the OpenAPI document describes an id in a path."""
    return {"type": "integer", "format": "int32", "minimum": 0, "maximum": INT32_MAX}
