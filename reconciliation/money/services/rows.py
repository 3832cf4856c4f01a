"""Microsoft's JSON lines straight to COPY text: the import's per-line work, kept minimal.

Reading a line through the client's typed `ReconLineItem` (46 attributes looked up by every name they may arrive
under, each converted, a frozen dataclass built, then taken apart again) cost most of an import. Here one line is
parsed by orjson, each attribute read under the client's names
(`partnercenter._parse.billing`: the same aliases, casing and conversions), and the row written as one line of
PostgreSQL's COPY text format. The row, the fingerprint and the `attributes` JSON are those of
`reconciliation.money.services.lines.line_values` for the same line (tests/money/test_rows.py holds them equal).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from decimal import Decimal
from typing import Any

import orjson

from partnercenter._parse.base import parse_datetime, to_decimal
from partnercenter._parse.billing import _DATES, _LISTS, _MONEY, _TEXT, _json_list, _names
from partnercenter.errors import ResponseValidationError

_ATTRIBUTES = (*_TEXT, *_MONEY, *_DATES, *_LISTS)
#: attribute -> the names it may arrive under (first found wins): as the API spells them (a line whose every key is
#: spelled so is read as it is) and lowered (any other line, its keys lowered once); every known name, lowered.
_CAMEL = {a: _names(a) for a in _ATTRIBUTES}
_LOWERED = {a: tuple(n.lower() for n in _names(a)) for a in _ATTRIBUTES}
_CAMEL_KNOWN = frozenset(n for names in _CAMEL.values() for n in names)
_KNOWN = frozenset(n for names in _LOWERED.values() for n in names)
#: Attributes that are not columns of their own go to `attributes` (as in `lines._REST`).
_REST_TEXT = ("partner_id", "customer_domain_name", "customer_country", "invoice_number", "mpn_id",
              "reseller_mpn_id", "availability_id", "product_name", "publisher_name", "publisher_id",
              "subscription_description", "term_and_billing_cycle", "unit_type", "alternate_id", "billing_frequency",
              "meter_description", "reservation_order_id", "credit_reason_code")
_REST_DATES = ("pc_to_bc_exchange_rate_date", "subscription_start_date", "subscription_end_date")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_SPECIAL = re.compile(r"[\\\t\n\r]")
NULL = "\\N"


class _Line:
    """One line's attributes by the client's names."""

    __slots__ = ("data", "names")

    def __init__(self, data: dict[str, Any]) -> None:
        if _CAMEL_KNOWN.issuperset(data):
            self.data, self.names = data, _CAMEL
        else:
            self.data, self.names = {str(k).lower(): v for k, v in data.items()}, _LOWERED

    def raw(self, attribute: str) -> Any:
        for name in self.names[attribute]:
            value = self.data.get(name)
            if value is not None:
                return value
        return None


def _text(line: _Line, attribute: str) -> str | None:
    value = line.raw(attribute)
    return None if value is None or value == "" else str(value)


def _decimal(line: _Line, attribute: str) -> Decimal | None:
    value = line.raw(attribute)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))  # orjson gives floats: their shortest repr is the text Microsoft sent
    return to_decimal(value)


class _Stamp:
    """A date-time attribute: its ISO text (as `datetime.isoformat()` writes it) and its UTC day; the common
    ``2026-10-01T00:00:00Z`` read without parsing."""

    __slots__ = ("day", "iso")

    def __init__(self, value: Any) -> None:
        self.iso: str | None = None
        self.day: str | None = None
        if isinstance(value, str) and len(value) == 20 and value[19] in "Zz" and value[10] == "T" \
                and value[4] == "-" and value[:4].isdigit():
            try:
                dt.date(int(value[:4]), int(value[5:7]), int(value[8:10]))
            except ValueError:
                return
            if value[11:13].isdigit() and value[14:16].isdigit() and value[17:19].isdigit():
                self.iso, self.day = value[:19] + "+00:00", value[:10]
                return
        parsed = parse_datetime(value)
        if parsed is not None:
            self.iso, self.day = parsed.isoformat(), parsed.astimezone(dt.UTC).date().isoformat()


def _plain(value: Any) -> Any:
    """An attribute this import does not know, as the typed path keeps it (numbers with a fraction as text)."""
    if isinstance(value, float):
        return str(Decimal(str(value)))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _field(value: str | None) -> str:
    if value is None:
        return NULL
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def _list(value: Any) -> tuple[str, ...]:
    return () if value is None or value == "" or value == "[]" else _json_list(value)


def _clip(value: str | None, limit: int) -> str:
    return (value or "").strip()[:limit]


def _number(value: Decimal | None) -> str:
    return NULL if value is None else str(value)


def copy_line(prefix: str, line_no: int, raw: bytes | str) -> str:
    """One of Microsoft's JSON lines as a COPY text row of `lines.COLUMNS` (`prefix`: the invoice, generation,
    instance, year and month columns, already rendered with their tab)."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ResponseValidationError("a reconciliation line is not JSON") from exc
    if not isinstance(data, dict):
        raise ResponseValidationError(f"expected a JSON object for a reconciliation line, got {type(data).__name__}")
    line = _Line(data)
    text = {a: _text(line, a) for a in ("customer_id", "customer_name", "subscription_id", "order_id",
                                           "product_id", "sku_id", "sku_name", "charge_type", "currency",
                                           "pricing_currency", "reference_id", "promotion_id")}
    billable, quantity = _decimal(line, "billable_quantity"), _decimal(line, "quantity")
    subtotal = _decimal(line, "subtotal")
    start, end = _Stamp(line.raw("charge_start_date")), _Stamp(line.raw("charge_end_date"))
    ordered = _Stamp(line.raw("order_date"))
    sign = "-" if subtotal is not None and subtotal < 0 else "+"
    fingerprint = hashlib.sha256("|".join((
        (text["subscription_id"] or "").lower(), text["charge_type"] or "", str(start.day), str(end.day),
        ordered.iso or "", (text["reference_id"] or "").lower(), sign, str(billable or quantity or ""),
    )).encode()).hexdigest()

    rest: dict[str, Any] = {}
    for attribute in _REST_TEXT:
        if (value := _text(line, attribute)) is not None:
            rest[attribute] = value
    if (tax := _decimal(line, "tax_total")) is not None:
        rest["tax_total"] = str(tax)
    if adjustments := _list(line.raw("price_adjustment_description")):
        rest["price_adjustment_description"] = adjustments
    for attribute in _REST_DATES:
        if (iso := _Stamp(line.raw(attribute)).iso) is not None:
            rest[attribute] = iso
    if qualifiers := _list(line.raw("product_qualifiers")):
        rest["product_qualifiers"] = qualifiers
    if line.names is _LOWERED:
        rest.update((str(k), _plain(v)) for k, v in data.items() if str(k).lower() not in _KNOWN)

    return "\t".join((
        prefix + str(line_no), fingerprint, _field(_clip(text["customer_id"], 64).lower()),
        _field(_clip(text["customer_name"], 255)), _field(_clip(text["subscription_id"], 64).lower()),
        _field(_clip(text["order_id"], 64)), _field(_clip(text["product_id"], 40)), _field(_clip(text["sku_id"], 20)),
        _field(_clip(text["sku_name"], 255)), _field(_clip(text["charge_type"], 32)), start.day or NULL,
        end.day or NULL, ordered.iso or NULL, _number(billable if billable is not None else quantity),
        _number(_decimal(line, "unit_price")), _number(_decimal(line, "effective_unit_price")),
        _number(subtotal), _number(_decimal(line, "total_for_customer")), _field(_clip(text["currency"], 3).upper()),
        _field(_clip(text["pricing_currency"], 3).upper()), _number(_decimal(line, "pc_to_bc_exchange_rate")),
        _field(_clip(text["reference_id"], 100).lower()), _field(_clip(text["promotion_id"], 100)),
        _field(orjson.dumps(rest).decode()), "",
    )) + "\n"


def copy_prefix(invoice_pk: int, generation: int, instance_pk: int, year: int, month: int) -> str:
    return f"{invoice_pk}\t{generation}\t{instance_pk}\t{year}\t{month}\t"
