"""Reading Partner Center JSON: a case-insensitive view of one object, value conversions (integers, money,
timestamps), the identifier check, ``attributes.etag``, links and collection pages."""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from ..errors import ResponseValidationError
from ..types import Link, Page

T = TypeVar("T")


class JsonObject:
    """Case-insensitive read-only view of one JSON object."""

    __slots__ = ("_d",)

    def __init__(self, data: Mapping[str, Any] | None) -> None:
        self._d = {builtins.str(k).lower(): v for k, v in (data or {}).items()}

    def get(self, name: builtins.str, default: Any = None) -> Any:
        value = self._d.get(name.lower(), default)
        return default if value is None else value

    def obj(self, name: builtins.str) -> JsonObject | None:
        value = self._d.get(name.lower())
        return JsonObject(value) if isinstance(value, Mapping) else None

    def objs(self, name: builtins.str) -> list[JsonObject]:
        value = self._d.get(name.lower())
        if not isinstance(value, list):
            return []
        return [JsonObject(v) for v in value if isinstance(v, Mapping)]

    def str(self, name: builtins.str) -> builtins.str | None:
        value = self.get(name)
        if value is None:
            return None
        return value if isinstance(value, builtins.str) else builtins.str(value)

    def req_str(self, name: builtins.str, what: builtins.str) -> builtins.str:
        value = self.str(name)
        if not value:
            raise ResponseValidationError(f"{what} without {name!r} in Partner Center response")
        return value

    def int(self, name: builtins.str) -> builtins.int | None:
        return to_int(self.get(name))

    def bool(self, name: builtins.str) -> builtins.bool | None:
        value = self.get(name)
        if isinstance(value, builtins.bool):
            return value
        if isinstance(value, builtins.str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None

    def decimal(self, name: builtins.str) -> Decimal | None:
        return to_decimal(self.get(name))

    def datetime(self, name: builtins.str) -> dt.datetime | None:
        return parse_datetime(self.get(name))

    def strs(self, name: builtins.str) -> tuple[builtins.str, ...]:
        value = self.get(name)
        if not isinstance(value, list):
            return ()
        return tuple(builtins.str(v) for v in value if v is not None)

    def raw(self, name: builtins.str) -> Any:
        return self._d.get(name.lower())


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"-?\d+", text):
            return int(text)
    return None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        # via str() so 36.48 stays 36.48 and not its binary approximation
        return Decimal(str(value).strip())
    except InvalidOperation:
        return None


_FRACTION = re.compile(r"\.(\d+)")


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 as Partner Center sends it (7-digit fractions, ``Z``; docs even show ``06: 41: 12Z``)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace(" ", "")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], text, count=1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_us_datetime(value: str | None) -> datetime | None:
    """Price-sheet dates: ``2/1/2019 12:00:00 AM`` (US month/day, 12-hour clock), taken as UTC."""
    if not value or not value.strip():
        return None
    text = value.strip()
    for fmt in ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return parse_datetime(text)


def root(data: Any, what: str) -> JsonObject:
    """The top-level JSON object of a response, or :class:`ResponseValidationError`."""
    if not isinstance(data, Mapping):
        raise ResponseValidationError(f"expected a JSON object for {what}, got {type(data).__name__}")
    return JsonObject(data)


def etag(o: JsonObject) -> str | None:
    """``attributes.etag`` of a parsed object."""
    attributes = o.obj("attributes")
    return attributes.str("etag") if attributes else None


def etag_of(data: Any) -> str | None:
    """``attributes.etag`` of a raw resource (any key casing)."""
    return etag(JsonObject(data)) if isinstance(data, Mapping) else None


def link(o: JsonObject | None) -> Link | None:
    if o is None or not o.str("uri"):
        return None
    headers = tuple((h.str("key") or "", h.str("value") or "") for h in o.objs("headers") if h.str("key"))
    return Link(uri=o.req_str("uri", "link"), method=(o.str("method") or "GET").upper(), headers=headers)


def page(data: Any, item_parser: Callable[[Any], T], what: str) -> Page[T]:
    collection = root(data, what)
    raw_items = collection.raw("items")
    if raw_items is None:
        # Only an explicitly empty collection reads as empty; anything else (an error body answered with 200, a
        # single resource) is not a collection and must not pass for "no items".
        if collection.int("totalCount") != 0:
            raise ResponseValidationError(f"{what}: the response is not a collection (no 'items')")
        raw_items = []
    if not isinstance(raw_items, list):
        raise ResponseValidationError(f"{what} collection whose 'items' is not a list")
    items = tuple(item_parser(item) for item in raw_items)
    links = collection.obj("links")
    next_link = link(links.obj("next")) if links else None
    total = collection.int("totalCount")
    return Page(items=items, total_count=len(items) if total is None else total, next_link=next_link)
