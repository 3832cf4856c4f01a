"""Request-body parsers of the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

#: No request of this API nests deeper than a few levels (an order: body > lines > line); 32 leaves room and keeps
#: every later step (validation, hashing for idempotency, rendering errors) far from Python's recursion limit.
MAX_DEPTH = 32


def nesting_depth_exceeds(data: Any, limit: int) -> bool:
    """Whether objects/arrays in ``data`` nest deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering a body nested too deeply with a 400 (``parse_error``) instead of a 500.

    The standard decoder raises ``RecursionError`` (not ``ValueError``) on thousands of nested arrays; a body just
    under that is refused too, by its depth.
    """

    def parse(self, stream: Any, media_type: str | None = None,
              parser_context: Mapping[str, Any] | None = None) -> Any:
        message = f"The JSON body is nested too deeply (at most {MAX_DEPTH} levels of objects and arrays)."
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(message) from None
        if nesting_depth_exceeds(data, MAX_DEPTH):
            raise ParseError(message)
        return data
