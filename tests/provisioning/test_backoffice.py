"""BSS Setup > Tools > Provisioning operations and MCA log, through HTTP, with the role matrix."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission

from bss.choices import OrderStatus
from provisioning.choices import OperationStatus
from provisioning.models import ProvisioningOperation
from tests.factories.bss import ResellerUserFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


def _staff(*codenames):
    user = StaffUserFactory()
    for codename in codenames:
        app, code = codename.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=code))
    return user


@pytest.fixture
def failed_order(place, pc_sim):
    pc_sim.control.inject_fault("error", method="POST", path="/v1/customers/*/carts", count=1, status=400,
                                code=800002, description="Invalid request input: simulated")
    return place()


@pytest.mark.parametrize(
    ("_case", "who", "status"),
    [
        ("reseller user", "reseller", 404),
        ("staff without permission", "staff", 404),
        ("staff with view permission", "viewer", 200),
    ],
)
def test_operations_list_is_permission_gated(client, failed_order, _case, who, status):
    user = {"reseller": ResellerUserFactory, "staff": StaffUserFactory,
            "viewer": lambda: _staff("provisioning.view_provisioningoperation")}[who]()
    client.force_login(user)

    response = client.get("/backoffice/provisioning/operations/?status=failed")

    assert response.status_code == status
    if status == 200:
        assert b"Invalid request input: simulated" in response.content


def test_detail_shows_attempts_and_retry_button_completes_the_order(
    client, failed_order, django_capture_on_commit_callbacks
):
    op = ProvisioningOperation.objects.get(order=failed_order, status=OperationStatus.FAILED)
    viewer = _staff("provisioning.view_provisioningoperation")
    client.force_login(viewer)
    page = client.get(f"/backoffice/provisioning/operations/{op.pk}/")
    assert page.status_code == 200 and str(op.ms_request_id).encode() in page.content
    assert b"Retry</button>" not in page.content
    assert client.post(f"/backoffice/provisioning/operations/{op.pk}/retry/").status_code == 404
    op.refresh_from_db()
    assert op.status == OperationStatus.FAILED  # nothing changed on denial

    client.force_login(_staff("provisioning.view_provisioningoperation", "provisioning.change_provisioningoperation"))
    assert b"Retry</button>" in client.get(f"/backoffice/provisioning/operations/{op.pk}/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/backoffice/provisioning/operations/{op.pk}/retry/")

    assert response.status_code == 302
    failed_order.refresh_from_db()
    assert failed_order.status == OrderStatus.COMPLETED
    detail = client.get(f"/backoffice/provisioning/operations/{op.pk}/")
    assert detail.content.count(b"<td>Permanent error</td>") == 1 and b"<td>Succeeded</td>" in detail.content


def test_mca_log_search_filter_and_csv_export(client, place):
    order = place()
    client.force_login(_staff("bss.view_mcaacceptance"))

    page = client.get("/backoffice/provisioning/mca-log/", {"q": "ruiz", "role": "customer"})
    assert page.status_code == 200 and b"ana.ruiz@northwind.example" in page.content
    staff_only = client.get("/backoffice/provisioning/mca-log/", {"role": "staff"})
    assert b"ana.ruiz@northwind.example" not in staff_only.content

    export = client.get("/backoffice/provisioning/mca-log.csv", {"q": "Northwind"})
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert export["Content-Type"].startswith("text/csv")
    assert [(r["customer"], r["role"], r["ip_address"], r["tenant_domain"]) for r in rows] == [
        ("Northwind Labs", "customer", "203.0.113.7", order.tenant.default_domain)
    ]
    assert rows[0]["attested_at"]


def test_tools_page_lists_both_tools_for_permitted_staff(client):
    client.force_login(_staff("provisioning.view_provisioningoperation", "bss.view_mcaacceptance"))

    content = client.get("/backoffice/setup/tools/").content

    assert b"Provisioning operations" in content and b"MCA log" in content
