"""Seeded partner accounts and the default demo data (section 10 of the API fact sheet)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from .backend import Backend, Caller
from .body import CIDict
from .state import (
    Agreement,
    AzureEntitlement,
    IndirectReseller,
    Order,
    OrderLine,
    PartnerAccount,
    SimState,
)

DIRECT_TENANT = "5c1f0e9a-3b7d-4e2a-9f60-1a2b3c4d5e01"
INDIRECT_TENANT = "5c1f0e9a-3b7d-4e2a-9f60-1a2b3c4d5e02"
CHINA_TENANT = "5c1f0e9a-3b7d-4e2a-9f60-1a2b3c4d5e03"
SANDBOX_TENANT = "5c1f0e9a-3b7d-4e2a-9f60-1a2b3c4d5e04"
RESELLER_TAILSPIN = "7d2e1f0a-4c8b-4d3e-8a71-2b3c4d5e6f11"
RESELLER_WINGTIP = "7d2e1f0a-4c8b-4d3e-8a71-2b3c4d5e6f12"


@dataclass(frozen=True)
class PartnerSeed:
    tenant_id: str
    name: str
    mpn_id: str
    domain: str
    cloud: str = "global"
    kind: str = "direct"
    sandbox: bool = False


PARTNERS = (
    PartnerSeed(DIRECT_TENANT, "Contoso Cloud Direct", "4712001", "contosocloud.onmicrosoft.com"),
    PartnerSeed(INDIRECT_TENANT, "Fabrikam Distribution", "4712002", "fabrikamdistribution.onmicrosoft.com",
                kind="indirect_provider"),
    PartnerSeed(CHINA_TENANT, "Litware China", "4712003", "litwarechina.partner.onmschina.cn", cloud="china"),
    PartnerSeed(SANDBOX_TENANT, "Contoso Integration Sandbox", "4712004", "contososandbox.onmicrosoft.com",
                sandbox=True),
)

RESELLERS = (
    IndirectReseller(RESELLER_TAILSPIN, "Tailspin Toys IT", "5123456", "US", mpa_accepted=True),
    IndirectReseller(RESELLER_WINGTIP, "Wingtip Partners", "5234567", "GB", mpa_accepted=False),
)


def make_partner(seed: PartnerSeed) -> PartnerAccount:
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"pcsim-user:{seed.tenant_id}"))
    return PartnerAccount(
        tenant_id=seed.tenant_id, name=seed.name, mpn_id=seed.mpn_id, domain=seed.domain, cloud=seed.cloud,
        kind=seed.kind, sandbox=seed.sandbox, user_id=user_id, user_upn=f"admin@{seed.domain}",
    )


def seed_partners(state: SimState) -> None:
    for seed in PARTNERS:
        partner = state.add_partner(make_partner(seed))
        if seed.kind == "indirect_provider":
            for reseller in RESELLERS:
                partner.resellers[reseller.tenant_id] = IndirectReseller(**reseller.__dict__)


def _customer_body(name: str, domain: str, country: str = "US", state_code: str = "WA") -> CIDict:
    return CIDict({
        "companyProfile": {"domain": domain},
        "billingProfile": {
            "email": f"it@{domain.split('.')[0]}.example", "culture": "en-US", "language": "en",
            "companyName": name,
            "defaultAddress": {"firstName": "Ana", "lastName": "Ruiz", "addressLine1": "400 Pine St",
                               "city": "Seattle", "state": state_code, "postalCode": "98101", "country": country,
                               "phoneNumber": "2065550133"},
        },
    })


def _confirm_mca(partner: PartnerAccount, customer_id: str, when: dt.datetime) -> None:
    partner.customers[customer_id].agreements.append(Agreement(
        user_id=partner.user_id,
        primary_contact={"firstName": "Ana", "lastName": "Ruiz", "email": "ana.ruiz@example.com",
                         "phoneNumber": "2065550133"},
        template_id="117a77b0-9360-443b-8795-c6dedc750cf9", date_agreed=when.strftime("%Y-%m-%dT00:00:00Z"),
        type="MicrosoftCustomerAgreement",
    ))


def _purchase(backend: Backend, partner: PartnerAccount, customer_id: str, catalog_item_id: str, *,
              quantity: int, term: str | None, billing: str, days_ago: float, reseller_mpn: str | None = None,
              friendly_name: str | None = None) -> str:
    """Record a completed order and its subscription as if bought ``days_ago`` days before now."""
    state = backend.state
    customer = partner.customers[customer_id]
    product_id, sku_id = catalog_item_id.split(":")[:2]
    offer = backend.catalog.find_sku(product_id, sku_id, customer.country)
    assert offer is not None, catalog_item_id
    created = backend.now - dt.timedelta(days=days_ago)
    price, list_price = offer.unit_prices(term, billing)
    line = OrderLine(
        line_item_number=0, offer_id=offer.catalog_item_id, product_id=offer.product_id, sku_id=offer.sku_id,
        availability_id=offer.availability_id, subscription_id=state.ids.guid(), term_duration=term,
        billing_cycle=billing, friendly_name=friendly_name or offer.sku_title, quantity=quantity,
        country=customer.country, partner_id_on_record=reseller_mpn,
        pricing={"listPrice": list_price, "discountedPrice": price, "proratedPrice": price, "price": price,
                 "extendedPrice": round(price * quantity, 2)},
    )
    order = Order(
        id=state.ids.hex12(), customer_id=customer_id, billing_cycle=billing, currency_code=offer.currency,
        currency_symbol=offer.currency_symbol, lines=[line], created=created, completes_at=created,
        total_price=line.pricing["extendedPrice"], status="completed",
    )
    partner.orders[order.id] = order
    partner.customer_orders.setdefault(customer_id, []).append(order.id)
    sub = backend.orders.new_subscription(order, line, offer, created)
    partner.subscriptions[sub.id] = sub
    partner.customer_subscriptions.setdefault(customer_id, []).append(sub.id)
    backend.orders.charges.purchased(partner, order, line, sub)
    backend.subscriptions.refresh(sub)
    return sub.id


def seed_default_data(backend: Backend) -> dict[str, str]:
    """Three direct customers, one indirect customer, and subscriptions in interesting states.

    Returns the ids of the seeded objects by name (for tests and demos).
    """
    state = backend.state
    ids: dict[str, str] = {}
    direct = state.partners[DIRECT_TENANT]
    caller = Caller(direct, app_only=False, user_id=direct.user_id)
    now = backend.now

    northwind, _ = backend.customers.create(
        caller, _customer_body("Northwind Traders", "northwindtraders.onmicrosoft.com"), None)
    _confirm_mca(direct, northwind.id, now - dt.timedelta(days=60))
    ids["customer_mca"] = northwind.id
    ids["sub_business_basic_new"] = _purchase(
        backend, direct, northwind.id, "CFQ7TTC0LH18:0001:CFQ7TTC0K971", quantity=12, term="P1Y", billing="annual",
        days_ago=0, friendly_name="Business Basic - HQ")
    ids["sub_m365_e3_old"] = _purchase(
        backend, direct, northwind.id, "CFQ7TTC0LFLX:0001:CFQ7TTC0LB30", quantity=5, term="P1M", billing="monthly",
        days_ago=40)
    exchange = _purchase(
        backend, direct, northwind.id, "CFQ7TTC0LH16:0001:CFQ7TTC0K5B0", quantity=3, term="P1Y", billing="monthly",
        days_ago=360)
    sub = direct.subscriptions[exchange]
    sub.status, sub.suspension_reasons, sub.status_changed = "suspended", ["PartnerInitiated"], now
    ids["sub_exchange_suspended"] = exchange
    azure = _purchase(backend, direct, northwind.id, "DZH318Z0BPS6:0001:DZH318Z0BML6", quantity=1, term=None,
                      billing="monthly", days_ago=90)
    direct.subscriptions[azure].entitlements = [
        AzureEntitlement(id=state.ids.guid(), friendly_name="Production"),
        AzureEntitlement(id=state.ids.guid(), friendly_name="Development"),
    ]
    ids["sub_azure_plan"] = azure

    no_mca, _ = backend.customers.create(
        caller, _customer_body("Adatum Corporation", "adatumcorp.onmicrosoft.com"), None)
    ids["customer_no_mca"] = no_mca.id

    school, _ = backend.customers.create(
        caller, _customer_body("Contoso High School", "contosohighschool.onmicrosoft.com"), None)
    school.qualification = "Education"
    _confirm_mca(direct, school.id, now - dt.timedelta(days=10))
    ids["customer_education"] = school.id

    indirect = state.partners[INDIRECT_TENANT]
    icaller = Caller(indirect, app_only=False, user_id=indirect.user_id)
    body = _customer_body("Relecloud", "relecloudltd.onmicrosoft.com")
    body["associatedPartnerId"] = RESELLER_TAILSPIN
    relecloud, _ = backend.customers.create(icaller, body, None)
    _confirm_mca(indirect, relecloud.id, now - dt.timedelta(days=30))
    ids["indirect_customer"] = relecloud.id
    ids["indirect_sub"] = _purchase(
        backend, indirect, relecloud.id, "CFQ7TTC0LCHC:0002:CFQ7TTC0K4M6", quantity=20, term="P1Y", billing="monthly",
        days_ago=20, reseller_mpn="5123456")

    # An existing Microsoft 365 tenant that is nobody's customer yet (for the relationship-request flow).
    tenant = backend.relationships.tenant_create(CIDict({
        "domain": "litwareinc.onmicrosoft.com", "companyName": "Litware Inc",
        "address": {"country": "US", "city": "Redmond", "state": "WA", "postalCode": "98052",
                    "addressLine1": "1 Main St"},
    }))
    ids["existing_tenant"] = tenant.id
    # Seeding is not partner activity: keep the audit log empty.
    for partner in state.partners.values():
        partner.audit.clear()
    return ids
