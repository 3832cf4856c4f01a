"""Authorization matrix: provider staff / reseller A / reseller B / customer of A / customer of B / anonymous over
every storefront page (/store/..., /m/<slug>/..., /store/workspace/..., /store/api-keys/...), every back-office page
(/backoffice/...) and the API (/api/v1/...), with real objects of A (and B).

A foreign object is "not found" (404); anonymous users are sent to the login page (the API answers 401/403); a
denied GET or POST changes nothing; pages open to everyone show B's users nothing of A's. Every route under these
prefixes must be listed here (the coverage test fails when a new page is added without being classified).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.urls import get_resolver, resolve
from django.urls.resolvers import URLResolver
from django.utils import timezone

from api.keys import api_key_create
from api.models import ApiKey
from bss.choices import AcceptanceRole
from bss.models import (
    AuditEvent,
    Customer,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    OrderLine,
    Reseller,
    Subscription,
    User,
)
from catalog.models import MarkupRule, Offer
from catalog.resellerprices.models import ResellerPriceRule
from provisioning.models import ProvisioningOperation
from storefront.models import Cart, CartLine
from tests.factories.billing import CreditNoteFactory, InvoiceFactory, IssuerFactory

pytestmark = pytest.mark.django_db

ROLES = ("staff", "reseller_a", "reseller_b", "customer_a", "customer_b", "anonymous")
PREFIXES = ("store/", "m/", "backoffice/", "api/v1/")
MISSING = 999999  # ids of objects not created here (runs, findings, lockouts): staff may get 404 for them

# Categories: who may open a URL ("allowed": not 404, not sent to login), who must get 404 ("denied").
EVERYONE = {"staff", "reseller_a", "reseller_b", "customer_a", "customer_b"}
OWNERS_OF_A = {"staff", "reseller_a", "customer_a"}
B_SIDE = {"reseller_b", "customer_b"}


@dataclass(frozen=True)
class Case:
    url: str
    allowed: frozenset[str]
    denied: frozenset[str]
    anonymous: str = "login"  # "login" (web), "api" (401/403), "public" (200 or 404 for everyone)
    staff_may_404: bool = False


def case(url, allowed, denied, **kw) -> Case:
    return Case(url, frozenset(allowed), frozenset(denied), **kw)


@pytest.fixture
def world(side_a, side_b, staff, sim_instance):
    a, b = side_a, side_b
    a.market.logo.save("alpine.png", ContentFile(b"\x89PNG\r\n\x1a\nalpine"), save=True)
    cart = Cart.objects.create(user=a.admin, marketplace=a.market)
    line = CartLine.objects.create(cart=cart, offer=a.offer, term_duration="P1M", billing_cycle="monthly", quantity=2)
    key, _ = api_key_create(actor=a.admin, reseller=a.reseller, name="A's integration")
    api_key_create(actor=b.admin, reseller=b.reseller, name="B's integration")
    operation = ProvisioningOperation.objects.create(kind="checkout", instance=sim_instance, order=a.order,
                                                     tenant=a.tenant, payload={})
    mca = MCAAcceptance.objects.create(
        customer=a.customer, signatory_first_name="Ana", signatory_last_name="Alpine",
        signatory_email="ana@alpine.test", accepted_at=timezone.now(), role=AcceptanceRole.RESELLER,
        recorded_by=a.admin,
    )
    event = AuditEvent.objects.order_by("pk").first()
    # A issues a final invoice (and a credit note) to its customer.
    invoice = InvoiceFactory(issuer=IssuerFactory(reseller=a.reseller, name=a.reseller.name, number_prefix="AL"),
                             customer=a.customer, status="final", number="AL-2025-000001",
                             finalised_at=timezone.now())
    credit_note = CreditNoteFactory(invoice=invoice, status="final", number="CN-2025-000001")
    return {"a": a, "b": b, "staff": staff, "line": line, "key": key, "operation": operation, "mca": mca,
            "event": event, "instance": sim_instance, "invoice": invoice, "credit_note": credit_note}


def cases(w) -> list[Case]:
    a = w["a"]
    c, s, o = a.customer.pk, a.subscription.pk, a.order.pk
    store = [
        case("/store/", EVERYONE, ()),
        case(f"/store/customers/{c}/", OWNERS_OF_A, B_SIDE),
        case("/store/catalog/", EVERYONE, ()),
        case("/store/catalog/?m=alpine", OWNERS_OF_A, B_SIDE),
        case("/store/cart/", EVERYONE, ()),
        case("/store/cart/add/", (), ()),
        case(f"/store/cart/lines/{w['line'].pk}/quantity/", (), {"staff", "reseller_b", "customer_a", "customer_b"}),
        case(f"/store/cart/lines/{w['line'].pk}/remove/", (), {"staff", "reseller_b", "customer_a", "customer_b"}),
        case("/store/cart/clear/", (), ()),
        case("/store/checkout/", (), ()),
        case("/store/checkout/details/", (), ()),
        case("/store/checkout/domain-check/", (), ()),
        case("/store/checkout/agreement/", (), ()),
        case("/store/checkout/review/", (), ()),
        case("/store/checkout/place/", (), ()),
        case("/store/orders/", EVERYONE, ()),
        case(f"/store/orders/{o}/", OWNERS_OF_A, B_SIDE),
        case(f"/store/orders/{o}/status/", OWNERS_OF_A, B_SIDE),
        case(f"/store/orders/{o}/check-relationship/", (), B_SIDE),
        case("/store/workspace/", EVERYONE, ()),
        case("/store/workspace/renewals/", (), ()),
        case(f"/store/workspace/customers/{c}/", OWNERS_OF_A, B_SIDE),
        case(f"/store/workspace/subscriptions/{s}/", OWNERS_OF_A, B_SIDE),
        case(f"/store/workspace/subscriptions/{s}/suspend/", (), B_SIDE),
        case("/store/api-keys/", {"reseller_a", "reseller_b"}, {"customer_a", "customer_b"}),
        case(f"/store/api-keys/{w['key'].pk}/revoke/", (), {"staff", "reseller_b", "customer_a", "customer_b"}),
        case("/store/invoices/", EVERYONE, ()),
        case(f"/store/invoices/{w['invoice'].pk}/", OWNERS_OF_A, B_SIDE),
        case(f"/store/invoices/{w['invoice'].pk}/pdf/", OWNERS_OF_A, B_SIDE),
        case(f"/store/invoices/credit-notes/{w['credit_note'].pk}/pdf/", OWNERS_OF_A, B_SIDE),
        # Changes at renewal, upgrades, add-ons: the reseller's (a customer may be refused, never shown B's).
        case("/store/workspace/renewals/planner/", {"reseller_a", "reseller_b"}, ()),
        case("/store/workspace/renewals/planner/bulk/", (), ()),
        case(f"/store/workspace/subscriptions/{s}/renewal/", (), B_SIDE),
        case(f"/store/workspace/subscriptions/{s}/upgrade/", {"reseller_a"}, B_SIDE),
        case(f"/store/workspace/subscriptions/{s}/add-ons/", {"reseller_a"}, B_SIDE),
        # A tenant's Microsoft portal: the customer's own users always; the partner's people under GDAP.
        case(f"/store/workspace/tenants/{a.tenant.pk}/portal/admin/", {"customer_a"}, B_SIDE),
        # Azure usage and budgets.
        case(f"/store/workspace/usage/customers/{c}/", {"reseller_a", "customer_a"}, B_SIDE),
        case(f"/store/workspace/usage/customers/{c}/export.csv", {"reseller_a", "customer_a"}, B_SIDE),
        case(f"/store/workspace/usage/customers/{c}/budgets/", (), B_SIDE),
        case(f"/store/workspace/usage/customers/{c}/budgets/{MISSING}/delete/", (), B_SIDE),
    ]
    tier2 = [
        case("/m/alpine/", OWNERS_OF_A, B_SIDE, anonymous="public"),
        case("/m/alpine/logo", EVERYONE, (), anonymous="public"),
        case("/store/reseller/price-list/", {"reseller_a", "reseller_b"}, {"staff", "customer_a", "customer_b"}),
        case("/store/reseller/price-list/markup/", (), {"staff", "customer_a", "customer_b"}),
        case(f"/store/reseller/price-list/skus/{a.offer.sku_id}/", (), {"staff", "customer_a", "customer_b"}),
        case("/store/reseller/changes/", {"reseller_a", "reseller_b"}, {"staff", "customer_a", "customer_b"}),
        case(f"/backoffice/tier2/resellers/{a.reseller.pk}/wholesale/", {"staff"}, EVERYONE - {"staff"}),
    ]
    not_staff = EVERYONE - {"staff"}
    bo_ids = {"customer_id": c, "reseller_id": a.reseller.pk, "instance_id": w["instance"].pk,
              "marketplace_id": a.market.pk, "sku_id": a.offer.sku_id, "product_id": a.offer.sku.product_id,
              "operation_id": w["operation"].pk, "event_id": w["event"].pk, "user_id": a.admin.pk}
    backoffice = []
    for route in _routes():
        if not route.startswith("backoffice/") or route.startswith("backoffice/tier2/"):
            continue
        url, missing = "/" + route, False
        for name, value in bo_ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        if "<int:" in url:
            missing = True
            url = url.split("<int:")[0] + str(MISSING) + url.split(">", 1)[1]
        backoffice.append(case(url, {"staff"}, not_staff, staff_may_404=missing))
    api = [
        case("/api/v1/", EVERYONE, (), anonymous="api"),
        case("/api/v1/.json", EVERYONE, (), anonymous="api"),
        case("/api/v1/catalog/offers/", {"reseller_a", "reseller_b", "customer_a", "customer_b"}, (),
             anonymous="api"),
        case("/api/v1/orders/place/", (), (), anonymous="api"),
        case("/api/v1/mca-acceptances/record/", (), (), anonymous="api"),
        case(f"/api/v1/operations/{w['operation'].pk}/", {"staff", "reseller_a"}, B_SIDE, anonymous="api"),
    ]
    for action in ("change-quantity", "suspend", "reactivate", "auto-renew", "cancel"):
        api.append(case(f"/api/v1/subscriptions/{s}/{action}/", (), B_SIDE, anonymous="api"))
    api += [
        case(f"/api/v1/invoices/{w['invoice'].pk}/pdf", OWNERS_OF_A, B_SIDE, anonymous="api"),
        case(f"/api/v1/credit-notes/{w['credit_note'].pk}/pdf", OWNERS_OF_A, B_SIDE, anonymous="api"),
        case(f"/api/v1/customers/{c}/unbilled-charges/", OWNERS_OF_A, B_SIDE, anonymous="api"),
        case(f"/api/v1/customers/{c}/azure-usage/", {"reseller_a"}, B_SIDE, anonymous="api"),
        case(f"/api/v1/customers/{c}/azure-budgets/", {"reseller_a"}, B_SIDE, anonymous="api"),
        case(f"/api/v1/customers/{c}/azure-budgets/{MISSING}/", (), B_SIDE, anonymous="api"),
        case(f"/api/v1/subscriptions/{s}/next-term/", {"reseller_a"}, B_SIDE, anonymous="api"),
        case(f"/api/v1/subscriptions/{s}/upgrade/", {"reseller_a"}, B_SIDE, anonymous="api"),
    ]
    # Microsoft's bill: staff with the money permission only (others are refused; nothing of it is anyone's).
    for url in ("/api/v1/money/invoices/", "/api/v1/money/invoices.json", f"/api/v1/money/invoices/{MISSING}/",
                f"/api/v1/money/invoices/{MISSING}.json", f"/api/v1/money/invoices/{MISSING}/lines/",
                f"/api/v1/money/invoices/{MISSING}/lines.json"):
        api.append(case(url, (), (), anonymous="api"))
    for resource, pk in (("customers", c), ("subscriptions", s), ("orders", o), ("mca-acceptances", w["mca"].pk),
                         ("invoices", w["invoice"].pk), ("credit-notes", w["credit_note"].pk)):
        api += [
            case(f"/api/v1/{resource}/", EVERYONE, (), anonymous="api"),
            case(f"/api/v1/{resource}.json", EVERYONE, (), anonymous="api"),
            case(f"/api/v1/{resource}/{pk}/", OWNERS_OF_A, B_SIDE, anonymous="api"),
            case(f"/api/v1/{resource}/{pk}.json", OWNERS_OF_A, B_SIDE, anonymous="api"),
        ]
    return [*store, *tier2, *backoffice, *api]


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _routes() -> list[str]:
    # Django drops a regex pattern's "^" when it joins routes (as in ResolverMatch.route).
    return [r.replace("/^", "/") for r in _walk(get_resolver().url_patterns) if r.startswith(PREFIXES)]


def markers_of_a(w) -> list[str]:
    a = w["a"]
    return [a.customer.company_name, a.tenant.default_domain, a.subscription.name, str(a.order.number),
            a.market.name, a.reseller.name]


SNAPSHOT_MODELS = (Customer, MicrosoftTenant, Subscription, Order, OrderLine, Marketplace, Reseller, Offer, MarkupRule,
                   ResellerPriceRule, Cart, CartLine, ApiKey, ProvisioningOperation, MCAAcceptance)


def snapshot() -> dict:
    data: dict[str, object] = {m.__name__: list(m.objects.order_by("pk").values()) for m in SNAPSHOT_MODELS}
    data["User"] = list(User.objects.order_by("pk").values("pk", "username", "role", "reseller", "customer",
                                                           "is_active", "password"))
    data["AuditEvent"] = AuditEvent.objects.count()
    return data


def login(client, w, role: str) -> None:
    users = {"staff": w["staff"], "reseller_a": w["a"].admin, "reseller_b": w["b"].admin,
             "customer_a": w["a"].customer_user, "customer_b": w["b"].customer_user}
    if role != "anonymous":
        client.force_login(users[role])


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def check(client, w, role: str, item: Case, method: str) -> str | None:
    """The problem with one request, or None."""
    denied = role in item.denied
    before = snapshot() if (denied or role == "anonymous" or method == "get") else None
    response = getattr(client, method)(item.url)
    status = response.status_code
    where = f"{role} {method.upper()} {item.url} -> {status}"
    if status >= 500:
        return where
    if before is not None and (denied or role == "anonymous") and snapshot() != before:
        return f"{where}: something changed"
    if status == 405:
        # Wrong method: answered before any lookup, the same for every user and object (reveals nothing).
        return None
    if role == "anonymous":
        if item.anonymous == "login" and not is_login_redirect(response):
            return f"{where}: not sent to login"
        if item.anonymous == "api" and status not in (401, 403):
            return f"{where}: API without credentials must be 401/403"
        if item.anonymous == "public" and status not in (200, 405):
            return f"{where}: public page"
        return None
    if is_login_redirect(response):
        return f"{where}: signed-in user sent to login"
    if denied and status != 404:
        return f"{where}: expected 404"
    if method == "get" and role in item.allowed and status == 404 and not (role == "staff" and item.staff_may_404):
        return f"{where}: expected access"
    if method == "get" and role in B_SIDE and status == 200 and not response.get("Content-Type", "").startswith(
        ("image/", "application/octet")
    ):
        body = response.content.decode(errors="replace")
        leaked = [m for m in markers_of_a(w) if m in body]
        if leaked:
            return f"{where}: shows A's {leaked}"
    return None


SECTIONS = ("store", "tier2", "backoffice", "api")


def _section(url: str) -> str:
    if url.startswith("/api/"):
        return "api"
    if url.startswith(("/m/", "/store/reseller/", "/backoffice/tier2/")):
        return "tier2"
    return "backoffice" if url.startswith("/backoffice/") else "store"


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(client, world, role, section):
    login(client, world, role)
    problems = []
    for item in cases(world):
        if _section(item.url) != section:
            continue
        for method in ("get", "post"):
            if method == "post" and role not in item.denied and role != "anonymous":
                continue  # an allowed POST acts for real; its own tests cover it
            problem = check(client, world, role, item, method)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


def test_every_storefront_backoffice_and_api_route_is_in_the_matrix(world):
    listed = {resolve(item.url.split("?")[0]).route for item in cases(world)}
    assert sorted(set(_routes()) - listed) == []


def test_api_keys_of_reseller_b_do_not_reach_objects_of_a(client, world):
    a, b = world["a"], world["b"]
    _, secret_b = api_key_create(actor=b.admin, reseller=b.reseller, name="probe")
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {secret_b}"}
    before = snapshot()
    for url in (f"/api/v1/customers/{a.customer.pk}/", f"/api/v1/subscriptions/{a.subscription.pk}/",
                f"/api/v1/orders/{a.order.pk}/", f"/api/v1/operations/{world['operation'].pk}/"):
        assert client.get(url, **headers).status_code == 404, url
    response = client.post(f"/api/v1/subscriptions/{a.subscription.pk}/suspend/", {}, content_type="application/json",
                           **headers)
    assert response.status_code == 404
    listing = client.get("/api/v1/customers/", **headers)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [b.customer.pk]
    offers = client.get("/api/v1/catalog/offers/", **headers).json()
    assert offers["marketplace"] == "birch"
    assert snapshot()["Subscription"] == before["Subscription"]
