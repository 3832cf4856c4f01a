"""Setting a customer's Azure budget (or one Azure subscription's): staff and the customer's reseller may; a
customer user may not. The input is checked here, so a page and the API get the same refusal."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction

from bss import selectors as bss_selectors
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.models import User
from bss.services.audit import audit_record
from reconciliation.usage.models import UsageBudget

DEFAULT_THRESHOLDS = (50, 80, 100)


def _thresholds(values: list[int] | tuple[int, ...] | str) -> list[int]:
    if isinstance(values, str):
        values = [int(v) for v in values.replace(" ", "").split(",") if v] if values.strip() else []
    found = sorted({int(v) for v in values})
    if not found or any(v <= 0 or v > 1000 for v in found):
        raise ApplicationError("Thresholds are percentages between 1 and 1000, e.g. 50, 80, 100.",
                               code="bad_thresholds")
    return found


@transaction.atomic
def budget_set(*, user: User, customer_id: int, amount: Decimal | str, entitlement_id: str = "",
               thresholds: list[int] | tuple[int, ...] | str = DEFAULT_THRESHOLDS, forecast_alert: bool = True,
               spike_factor: Decimal | str | None = Decimal(3), spike_window_days: int = 7) -> UsageBudget:
    """Create or change the monthly budget of a customer (blank `entitlement_id`) or of one Azure subscription."""
    customer = bss_selectors.customer_get_for_user(user=user, customer_id=customer_id)
    if user.role == UserRole.CUSTOMER:
        raise ApplicationError("Budgets are set by your reseller.", code="forbidden")
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
        spike = Decimal(str(spike_factor)) if spike_factor not in (None, "") else None
    except InvalidOperation:
        raise ApplicationError("The budget must be an amount, e.g. 1500.00.", code="bad_amount") from None
    if value <= 0:
        raise ApplicationError("The budget must be more than zero.", code="bad_amount")
    if spike is not None and spike <= 1:
        raise ApplicationError("A spike is a day above more than 1 times the average; leave it blank for none.",
                               code="bad_spike")
    if not 1 <= spike_window_days <= 31:
        raise ApplicationError("The spike window is 1 to 31 days.", code="bad_spike")
    budget, created = UsageBudget.objects.update_or_create(
        customer=customer, entitlement_id=entitlement_id.strip().lower(),
        defaults={"amount": value, "currency": customer.marketplace.currency, "thresholds": _thresholds(thresholds),
                  "forecast_alert": forecast_alert, "spike_factor": spike, "spike_window_days": spike_window_days,
                  "created_by": user if user.pk else None})
    audit_record(actor=user, action="usage.budget_set" if not created else "usage.budget_create", obj=budget,
                 after={"amount": str(value), "entitlement_id": budget.entitlement_id,
                        "thresholds": budget.thresholds})
    return budget


@transaction.atomic
def budget_delete(*, user: User, budget_id: int) -> None:
    budget = UsageBudget.objects.select_related("customer").filter(pk=budget_id).first()
    if budget is None:
        raise ApplicationError("Budget not found.", code="not_found")
    bss_selectors.customer_get_for_user(user=user, customer_id=budget.customer_id)
    if user.role == UserRole.CUSTOMER:
        raise ApplicationError("Budgets are set by your reseller.", code="forbidden")
    audit_record(actor=user, action="usage.budget_delete", obj=budget, before={"amount": str(budget.amount)})
    budget.delete()
