"""The usage CSV (one row per day, Azure subscription and meter category), the same for the workspace and the back
office. A text cell starting with =, +, - or @ gets a leading apostrophe (spreadsheet formula injection)."""

from __future__ import annotations

import csv
import io
from typing import Any

HEADER = ("date", "azure_subscription_id", "azure_subscription", "meter_category", "quantity", "amount", "currency")
_FORMULA = ("=", "+", "-", "@")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def usage_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([_cell(v) for v in (
            row["usage_date"].isoformat(), row["entitlement_id"], row["entitlement_name"], row["meter_category"],
            row["quantity"], row["total"], row["currency"])])
    return "\ufeff" + out.getvalue()
