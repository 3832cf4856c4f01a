"""Invariants hold at the database, whatever code path writes the rows."""

import pytest
from django.db import IntegrityError, transaction

from bss.choices import ResellerKind, UserRole
from bss.models import MicrosoftTenant, Order, OrderLine, Reseller, User
from tests.factories.bss import CustomerFactory, MicrosoftTenantFactory, ProviderFactory, ResellerFactory

pytestmark = pytest.mark.django_db


def _violates(fn) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        fn()


def test_tier2_reseller_needs_a_parent_and_provider_has_none():
    _violates(lambda: Reseller.objects.create(name="Orphan", kind=ResellerKind.LIGHT))
    parent = ProviderFactory()
    _violates(lambda: Reseller.objects.create(name="Sub-provider", kind=ResellerKind.PROVIDER, parent=parent))


def test_partner_id_is_unique_among_resellers():
    existing = ResellerFactory(partner_id="1234567")
    _violates(lambda: ResellerFactory(partner_id="1234567", parent=existing.parent))
    # Blank partner ids do not collide.
    ResellerFactory(partner_id="", parent=existing.parent)
    ResellerFactory(partner_id="", parent=existing.parent)


def test_user_role_must_match_its_scope():
    customer = CustomerFactory()
    _violates(lambda: User.objects.create(username="r", role=UserRole.RESELLER))
    _violates(lambda: User.objects.create(username="c", role=UserRole.CUSTOMER))
    _violates(lambda: User.objects.create(username="s", role=UserRole.PROVIDER_STAFF, customer=customer))


def test_tenant_is_unique_per_instance():
    tenant = MicrosoftTenantFactory()
    _violates(
        lambda: MicrosoftTenant.objects.create(
            customer=tenant.customer,
            instance=tenant.instance,
            pc_customer_id=tenant.pc_customer_id,
            default_domain="other.onmicrosoft.com",
        )
    )
    _violates(
        lambda: MicrosoftTenant.objects.create(
            customer=tenant.customer, instance=tenant.instance, default_domain=tenant.default_domain
        )
    )


def test_order_line_quantity_must_be_positive():
    tenant = MicrosoftTenantFactory()
    order = Order.objects.create(
        kind="new_customer",
        customer=tenant.customer,
        tenant=tenant,
        reseller=tenant.customer.reseller,
        marketplace=tenant.customer.marketplace,
        currency="USD",
    )
    _violates(
        lambda: OrderLine.objects.create(
            order=order,
            pc_product_id="CFQ7TTC0LH18",
            pc_sku_id="0001",
            product_name="Business Basic",
            quantity=0,
            billing_cycle="monthly",
            unit_price="6.00",
            currency="USD",
        )
    )
