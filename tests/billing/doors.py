"""Invoices made the real way (ledger -> finalising run) for the page, API and browser tests of billing's doors:
a French provider invoicing a direct customer (with a VAT id), and a tenant reseller invoicing its own customer."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Permission

from billing.models import Invoice, InvoiceRun, Issuer
from billing.services.runs import invoice_run_execute
from billing.services.tax import billing_profile_set_vat_id
from bss.choices import ResellerKind
from bss.models import Customer, Reseller, User
from tests.billing.scenario import at, buy, direct_customer
from tests.factories.billing import IssuerFactory, TaxRuleFactory
from tests.factories.bss import (
    CustomerFactory,
    MarketplaceFactory,
    ProviderFactory,
    ResellerFactory,
    StaffUserFactory,
)

CUSTOMER_VAT_ID = "FR83404833048"


def grant(user: User, *codenames: str) -> User:
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="billing", codename__in=codenames))
    return User.objects.get(pk=user.pk)  # a fresh instance: permissions are cached per instance


def staff(*codenames: str) -> User:
    return grant(StaffUserFactory(), *codenames)


@dataclass
class Estate:
    provider: Reseller
    issuer: Issuer
    customer: Customer
    other_customer: Customer
    tenant: Reseller
    tenant_customer: Customer
    invoice: Invoice
    other_invoice: Invoice
    wholesale_invoice: Invoice
    tenant_issued_invoice: Invoice


def finalise(year: int, month: int) -> InvoiceRun:
    run = InvoiceRun.objects.create(year=year, month=month, finalise=True)
    return invoice_run_execute(run_id=run.pk)


def estate() -> Estate:
    """June 2025, finalised: Northwind (direct, 10 seats at 10.08 EUR) and Fabrikam (direct), and Tailspin, a tenant
    reseller's customer (billed by the tenant; the tenant billed wholesale by the provider)."""
    TaxRuleFactory()
    provider = ProviderFactory(name="Contoso CSP", country="FR")
    issuer = IssuerFactory(reseller=provider, name="Contoso CSP SAS")
    customer = direct_customer(provider, name="Northwind Traders")
    customer.contact_email = "billing@northwind.example"
    customer.save(update_fields=["contact_email"])
    billing_profile_set_vat_id(party=customer, vat_id=CUSTOMER_VAT_ID, actor=None)
    other = direct_customer(provider, name="Fabrikam")
    tenant = ResellerFactory(parent=provider, kind=ResellerKind.TENANT, country="FR", name="Tailwind Cloud")
    IssuerFactory(reseller=tenant, name="Tailwind Cloud SARL", number_prefix="TW", vat_id="")
    tenant_market = MarketplaceFactory(owner=tenant, currency="EUR", market="FR")
    tenant_customer = CustomerFactory(reseller=tenant, marketplace=tenant_market, country="FR",
                                      company_name="Tailspin Toys")
    buy(customer, at(2025, 6, 18), 10, price="10.08", cost="8.06")
    buy(other, at(2025, 6, 20), 2, price="20.00", cost="15.00")
    buy(tenant_customer, at(2025, 6, 21), 3, price="12.00", cost="9.00")
    run = finalise(2025, 6)
    assert run.status == "finalised", (run.error, run.problems)
    invoices = Invoice.objects.all()
    return Estate(
        provider=provider, issuer=issuer, customer=customer, other_customer=other, tenant=tenant,
        tenant_customer=tenant_customer,
        invoice=invoices.get(customer=customer),
        other_invoice=invoices.get(customer=other),
        wholesale_invoice=invoices.get(reseller=tenant),
        tenant_issued_invoice=invoices.get(customer=tenant_customer),
    )
