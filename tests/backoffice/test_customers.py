"""Back office customers: list filters, the page (tenants, subscriptions, orders, MCA, audit), the profile edit."""

import pytest
from django.urls import reverse

from bss.models import AuditEvent
from bss.services.customer_profile import CustomerProfile, InvalidCustomerProfile, customer_update
from tests.backoffice.conftest import staff_with
from tests.factories.bss import (
    CustomerFactory,
    MCAAcceptanceFactory,
    MicrosoftTenantFactory,
    OrderFactory,
    ResellerFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


def _companies(response) -> set[str]:
    return {c.company_name for c in response.context["page"]}


def test_list_filters_and_search(client):
    reseller = ResellerFactory()
    contoso = CustomerFactory(company_name="Contoso", reseller=reseller, country="DE")
    MicrosoftTenantFactory(customer=contoso, default_domain="contoso.onmicrosoft.com")
    CustomerFactory(company_name="Fabrikam", status="suspended")
    client.force_login(StaffUserFactory())
    url = reverse("backoffice:customer_list")
    assert _companies(client.get(url)) == {"Contoso", "Fabrikam"}
    assert _companies(client.get(url, {"reseller": reseller.pk})) == {"Contoso"}
    assert _companies(client.get(url, {"status": "suspended"})) == {"Fabrikam"}
    assert _companies(client.get(url, {"country": "de"})) == {"Contoso"}
    assert _companies(client.get(url, {"q": "contoso.onmicrosoft"})) == {"Contoso"}


def test_customer_page_shows_tenants_subscriptions_orders_mca_and_audit(client, operator):
    sub = SubscriptionFactory(name="Exchange Online (Plan 1)")
    order = OrderFactory(tenant=sub.tenant)
    MCAAcceptanceFactory(customer=sub.customer, tenant=sub.tenant, signatory_email="cfo@contoso.test")
    customer_update(actor=operator, customer=sub.customer,
                    profile=CustomerProfile(company_name="Contoso Renamed", country="US", state="WA"))
    client.force_login(operator)
    page = client.get(reverse("backoffice:customer_detail", args=[sub.customer_id])).content.decode()
    for text in (sub.tenant.default_domain, "Exchange Online (Plan 1)", "cfo@contoso.test", "not attested yet",
                 reverse("backoffice:order_detail", args=[order.pk]),
                 reverse("backoffice:subscription_detail", args=[sub.pk]), "customer.update", "Contoso Renamed",
                 "Edit profile"):
        assert text in page, text


def test_edit_saves_through_the_core_and_is_audited(client, operator):
    customer = CustomerFactory(company_name="Old name")
    client.force_login(operator)
    url = reverse("backoffice:customer_edit", args=[customer.pk])
    data = {"company_name": "Northwind Traders", "contact_email": "it@northwind.test",
            "contact_phone": "+44 20 7946 0958", "address_line1": "1 High Street", "city": "London",
            "postal_code": "EC1A 1BB", "country": "gb"}
    response = client.post(url, data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.company_name, customer.country, customer.contact_phone) == (
        "Northwind Traders", "GB", "+44 20 7946 0958")
    event = AuditEvent.objects.get(action="customer.update", object_id=str(customer.pk))
    assert event.before["company_name"] == "Old name" and event.after["company_name"] == "Northwind Traders"
    assert event.actor == operator


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "XX", "ISO 3166"),
        ("country", "U1", "ISO 3166"),
        ("contact_phone", "call me", "phone number"),
        ("contact_email", "not-an-address", "valid e-mail"),
        ("state", "", "state or province is required"),
    ],
)
def test_edit_refuses_invalid_values_on_their_field(client, operator, field, value, message):
    customer = CustomerFactory(company_name="Keep")
    client.force_login(operator)
    data = {"company_name": "Changed", "country": "US", "state": "WA", field: value}
    response = client.post(reverse("backoffice:customer_edit", args=[customer.pk]), data)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    customer.refresh_from_db()
    assert customer.company_name == "Keep"


def test_service_refuses_an_empty_company_name(operator):
    customer = CustomerFactory()
    with pytest.raises(InvalidCustomerProfile) as exc:
        customer_update(actor=operator, customer=customer, profile=CustomerProfile(company_name=" ", country="FR"))
    assert "company_name" in exc.value.errors


def test_edit_and_export_need_their_permissions(client):
    customer = CustomerFactory()
    client.force_login(StaffUserFactory())
    assert client.get(reverse("backoffice:customer_edit", args=[customer.pk])).status_code == 404
    assert client.get(reverse("backoffice:customer_list"), {"format": "csv"}).status_code == 404
    page = client.get(reverse("backoffice:customer_detail", args=[customer.pk])).content.decode()
    assert "Edit profile" not in page
    client.force_login(staff_with("bss.change_customer"))
    assert client.get(reverse("backoffice:customer_edit", args=[customer.pk])).status_code == 200
