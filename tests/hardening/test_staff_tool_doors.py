"""Hardening, item 2: a tool's permission holds on every door. A provider staff user without the permission of the
tool that shows a resource finds it neither on the back-office page nor through the API; with the permission, both
show it; reseller and customer users see their own, as before."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from bss.models import User
from tests.factories.bss import (
    CustomerUserFactory,
    MCAAcceptanceFactory,
    ResellerUserFactory,
    StaffUserFactory,
    SubscriptionFactory,
)
from tests.factories.provisioning import ProvisioningOperationFactory

pytestmark = pytest.mark.django_db


def staff_with(*perms: str) -> User:
    user = StaffUserFactory()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)


class Doors:
    def __init__(self, user: User) -> None:
        self.page = Client()
        self.page.force_login(user)
        self.api = APIClient()
        self.api.force_login(user)

    def api_list(self, path: str) -> list[dict]:
        response = self.api.get(path)
        assert response.status_code == 200, response.content
        return response.json()["results"]


@pytest.fixture
def mca():
    return MCAAcceptanceFactory(signatory_email="cfo@northwind.example", signatory_phone="+1 555 0100")


@pytest.fixture
def operation():
    return ProvisioningOperationFactory(last_error_message="Invalid request input: simulated")


# --- MCA acceptances: the MCA log tool (bss.view_mcaacceptance) -----------------------------------------------------


def test_staff_without_the_mca_log_permission_find_no_acceptance_on_any_door(mca):
    doors = Doors(staff_with("bss.view_customer", "bss.view_order", "bss.view_subscription"))

    assert doors.api_list("/api/v1/mca-acceptances/") == []
    assert doors.api.get(f"/api/v1/mca-acceptances/{mca.pk}/").status_code == 404
    assert doors.page.get("/backoffice/provisioning/mca-log/").status_code == 404
    assert doors.page.get("/backoffice/provisioning/mca-log.csv").status_code == 404
    customer_page = doors.page.get(f"/backoffice/customers/{mca.customer_id}/")
    assert customer_page.status_code == 200
    assert b"cfo@northwind.example" not in customer_page.content


def test_staff_with_the_mca_log_permission_see_the_acceptance_on_every_door(mca):
    doors = Doors(staff_with("bss.view_mcaacceptance"))

    assert [a["signatory_email"] for a in doors.api_list("/api/v1/mca-acceptances/")] == ["cfo@northwind.example"]
    assert doors.api.get(f"/api/v1/mca-acceptances/{mca.pk}/").status_code == 200
    assert b"cfo@northwind.example" in doors.page.get("/backoffice/provisioning/mca-log/").content
    assert b"cfo@northwind.example" in doors.page.get(f"/backoffice/customers/{mca.customer_id}/").content


def test_reseller_and_customer_users_still_see_their_own_acceptances(mca):
    MCAAcceptanceFactory(signatory_email="someone@else.example")
    reseller_user = ResellerUserFactory(reseller=mca.customer.reseller)
    customer_user = CustomerUserFactory(customer=mca.customer)

    for user in (reseller_user, customer_user):
        emails = [a["signatory_email"] for a in Doors(user).api_list("/api/v1/mca-acceptances/")]
        assert emails == ["cfo@northwind.example"]
    assert Doors(ResellerUserFactory()).api_list("/api/v1/mca-acceptances/") == []


# --- Provisioning operations: the provisioning tool (provisioning.view_provisioningoperation) ----------------------


def test_staff_without_the_operations_permission_find_no_operation_on_any_door(operation):
    doors = Doors(staff_with("bss.view_order", "bss.view_subscription", "bss.view_mcaacceptance"))

    assert doors.api.get(f"/api/v1/operations/{operation.pk}/").status_code == 404
    assert doors.page.get(f"/backoffice/provisioning/operations/{operation.pk}/").status_code == 404
    assert doors.page.get("/backoffice/provisioning/operations/").status_code == 404


def test_staff_with_the_operations_permission_see_the_operation_on_every_door(operation):
    doors = Doors(staff_with("provisioning.view_provisioningoperation"))

    api = doors.api.get(f"/api/v1/operations/{operation.pk}/")
    assert api.status_code == 200 and api.json()["last_error_message"] == "Invalid request input: simulated"
    page = doors.page.get(f"/backoffice/provisioning/operations/{operation.pk}/")
    assert page.status_code == 200 and b"Invalid request input: simulated" in page.content
    assert b"Invalid request input: simulated" in doors.page.get("/backoffice/provisioning/operations/").content


def test_the_orders_reseller_and_customer_still_poll_its_operation(operation):
    customer = operation.order.customer
    for user in (ResellerUserFactory(reseller=customer.reseller), CustomerUserFactory(customer=customer)):
        assert Doors(user).api.get(f"/api/v1/operations/{operation.pk}/").status_code == 200
    assert Doors(ResellerUserFactory()).api.get(f"/api/v1/operations/{operation.pk}/").status_code == 404


# --- Orders (bss.view_order) and subscriptions (bss.view_subscription) ----------------------------------------------


def test_staff_without_the_orders_permission_find_no_order_on_the_page_or_the_api(operation):
    order = operation.order
    doors = Doors(staff_with("bss.view_subscription", "provisioning.view_provisioningoperation"))

    assert doors.api_list("/api/v1/orders/") == []
    assert doors.api.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert doors.page.get(f"/backoffice/orders/{order.pk}/").status_code == 404

    allowed = Doors(staff_with("bss.view_order"))
    assert [o["id"] for o in allowed.api_list("/api/v1/orders/")] == [order.pk]
    assert allowed.api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert allowed.page.get(f"/backoffice/orders/{order.pk}/").status_code == 200


def test_staff_without_the_subscriptions_permission_find_no_subscription_on_the_page_or_the_api():
    sub = SubscriptionFactory()
    doors = Doors(staff_with("bss.view_order", "provisioning.view_provisioningoperation"))

    assert doors.api_list("/api/v1/subscriptions/") == []
    assert doors.api.get(f"/api/v1/subscriptions/{sub.pk}/").status_code == 404
    assert doors.page.get(f"/backoffice/subscriptions/{sub.pk}/").status_code == 404

    allowed = Doors(staff_with("bss.view_subscription"))
    assert [s["id"] for s in allowed.api_list("/api/v1/subscriptions/")] == [sub.pk]
    assert allowed.api.get(f"/api/v1/subscriptions/{sub.pk}/").status_code == 200
    assert allowed.page.get(f"/backoffice/subscriptions/{sub.pk}/").status_code == 200


def test_reseller_and_customer_users_still_see_their_own_orders_and_subscriptions(operation):
    sub = SubscriptionFactory(customer=operation.order.customer, tenant=operation.order.tenant)
    customer = sub.customer
    for user in (ResellerUserFactory(reseller=customer.reseller), CustomerUserFactory(customer=customer)):
        doors = Doors(user)
        assert [o["id"] for o in doors.api_list("/api/v1/orders/")] == [operation.order_id]
        assert [s["id"] for s in doors.api_list("/api/v1/subscriptions/")] == [sub.pk]
