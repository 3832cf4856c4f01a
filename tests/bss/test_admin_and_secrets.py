import pytest
from django.db import connection
from django.urls import reverse

from bss.models import AuditEvent, Marketplace, PartnerCenterInstance
from bss.services.accounts import customer_create
from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory, ResellerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "a-long-admin-password")
    client.force_login(admin)
    return client


def test_admin_rejects_invalid_marketplace_with_a_clear_message(admin_client_):
    instance = PartnerCenterInstanceFactory()
    owner = ResellerFactory().parent
    response = admin_client_.post(
        reverse("admin:bss_marketplace_add"),
        {
            "owner": owner.pk,
            "name": "Bad colours",
            "slug": "bad-colours",
            "instance": instance.pk,
            "market": "US",
            "currency": "usd",
            "primary_color": "blue",
            "annual_billing_enabled": "on",
            "is_active": "on",
        },
    )
    assert response.status_code == 200  # re-rendered, not saved
    body = response.content.decode()
    assert "bss_marketplace_color_is_hex" in body or "Constraint" in body
    assert not Marketplace.objects.filter(slug="bad-colours").exists()


def test_admin_lists_render_for_staff(admin_client_):
    MarketplaceFactory()
    for name in ["bss_customer", "bss_subscription", "bss_order", "bss_partnercenterinstance", "bss_auditevent"]:
        assert admin_client_.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_secrets_are_encrypted_at_rest_and_never_rendered(admin_client_):
    instance = PartnerCenterInstanceFactory(application_secret="s3cr3t-value-XYZ", refresh_token="rt-ABCDEF-123")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_secret, refresh_token FROM bss_partnercenterinstance WHERE id = %s", [instance.pk]
        )
        stored_secret, stored_token = cursor.fetchone()
    assert "s3cr3t-value-XYZ" not in stored_secret and "rt-ABCDEF-123" not in stored_token
    assert PartnerCenterInstance.objects.get(pk=instance.pk).application_secret == "s3cr3t-value-XYZ"
    page = admin_client_.get(reverse("admin:bss_partnercenterinstance_change", args=[instance.pk])).content.decode()
    assert "s3cr3t-value-XYZ" not in page and stored_secret not in page


def test_services_write_an_audit_event_in_the_same_transaction():
    reseller = ResellerFactory()
    marketplace = MarketplaceFactory(owner=reseller.parent)
    customer = customer_create(actor=None, reseller=reseller, marketplace=marketplace, company_name="Fabrikam")
    event = AuditEvent.objects.get(action="customer.create", object_id=str(customer.pk))
    assert event.after["company_name"] == "Fabrikam" and event.actor_label == "system"
