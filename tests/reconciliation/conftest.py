"""A BSS pointed at the HTTPS Partner Center simulator, with a customer whose subscriptions mirror the
simulator's seeded "Northwind Traders" exactly (a clean estate). Tests then make one side differ."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from bss.models import MicrosoftTenant, PartnerCenterInstance, Subscription, User
from bss.partner_center import get_client
from partnercenter.types import Subscription as PcSubscription
from reconciliation import comparators
from tests.factories.bss import (
    CustomerFactory,
    MarketplaceFactory,
    MicrosoftTenantFactory,
    ProviderFactory,
    ResellerFactory,
    StaffUserFactory,
)

pytest.importorskip("partnercenter.simulator.testing", reason="simulator not available")

LONG_AGO = dt.timedelta(hours=2)


@pytest.fixture
def sim(pc_sim, sim_settings):
    """The simulator, completing orders at once."""
    pc_sim.control.configure(order_provisioning_seconds=0)
    return pc_sim


@pytest.fixture
def instance(sim, sim_instance) -> PartnerCenterInstance:
    return sim_instance


@dataclass
class Estate:
    instance: PartnerCenterInstance
    tenant: MicrosoftTenant
    pc: dict[str, PcSubscription]
    """Partner Center's subscriptions of the tenant by seed name (business_basic_new, m365_e3_old, ...)."""
    bss: dict[str, Subscription]
    """The BSS twins, by the same names."""

    def client(self):
        return get_client(self.instance)

    def pc_now(self, name: str) -> PcSubscription:
        return self.client().subscriptions.get(customer_id=self.tenant.pc_customer_id, subscription_id=self.pc[name].id)


def mirror(
    tenant: MicrosoftTenant, sub: PcSubscription, *, age: dt.timedelta = LONG_AGO, pc_subscription_id: str | None = None
) -> Subscription:
    """A BSS subscription equal to the Partner Center one, last changed `age` ago (outside the listing delay)."""
    values = comparators.pc_values(sub)
    row = Subscription.objects.create(
        customer=tenant.customer,
        tenant=tenant,
        pc_subscription_id=pc_subscription_id or sub.id,
        name=values["name"],
        quantity=values["quantity"],
        status=values["status"],
        auto_renew=bool(values["auto_renew"]),
        billing_cycle=values["billing_cycle"],
        term_duration=values["term_duration"],
        pc_offer_id=values["pc_offer_id"],
        pc_product_id=values["pc_product_id"],
        pc_sku_id=values["pc_sku_id"],
        commitment_end_date=dt.date.fromisoformat(values["commitment_end_date"])
        if values["commitment_end_date"]
        else None,
    )
    age_row(row, age)
    return row


def age_row(row: Subscription, age: dt.timedelta = LONG_AGO) -> None:
    """Move the row's last change out of (or into) the pending window; update() skips auto_now."""
    when = timezone.now() - age
    Subscription.objects.filter(pk=row.pk).update(created_at=when, updated_at=when)
    row.refresh_from_db()


def change(row: Subscription, **values) -> Subscription:
    """Make the BSS differ (as if changed long ago)."""
    Subscription.objects.filter(pk=row.pk).update(**values)
    age_row(row)
    return row


@pytest.fixture
def estate(sim, instance) -> Estate:
    seeded = sim.control.seeded
    provider = ProviderFactory()
    reseller = ResellerFactory(parent=provider)
    marketplace = MarketplaceFactory(owner=provider, instance=instance)
    customer = CustomerFactory(reseller=reseller, marketplace=marketplace, company_name="Northwind Traders")
    tenant = MicrosoftTenantFactory(
        customer=customer,
        instance=instance,
        pc_customer_id=seeded["customer_mca"],
        default_domain="northwindtraders.onmicrosoft.com",
    )
    by_id = {s.id: s for s in get_client(instance).subscriptions.list(customer_id=seeded["customer_mca"])}
    pc = {
        name.removeprefix("sub_"): by_id[sub_id]
        for name, sub_id in seeded.items()
        if name.startswith("sub_") and sub_id in by_id
    }
    bss = {name: mirror(tenant, sub) for name, sub in pc.items()}
    return Estate(instance=instance, tenant=tenant, pc=pc, bss=bss)


def staff_with(*codenames: str) -> User:
    user = StaffUserFactory()
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="reconciliation", codename__in=codenames)
    )
    return User.objects.get(pk=user.pk)  # fresh permission cache


@pytest.fixture
def operator(db) -> User:
    return staff_with(
        "view_reconciliationrun", "run_reconciliation", "apply_corrective_action", "change_autoapplypolicy"
    )
