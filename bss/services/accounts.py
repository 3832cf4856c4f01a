"""Write paths for resellers, marketplaces, customers, tenants and users. Each one audits in its transaction."""

from django.db import transaction

from bss.choices import RelationshipStatus, ResellerKind, UserRole
from bss.exceptions import ApplicationError
from bss.models import Customer, Marketplace, MicrosoftTenant, PartnerCenterInstance, Reseller, User
from bss.services.audit import audit_record, snapshot


@transaction.atomic
def reseller_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    parent: Reseller | None = None,
    partner_id: str = "",
    pc_tenant_id: str = "",
    email: str = "",
    country: str = "US",
) -> Reseller:
    if kind != ResellerKind.PROVIDER and parent is None:
        raise ApplicationError("A light or tenant reseller needs the provider it buys through.", code="parent_required")
    if partner_id and Reseller.objects.filter(partner_id=partner_id).exists():
        raise ApplicationError(
            f"Partner ID {partner_id} already belongs to another reseller.", code="duplicate_partner_id"
        )
    reseller = Reseller.objects.create(
        name=name, kind=kind, parent=parent, partner_id=partner_id, pc_tenant_id=pc_tenant_id, email=email,
        country=country,
    )
    audit_record(
        actor=actor,
        action="reseller.create",
        obj=reseller,
        after=snapshot(reseller, ["name", "kind", "partner_id", "parent_id"]),
    )
    return reseller


@transaction.atomic
def marketplace_create(
    *,
    actor: User | None,
    owner: Reseller,
    name: str,
    slug: str,
    instance: PartnerCenterInstance,
    market: str = "US",
    currency: str = "USD",
    primary_color: str = "#1f4e79",
) -> Marketplace:
    marketplace = Marketplace.objects.create(
        owner=owner,
        name=name,
        slug=slug,
        instance=instance,
        market=market,
        currency=currency,
        primary_color=primary_color,
    )
    audit_record(
        actor=actor,
        action="marketplace.create",
        obj=marketplace,
        after=snapshot(marketplace, ["name", "slug", "owner_id", "instance_id", "market", "currency"]),
    )
    return marketplace


@transaction.atomic
def customer_create(
    *,
    actor: User | None,
    reseller: Reseller,
    marketplace: Marketplace,
    company_name: str,
    country: str = "US",
    contact_first_name: str = "",
    contact_last_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    address_line1: str = "",
    city: str = "",
    state: str = "",
    postal_code: str = "",
    culture: str = "en-US",
) -> Customer:
    customer = Customer.objects.create(
        reseller=reseller,
        marketplace=marketplace,
        company_name=company_name,
        country=country,
        contact_first_name=contact_first_name,
        contact_last_name=contact_last_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        address_line1=address_line1,
        city=city,
        state=state,
        postal_code=postal_code,
        culture=culture,
    )
    audit_record(
        actor=actor,
        action="customer.create",
        obj=customer,
        after=snapshot(customer, ["company_name", "reseller_id", "marketplace_id", "country"]),
    )
    return customer


@transaction.atomic
def tenant_create(
    *,
    actor: User | None,
    customer: Customer,
    instance: PartnerCenterInstance,
    default_domain: str,
    pc_customer_id: str | None = None,
    relationship_status: str = RelationshipStatus.PENDING_CREATION,
) -> MicrosoftTenant:
    tenant = MicrosoftTenant.objects.create(
        customer=customer,
        instance=instance,
        default_domain=default_domain.lower(),
        pc_customer_id=pc_customer_id,
        relationship_status=relationship_status,
    )
    audit_record(
        actor=actor,
        action="tenant.create",
        obj=tenant,
        after=snapshot(tenant, ["customer_id", "instance_id", "default_domain", "pc_customer_id"]),
    )
    return tenant


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    email: str = "",
    role: str,
    reseller: Reseller | None = None,
    customer: Customer | None = None,
    is_reseller_admin: bool = False,
) -> User:
    user = User.objects.create_user(
        username=username,
        password=password,
        email=email,
        role=role,
        reseller=reseller,
        customer=customer,
        is_staff=role == UserRole.PROVIDER_STAFF,
        is_reseller_admin=is_reseller_admin,
    )
    audit_record(
        actor=actor,
        action="user.create",
        obj=user,
        after=snapshot(user, ["username", "role", "reseller_id", "customer_id"]),
    )
    return user
