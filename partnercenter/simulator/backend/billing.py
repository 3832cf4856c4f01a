"""Microsoft's bill: closing billing periods as simulated time passes them (renewals first, then cycle charges
and one invoice per currency), invoice reads, the rows of a billed invoice or of an open period, and drift
planted on Microsoft's side (a charge the BSS never saw, another price, a promotion)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..errors import PCError
from ..ledger import Invoice, InvoiceNumbers, LedgerRow, add_months, month_start
from ..state import PartnerAccount, SimState
from .charges import billed_subscription
from .core import BackendCore, Caller
from .subscriptions import Subscriptions


class Billing:
    def __init__(self, core: BackendCore, subscriptions: Subscriptions) -> None:
        self.core = core
        self.subscriptions = subscriptions
        self.numbers = InvoiceNumbers()

    @property
    def state(self) -> SimState:
        return self.core.state

    def close(self) -> list[Invoice]:
        """Bring every partner's bill up to simulated now: apply renewals, then invoice the ended periods."""
        now = self.core.now
        issued: list[Invoice] = []
        for partner in self.state.partners.values():
            self.subscriptions.orders.settle(partner)
            for sub in list(partner.subscriptions.values()):
                self.subscriptions.refresh(sub)
            issued += self.state.ledger.close_through(
                partner.tenant_id, now, delay_days=self.state.config.billing_invoice_delay_days,
                invoice_number=self.numbers)
        return issued

    # -- invoices ------------------------------------------------------------------------------------------
    def invoices(self, partner: PartnerAccount) -> list[Invoice]:
        self.close()
        found = [i for i in self.state.ledger.invoices.values() if i.partner_tenant_id == partner.tenant_id]
        return sorted(found, key=lambda i: (i.invoice_date, i.id), reverse=True)

    def invoice(self, caller: Caller, invoice_id: str) -> Invoice:
        caller.require_user()
        self.close()
        invoice = self.state.ledger.invoices.get(invoice_id.upper())
        if invoice is None or invoice.partner_tenant_id != caller.partner.tenant_id:
            raise PCError(404, 1000, description=f"Invoice {invoice_id} not found")
        return invoice

    def find_invoice(self, partner: PartnerAccount, invoice_id: str) -> Invoice | None:
        self.close()
        invoice = self.state.ledger.invoices.get(invoice_id.strip().upper())
        return invoice if invoice is not None and invoice.partner_tenant_id == partner.tenant_id else None

    # -- rows -----------------------------------------------------------------------------------------------
    def billed_rows(self, invoice: Invoice) -> list[LedgerRow]:
        return self.state.ledger.billed(invoice.id)

    def unbilled_rows(self, partner: PartnerAccount, period: str, currency: str) -> list[LedgerRow]:
        self.close()
        now = self.core.now
        day = month_start(now.date()) if period == "current" else add_months(month_start(now.date()), -1)
        return self.state.ledger.unbilled(partner.tenant_id, day, now, currency)

    def rows_of(self, partner: PartnerAccount) -> list[LedgerRow]:
        return [r for r in self.state.ledger.lines if r.partner_tenant_id == partner.tenant_id]

    # -- drift on Microsoft's side ----------------------------------------------------------------------------
    def drift(self, partner: PartnerAccount, kind: str, *, subscription_id: str | None = None,
              unit_price: Decimal | None = None, promotion_id: str | None = None,
              discount_percent: Decimal | None = None, customer_id: str | None = None,
              quantity: int = 1) -> list[LedgerRow]:
        ledger = self.state.ledger
        now = self.core.now
        if kind in ("price", "promotion"):
            if not subscription_id or subscription_id.lower() not in ledger.subscriptions:
                raise KeyError(f"no billed subscription {subscription_id!r}")
            sid = subscription_id.lower()
            if kind == "price":
                if unit_price is None:
                    raise ValueError("a price drift needs unitPrice")
                return ledger.reprice(sid, unit_price, note="price drift")
            percent = discount_percent if discount_percent is not None else Decimal(10)
            return ledger.promote(sid, promotion_id or "39NFJQT1PGVJ:0045:39NFJQT1Q684", percent / 100)
        if kind == "unknown_charge":
            template = ledger.subscriptions.get((subscription_id or "").lower())
            if template is None:
                template = next((s for s in ledger.subscriptions.values()
                                 if s.partner_tenant_id == partner.tenant_id
                                 and (customer_id is None or s.customer_id == customer_id.lower())), None)
            if template is None:
                raise KeyError("an unknown charge needs a billed subscription of the partner to copy")
            sub = partner.subscriptions.get(template.subscription_id)
            if sub is None:
                raise KeyError(template.subscription_id)
            planted = billed_subscription(partner, sub, template.unit_price, template.currency)
            planted.subscription_id = self.state.ids.guid()
            planted.order_id = self.state.ids.hex12()
            planted.quantity = quantity
            planted.term_start = now.date()
            planted.term_end = add_months(now.date(), 12 if planted.term == "P1Y" else 1) - dt.timedelta(days=1)
            return ledger.unknown_charge(planted, now)
        raise ValueError(f"unknown drift kind {kind!r}; choose unknown_charge, price or promotion")
