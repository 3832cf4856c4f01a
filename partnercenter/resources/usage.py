"""Azure plan daily-rated usage exports v2 on Microsoft Graph (billing facts sheet §2.2, §4): the same flow as the
invoice reconciliation exports (POST → 202 + ``Location`` → operation → manifest → gzip JSON Lines blobs), with
usage rows instead of invoice lines. The flow itself is :class:`ReconciliationResource`'s; this resource only
names the usage endpoints and types the rows (:class:`UsageLineItem`), streamed one at a time."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import fields
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .._parse.base import parse_datetime, to_decimal
from ..billing_types import ExportBlob, ExportManifest
from ..errors import ResponseValidationError
from ..usage_types import UsageLineItem
from .reconciliation import AttributeSet, BillingPeriod, ReconciliationResource

_BILLING = "/reports/partners/billing/usage"
_MONEY = frozenset({"quantity", "unit_price", "effective_unit_price", "billing_pre_tax_total",
                    "pricing_pre_tax_total", "pc_to_bc_exchange_rate", "partner_earned_credit_percentage",
                    "credit_percentage"})
_DATES = frozenset({"usage_date", "charge_start_date", "charge_end_date", "pc_to_bc_exchange_rate_date"})
_NAMES = tuple(f.name for f in fields(UsageLineItem) if f.name != "extra")
#: Microsoft spells a few attributes differently from their snake case (file columns, API names).
_ALIASES = {"resource_uri": ("resourceuri", "resourceURI"), "pc_to_bc_exchange_rate": ("pctobcexchangerate",),
            "pc_to_bc_exchange_rate_date": ("pctobcexchangeratedate",), "tier2_mpn_id": ("tier2mpnid",),
            "meter_sub_category": ("metersubcategory",)}


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    """An attribute name in any casing (``MeterCategory``, ``meterCategory``, ``meter_category``) as one key."""
    return re.sub(r"[_\s]", "", name).lower()


_TEXT, _NUMBER, _DATE = 0, 1, 2
_LOOKUP = tuple((name, (_key(name), *(_key(a) for a in _ALIASES.get(name, ()))),
                 _NUMBER if name in _MONEY else _DATE if name in _DATES else _TEXT) for name in _NAMES)
_KNOWN = frozenset(k for _, keys, _kind in _LOOKUP for k in keys)


def usage_line_item(data: Any) -> UsageLineItem:
    """One JSON Lines row of a usage blob (PascalCase file columns or camelCase API names)."""
    if not isinstance(data, Mapping):
        raise ResponseValidationError(f"expected a JSON object for a usage line, got {type(data).__name__}")
    lowered: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for k, v in data.items():
        key = _key(str(k))
        lowered[key] = v
        if key not in _KNOWN:
            extra[str(k)] = v
    values: dict[str, Any] = {}
    for name, keys, kind in _LOOKUP:
        raw = None
        for k in keys:
            found = lowered.get(k)
            if found is not None and found != "":
                raw = found
                break
        if raw is None:
            values[name] = None
        elif kind == _TEXT:
            values[name] = raw if isinstance(raw, str) else str(raw)
        elif kind == _NUMBER:
            values[name] = raw if isinstance(raw, Decimal) else to_decimal(raw)
        else:
            values[name] = parse_datetime(raw)
    return UsageLineItem(**values, extra=extra)


class UsageResource:
    """``client.usage``: billed (by invoice) and unbilled (``current`` or ``last`` period, in a currency) Azure
    daily-rated usage."""

    def __init__(self, recon: ReconciliationResource) -> None:
        self._recon = recon

    def export_billed(self, invoice_id: str, *, attribute_set: AttributeSet = "full") -> str:
        """Start the export of a billed invoice's usage rows; returns the operation URL."""
        return self._recon._export(f"{_BILLING}/billed/export",
                                   {"invoiceId": invoice_id, "attributeSet": attribute_set}, "export billed usage")

    def export_unbilled(self, *, currency_code: str, billing_period: BillingPeriod = "current",
                        attribute_set: AttributeSet = "full") -> str:
        return self._recon._export(f"{_BILLING}/unbilled/export",
                                   {"currencyCode": currency_code, "billingPeriod": billing_period,
                                    "attributeSet": attribute_set}, "export unbilled usage")

    def wait(self, operation_url: str, *, max_polls: int = 30) -> ExportManifest:
        return self._recon.wait(operation_url, max_polls=max_polls)

    def iter_blob(self, manifest: ExportManifest, blob: ExportBlob) -> Iterator[UsageLineItem]:
        for line in self._recon.iter_blob_lines(manifest, blob):
            try:
                data = json.loads(line, parse_float=Decimal)
            except ValueError as exc:
                raise ResponseValidationError(f"blob {blob.name}: a line is not JSON") from exc
            yield usage_line_item(data)

    def iter_line_items(self, manifest: ExportManifest) -> Iterator[UsageLineItem]:
        for blob in manifest.blobs:
            yield from self.iter_blob(manifest, blob)

    def billed_line_items(self, invoice_id: str, *, attribute_set: AttributeSet = "full",
                          max_polls: int = 30) -> Iterator[UsageLineItem]:
        manifest = self.wait(self.export_billed(invoice_id, attribute_set=attribute_set), max_polls=max_polls)
        return self.iter_line_items(manifest)

    def unbilled_line_items(self, *, currency_code: str, billing_period: BillingPeriod = "current",
                            attribute_set: AttributeSet = "full", max_polls: int = 30) -> Iterator[UsageLineItem]:
        manifest = self.wait(self.export_unbilled(currency_code=currency_code, billing_period=billing_period,
                                                  attribute_set=attribute_set), max_polls=max_polls)
        return self.iter_line_items(manifest)
