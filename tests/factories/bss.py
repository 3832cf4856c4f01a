"""Factories for the bss app: instances, resellers, marketplaces, customers, tenants, users, orders, subscriptions,
MCA acceptances and the audit log."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from bss.choices import (
    AcceptanceRole,
    BillingCycle,
    Cloud,
    CspModel,
    OrderKind,
    RelationshipStatus,
    ResellerKind,
    UserRole,
)
from bss.models import (
    AuditEvent,
    AzureEntitlement,
    Customer,
    GdapRelationship,
    GdapRoleTemplate,
    LicenseLedgerEntry,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    NextTermInstruction,
    Order,
    OrderLine,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from tests.factories.base import ModelFactory


class PartnerCenterInstanceFactory(ModelFactory[PartnerCenterInstance]):
    class Meta:
        model = PartnerCenterInstance

    name = factory.Sequence(lambda n: f"Partner Center {n}")
    partner_tenant_id = factory.Faker("uuid4")
    partner_id = factory.Sequence(lambda n: f"{4000000 + n}")


def _csp_model_of(partner: Any) -> str:
    return CspModel.INDIRECT_PROVIDER if partner.kind == "indirect_provider" else CspModel.DIRECT


class SimInstanceFactory(ModelFactory[PartnerCenterInstance]):
    """An instance pointed at the Partner Center simulator (`sim`, a SimulatorHandle) for one of its seeded partners
    (`partner`, the direct partner by default), with App+User credentials. Tests take it through the `sim_instance`
    fixture of tests/conftest.py, which also makes the client trust the simulator."""

    class Meta:
        model = PartnerCenterInstance

    class Params:
        sim = None
        partner = factory.LazyAttribute(lambda o: o.sim.partners.direct)

    name = factory.LazyAttribute(lambda o: f"{o.partner.name} (simulator)")
    cloud = Cloud.CUSTOM
    api_base_url = factory.LazyAttribute(lambda o: o.sim.base_url)
    login_authority_url = factory.LazyAttribute(lambda o: o.sim.login_url)
    price_sheet_base_url = factory.LazyAttribute(lambda o: o.sim.base_url)
    partner_tenant_id = factory.LazyAttribute(lambda o: o.partner.tenant_id)
    partner_id = factory.LazyAttribute(lambda o: o.partner.mpn_id)
    application_id = factory.LazyAttribute(lambda o: o.partner.client_id)
    application_secret = factory.LazyAttribute(lambda o: o.partner.client_secret)
    refresh_token = factory.LazyAttribute(lambda o: o.partner.refresh_token)
    csp_model = factory.LazyAttribute(lambda o: _csp_model_of(o.partner))
    annual_provisioning_enabled = True


class ProviderFactory(ModelFactory[Reseller]):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = ResellerKind.PROVIDER


class ResellerFactory(ModelFactory[Reseller]):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Reseller {n}")
    kind = ResellerKind.LIGHT
    parent = factory.SubFactory(ProviderFactory)
    partner_id = factory.Sequence(lambda n: f"{5000000 + n}")


class MarketplaceFactory(ModelFactory[Marketplace]):
    class Meta:
        model = Marketplace

    owner = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Marketplace {n}")
    slug = factory.Sequence(lambda n: f"market-{n}")
    instance = factory.SubFactory(PartnerCenterInstanceFactory)


class CustomerFactory(ModelFactory[Customer]):
    class Meta:
        model = Customer

    reseller = factory.SubFactory(ResellerFactory)
    marketplace = factory.SubFactory(MarketplaceFactory, owner=factory.SelfAttribute("..reseller.parent"))
    company_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    contact_email = factory.Sequence(lambda n: f"admin{n}@example.com")


class MicrosoftTenantFactory(ModelFactory[MicrosoftTenant]):
    class Meta:
        model = MicrosoftTenant

    customer = factory.SubFactory(CustomerFactory)
    instance = factory.SelfAttribute("customer.marketplace.instance")
    pc_customer_id = factory.Faker("uuid4")
    default_domain = factory.Sequence(lambda n: f"tenant{n}.onmicrosoft.com")
    relationship_status = RelationshipStatus.ACTIVE


class SubscriptionFactory(ModelFactory[Subscription]):
    class Meta:
        model = Subscription

    tenant = factory.SubFactory(MicrosoftTenantFactory)
    customer = factory.SelfAttribute("tenant.customer")
    pc_subscription_id = factory.Faker("uuid4")
    name = "Microsoft 365 Business Basic"
    quantity = 5
    billing_cycle = "monthly"
    term_duration = "P1Y"
    status = "active"


class LicenseLedgerEntryFactory(ModelFactory[LicenseLedgerEntry]):
    class Meta:
        model = LicenseLedgerEntry

    subscription = factory.SubFactory(SubscriptionFactory)
    quantity_before = 5
    quantity_after = 6
    reason = "increase"


class AzureEntitlementFactory(ModelFactory[AzureEntitlement]):
    class Meta:
        model = AzureEntitlement

    subscription = factory.SubFactory(SubscriptionFactory, name="Azure plan", billing_cycle=BillingCycle.NONE,
                                      term_duration="", quantity=1)
    pc_entitlement_id = factory.Faker("uuid4")
    friendly_name = factory.Sequence(lambda n: f"Azure subscription {n}")
    status = "active"


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")
    role = UserRole.PROVIDER_STAFF

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    role = UserRole.PROVIDER_STAFF
    is_staff = True


class ResellerUserFactory(UserFactory):
    role = UserRole.RESELLER
    reseller = factory.SubFactory(ResellerFactory)


def reseller_of(user: User) -> Reseller:
    """A reseller user's reseller (ResellerUserFactory always sets it)."""
    assert user.reseller is not None, user
    return user.reseller


class CustomerUserFactory(UserFactory):
    role = UserRole.CUSTOMER
    customer = factory.SubFactory(CustomerFactory)


class OrderFactory(ModelFactory[Order]):
    class Meta:
        model = Order

    kind = OrderKind.ADD_ON
    tenant = factory.SubFactory(MicrosoftTenantFactory)
    customer = factory.SelfAttribute("tenant.customer")
    reseller = factory.SelfAttribute("customer.reseller")
    marketplace = factory.SelfAttribute("customer.marketplace")
    currency = factory.SelfAttribute("marketplace.currency")


class OrderLineFactory(ModelFactory[OrderLine]):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    pc_product_id = "CFQ7TTC0LH18"
    pc_sku_id = "0001"
    pc_availability_id = "CFQ7TTC0K971"
    product_name = "Microsoft 365 Business Basic"
    quantity = 5
    term_duration = "P1Y"
    billing_cycle = BillingCycle.MONTHLY
    unit_price = Decimal("6.0000")
    currency = factory.SelfAttribute("order.currency")


class MCAAcceptanceFactory(ModelFactory[MCAAcceptance]):
    class Meta:
        model = MCAAcceptance

    customer = factory.SubFactory(CustomerFactory)
    signatory_first_name = "Carla"
    signatory_last_name = "Customer"
    signatory_email = factory.Sequence(lambda n: f"signatory{n}@example.com")
    accepted_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(minutes=5))
    role = AcceptanceRole.CUSTOMER
    recorded_by = factory.SubFactory(CustomerUserFactory, customer=factory.SelfAttribute("..customer"))


class AuditEventFactory(ModelFactory[AuditEvent]):
    class Meta:
        model = AuditEvent

    actor = factory.SubFactory(StaffUserFactory)
    actor_label = factory.SelfAttribute("actor.username")
    action = "customer.update"
    object_type = "bss.Customer"
    object_id = factory.Sequence(str)
    object_repr = factory.Sequence(lambda n: f"Customer {n} Ltd")



class GdapRoleTemplateFactory(ModelFactory[GdapRoleTemplate]):
    class Meta:
        model = GdapRoleTemplate

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    name = factory.Sequence(lambda n: f"Helpdesk {n}")
    role_ids = factory.LazyFunction(
        lambda: ["729827e3-9c14-49f7-bb1b-9608f156bbb8", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]
    )
    duration_days = 730
    auto_extend = True


class GdapRelationshipFactory(ModelFactory[GdapRelationship]):
    class Meta:
        model = GdapRelationship

    tenant = factory.SubFactory(MicrosoftTenantFactory)
    template = factory.SubFactory(GdapRoleTemplateFactory, instance=factory.SelfAttribute("..tenant.instance"))
    pc_relationship_id = factory.Faker("uuid4")
    display_name = factory.Sequence(lambda n: f"Helpdesk #{n}")
    status = "active"
    role_ids = factory.SelfAttribute("template.role_ids")
    duration_days = 730
    activated_at = factory.LazyFunction(timezone.now)
    end_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=730))


class NextTermInstructionFactory(ModelFactory[NextTermInstruction]):
    class Meta:
        model = NextTermInstruction

    subscription = factory.SubFactory(SubscriptionFactory, commitment_end_date=dt.date(2027, 6, 30))
    quantity = 3
    term_end = factory.SelfAttribute("subscription.commitment_end_date")
