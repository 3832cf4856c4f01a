"""Tax on invoices: domestic VAT, EU reverse charge, export outside the EU, an invalid VAT id, a missing rule."""

import datetime as dt
from decimal import Decimal

import pytest

from billing.choices import DocumentStatus, RunStatus, TaxScope, VatStatus
from billing.models import Invoice
from billing.services.runs import invoice_run_create, invoice_run_execute
from billing.services.tax import REVERSE_CHARGE_MENTION, billing_profile_confirm_vat, billing_profile_set_vat_id
from bss.exceptions import PermissionDenied
from tests.billing.scenario import at, buy, direct_customer
from tests.factories.billing import TaxRuleFactory
from tests.factories.bss import ResellerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def invoice_for(customer, *, finalise=True):
    run = invoice_run_execute(run_id=invoice_run_create(year=2025, month=6, finalise=finalise).pk)
    return run, Invoice.objects.filter(customer=customer).first()


def customer_buying(provider, country, name):
    customer = direct_customer(provider, country=country, name=name)
    buy(customer, at(2025, 6, 2), 10, price="10.00")
    return customer


def test_a_domestic_customer_pays_the_domestic_vat(provider, issuer):
    customer = customer_buying(provider, "FR", "Paris SA")

    _, invoice = invoice_for(customer)

    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (Decimal("100.00"), Decimal("20.00"),
                                                                    Decimal("120.00"))
    assert invoice.legal_mentions == []


def test_an_eu_business_with_a_valid_vat_id_in_another_member_state_is_reverse_charged(provider, issuer):
    customer = customer_buying(provider, "DE", "Berlin GmbH")
    profile = billing_profile_set_vat_id(party=customer, vat_id="de 136 695 976", actor=None)
    assert (profile.vat_id, profile.vat_status) == ("DE136695976", VatStatus.FORMAT_VALID)

    _, invoice = invoice_for(customer)

    assert (invoice.tax_total, invoice.total) == (Decimal("0.00"), Decimal("100.00"))
    assert invoice.tax_summary == [{"rate": "0", "name": "Reverse charge", "base": "100.00", "tax": "0.00"}]
    assert invoice.legal_mentions == [REVERSE_CHARGE_MENTION]
    assert invoice.party_vat_id == "DE136695976"


def test_an_invalid_vat_id_is_not_reverse_charged_the_eu_consumer_rule_applies(provider, issuer):
    TaxRuleFactory(customer_country="DE", scope=TaxScope.EU_CONSUMER, name="VAT DE 19 %", rate=Decimal(19))
    customer = customer_buying(provider, "DE", "Hamburg GmbH")
    profile = billing_profile_set_vat_id(party=customer, vat_id="DE136695978", actor=None)  # wrong check digit
    assert profile.vat_status == VatStatus.INVALID

    _, invoice = invoice_for(customer)

    assert (invoice.tax_total, invoice.total) == (Decimal("19.00"), Decimal("119.00"))
    assert invoice.legal_mentions == []


def test_a_customer_outside_the_eu_gets_the_export_rule_as_configured(provider, issuer):
    TaxRuleFactory(customer_country="", scope=TaxScope.EXPORT, name="Export", rate=Decimal(0),
                   legal_mention="VAT not applicable, article 259-1 of the French tax code")
    customer = customer_buying(provider, "US", "Seattle Inc")

    _, invoice = invoice_for(customer)

    assert (invoice.tax_total, invoice.total) == (Decimal("0.00"), Decimal("100.00"))
    assert invoice.legal_mentions == ["VAT not applicable, article 259-1 of the French tax code"]


def test_a_missing_tax_rule_stops_finalisation_naming_the_customer(provider, issuer):
    customer = customer_buying(provider, "US", "Seattle Inc")
    billed = customer_buying(provider, "FR", "Lyon SAS")

    run, invoice = invoice_for(customer)

    assert run.status == RunStatus.FAILED and "Seattle Inc" in run.error
    assert any("Seattle Inc" in p["message"] and "No tax rule" in p["message"] for p in run.problems)
    assert invoice is None  # never finalised without its tax
    assert Invoice.objects.get(customer=billed).status == DocumentStatus.FINAL

    preview, draft = invoice_for(customer, finalise=False)
    assert preview.status == RunStatus.PREVIEWED and draft.status == DocumentStatus.DRAFT and draft.tax_total == 0
    assert [p["customer"] for p in preview.problems] == ["Seattle Inc"]

    TaxRuleFactory(customer_country="", scope=TaxScope.EXPORT, name="Export", rate=Decimal(0))
    resumed = invoice_run_execute(run_id=run.pk)
    assert resumed.status == RunStatus.FINALISED
    assert Invoice.objects.get(customer=customer).status == DocumentStatus.FINAL


def test_staff_confirm_a_format_valid_vat_id(provider, issuer):
    customer = direct_customer(provider, country="BE", name="Brussels NV")
    profile = billing_profile_set_vat_id(party=customer, vat_id="0403019261", actor=None)
    assert (profile.vat_id, profile.vat_status) == ("BE0403019261", VatStatus.FORMAT_VALID)

    with pytest.raises(PermissionDenied):
        billing_profile_confirm_vat(profile=profile, actor=ResellerUserFactory(reseller=provider))
    confirmed = billing_profile_confirm_vat(profile=profile, actor=StaffUserFactory())

    assert confirmed.vat_status == VatStatus.CONFIRMED


def test_tax_rules_of_the_same_countries_never_overlap_in_time(issuer):
    from django.core.exceptions import ValidationError

    from billing.models import TaxRule

    rule = TaxRule(issuer_country="FR", customer_country="FR", scope=TaxScope.DOMESTIC, name="VAT 21 %",
                   rate=Decimal(21), effective_from=dt.date(2026, 1, 1))
    with pytest.raises(ValidationError, match="VAT 20 %"):
        rule.full_clean()

    TaxRule.objects.filter(scope=TaxScope.DOMESTIC).update(effective_to=dt.date(2026, 1, 1))
    rule.full_clean()
