import factory

from bss.choices import RelationshipStatus, ResellerKind, UserRole
from bss.models import (
    Customer,
    Marketplace,
    MicrosoftTenant,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)


class PartnerCenterInstanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerCenterInstance

    name = factory.Sequence(lambda n: f"Partner Center {n}")
    partner_tenant_id = factory.Faker("uuid4")
    partner_id = factory.Sequence(lambda n: f"{4000000 + n}")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Provider {n}")
    kind = ResellerKind.PROVIDER


class ResellerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reseller

    name = factory.Sequence(lambda n: f"Reseller {n}")
    kind = ResellerKind.LIGHT
    parent = factory.SubFactory(ProviderFactory)
    partner_id = factory.Sequence(lambda n: f"{5000000 + n}")


class MarketplaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Marketplace

    owner = factory.SubFactory(ProviderFactory)
    name = factory.Sequence(lambda n: f"Marketplace {n}")
    slug = factory.Sequence(lambda n: f"market-{n}")
    instance = factory.SubFactory(PartnerCenterInstanceFactory)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    reseller = factory.SubFactory(ResellerFactory)
    marketplace = factory.SubFactory(MarketplaceFactory, owner=factory.SelfAttribute("..reseller.parent"))
    company_name = factory.Sequence(lambda n: f"Customer {n} Ltd")
    contact_email = factory.Sequence(lambda n: f"admin{n}@example.com")


class MicrosoftTenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MicrosoftTenant

    customer = factory.SubFactory(CustomerFactory)
    instance = factory.SelfAttribute("customer.marketplace.instance")
    pc_customer_id = factory.Faker("uuid4")
    default_domain = factory.Sequence(lambda n: f"tenant{n}.onmicrosoft.com")
    relationship_status = RelationshipStatus.ACTIVE


class SubscriptionFactory(factory.django.DjangoModelFactory):
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


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery-staple")
    role = UserRole.CUSTOMER

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StaffUserFactory(UserFactory):
    role = UserRole.PROVIDER_STAFF
    is_staff = True


class ResellerUserFactory(UserFactory):
    role = UserRole.RESELLER
    reseller = factory.SubFactory(ResellerFactory)


class CustomerUserFactory(UserFactory):
    role = UserRole.CUSTOMER
    customer = factory.SubFactory(CustomerFactory)
