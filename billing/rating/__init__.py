"""Rating: Microsoft new-commerce charges, computed from a subscription's event history.

One implementation of Microsoft's charge types, charge cycles, proration and rounding (facts sheet
`partner-center-billing.md` §3), framework-free and fully typed, so that our invoice runs, the simulator's
reconciliation lines and the money reconciliation agree to the cent by construction.

Modules, by concern:
- `types`: Microsoft's vocabulary (`ChargeType`, `Term`, `BillingCycle`), the ledger input `SubscriptionEvent`,
  the output `Charge`, `ChargeCycle`, `BillingPeriod`, `ExchangeRate`;
- `cycles`: charge cycles and day counts (end-of-month and leap-year rules);
- `rounding`: Microsoft's subtotal formula and the variant its seat-change examples follow (`RoundingMode`);
- `pricing`: proration share and pricing of one row (sale and cost side);
- `charges`: the rows of each kind of event (seat change pair, cancellation refund, upgrade, plan change);
- `ledger`: a whole history rated into rows (`rate_subscription`), or one billing period (`rate_billing_period`).
"""

from billing.rating.charges import (
    REFUND_WINDOW,
    billing_plan_change_charge,
    cancellation_refund,
    conversion_charge,
    cycle_charge,
    is_refundable,
    refund_window_closes,
    seat_change_charges,
    upgrade_charges,
)
from billing.rating.cycles import add_months, billing_days, charge_cycles, cycle_containing, term_end_for
from billing.rating.errors import LedgerInconsistent, RatingError, RefundWindowClosed
from billing.rating.ledger import rate_billing_period, rate_subscription
from billing.rating.pricing import DEFAULT_OPTIONS, Proration, RatingOptions, TermPricing, day_proration
from billing.rating.rounding import DEFAULT_ROUNDING, RoundingMode, subtotal, truncate, usage_subtotal
from billing.rating.types import (
    BillingCycle,
    BillingPeriod,
    Charge,
    ChargeCycle,
    ChargeType,
    EventKind,
    ExchangeRate,
    SubscriptionEvent,
    Term,
)

__all__ = [
    "DEFAULT_OPTIONS",
    "DEFAULT_ROUNDING",
    "REFUND_WINDOW",
    "BillingCycle",
    "BillingPeriod",
    "Charge",
    "ChargeCycle",
    "ChargeType",
    "EventKind",
    "ExchangeRate",
    "LedgerInconsistent",
    "Proration",
    "RatingError",
    "RatingOptions",
    "RefundWindowClosed",
    "RoundingMode",
    "SubscriptionEvent",
    "Term",
    "TermPricing",
    "add_months",
    "billing_days",
    "billing_plan_change_charge",
    "cancellation_refund",
    "charge_cycles",
    "conversion_charge",
    "cycle_charge",
    "cycle_containing",
    "day_proration",
    "is_refundable",
    "rate_billing_period",
    "rate_subscription",
    "refund_window_closes",
    "seat_change_charges",
    "subtotal",
    "term_end_for",
    "truncate",
    "upgrade_charges",
    "usage_subtotal",
]
