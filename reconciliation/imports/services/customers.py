"""The import of one Partner Center customer: read it again, then create or link it with its subscriptions.

Each customer is one transaction through the audited bss services (customer, tenant, subscriptions with their
Azure entitlements): nothing is duplicated, nothing that already exists in the BSS is changed.
`subscription_import` is the one way a Partner Center subscription is recorded in the BSS (reconciliation's
"import" action uses it too).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F

from billing.services.prices import known_price
from bss.choices import LedgerEventKind, RelationshipStatus
from bss.exceptions import ApplicationError
from bss.models import Customer, Marketplace, MicrosoftTenant, Subscription, User
from bss.services.accounts import customer_create, tenant_create
from bss.services.audit import audit_record, snapshot
from bss.services.gdap_admin import gdap_relationships_link
from bss.services.ledger import ledger_record
from bss.services.subscriptions import subscription_record_entitlements
from partnercenter.errors import PartnerCenterError
from partnercenter.gdap_types import DelegatedAdminRelationship, GdapUnavailableError
from partnercenter.types import AzureEntitlement as PcAzureEntitlement
from partnercenter.types import Customer as PcCustomer
from partnercenter.types import Subscription as PcSubscription
from reconciliation.imports import selectors
from reconciliation.imports.choices import Outcome, RowObject
from reconciliation.imports.mapping import SubscriptionValues, is_azure_plan, subscription_values
from reconciliation.imports.models import ImportItem, ImportResultRow, ImportRun
from reconciliation.imports.services.report import item_set_outcome, result_row
from reconciliation.imports.services.resellers import reseller_for

logger = logging.getLogger(__name__)


@transaction.atomic
def subscription_import(
    *, actor: User | None, customer: Customer, tenant: MicrosoftTenant, values: SubscriptionValues
) -> Subscription:
    """Record an existing Partner Center subscription in the BSS (audited; the ledger starts at its quantity)."""
    subscription = Subscription.objects.create(customer=customer, tenant=tenant, **asdict(values))
    price = known_price(subscription=subscription, at=subscription.effective_start_date)
    ledger_record(
        subscription=subscription,
        kind=LedgerEventKind.PURCHASE,
        quantity_before=0,
        quantity_after=subscription.quantity,
        reason="import",
        actor=actor if actor is not None and actor.pk else None,
        effective_at=subscription.effective_start_date,
        reference_id=subscription.pc_order_id,
        unit_price=price.unit_price if price else None,
        unit_cost=price.unit_cost if price else None,
        currency=price.currency if price else "",
    )
    audit_record(
        actor=actor,
        action="subscription.import",
        obj=subscription,
        after=snapshot(
            subscription,
            [
                "customer_id",
                "tenant_id",
                "pc_subscription_id",
                "name",
                "quantity",
                "status",
                "billing_cycle",
                "term_duration",
                "auto_renew",
                "commitment_end_date",
                "pc_partner_id",
            ],
        ),
    )
    return subscription


class CustomerSkipped(Exception):
    """This customer is not imported, for a reason the report shows."""


@dataclass
class FetchedCustomer:
    """Partner Center's data for one customer, read again just before it is imported."""

    customer: PcCustomer | None
    subscriptions: list[PcSubscription]
    # Azure subscriptions of the Azure plans that are new to the BSS, by Partner Center subscription id.
    entitlements: dict[str, list[PcAzureEntitlement]]
    # The GDAP relationships Microsoft Graph holds with the customer (stored and linked to its tenant).
    gdap: list[DelegatedAdminRelationship] = field(default_factory=list)


def customer_fetch(client: Any, run: ImportRun, item: ImportItem) -> FetchedCustomer:
    """Fresh Partner Center data for one item. The customer's profile is read only if we may create it."""
    exists = MicrosoftTenant.objects.filter(pc_customer_id=item.pc_customer_id).exists()
    customer = None if exists else client.customers.get(customer_id=item.pc_customer_id)
    subscriptions = list(client.subscriptions.list(customer_id=item.pc_customer_id))
    known = set(
        Subscription.objects.filter(pc_subscription_id__in=[s.id for s in subscriptions]).values_list(
            "pc_subscription_id", flat=True
        )
    )
    entitlements = {
        s.id: list(client.subscriptions.list_azure_entitlements(customer_id=item.pc_customer_id, subscription_id=s.id))
        for s in subscriptions
        if s.id not in known and is_azure_plan(s) and subscription_values(s).importable
    }
    return FetchedCustomer(customer, subscriptions, entitlements, _gdap_of(client, item.pc_customer_id))


def _gdap_of(client: Any, customer_id: str) -> list[DelegatedAdminRelationship]:
    """The customer's GDAP relationships; none when Graph is not set up or refuses (the import goes on)."""
    try:
        return list(client.gdap.list_relationships(customer_tenant_id=customer_id))
    except GdapUnavailableError:
        return []
    except PartnerCenterError as exc:
        logger.warning("GDAP relationships of customer %s not read: %s", customer_id, exc)
        return []


def customer_import(run: ImportRun, item: ImportItem, fetched: FetchedCustomer) -> None:
    """Create or link one customer and its subscriptions, in one transaction."""
    instance = run.instance
    actor = run.started_by
    with transaction.atomic():
        item = ImportItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if item.outcome:
            return  # redelivered task: already done
        rows: list[ImportResultRow] = []
        tenant = (
            MicrosoftTenant.objects.select_related("customer")
            .filter(instance=instance, pc_customer_id=item.pc_customer_id)
            .first()
        )
        if tenant is not None:
            customer = tenant.customer
            outcome = Outcome.LINKED
            reason = f"already linked to BSS customer {customer}"
            tenant_existed = True
        else:
            tenant_existed = False
            domain = item.domain.lower()
            clash = MicrosoftTenant.objects.select_related("customer").filter(instance=instance, default_domain=domain)
            if not domain or clash.exists():
                owner = clash.first()
                raise CustomerSkipped(
                    f"conflict: BSS customer {owner.customer if owner else '?'} already has domain {domain} on this "
                    "instance; resolve by hand"
                )
            other = (
                MicrosoftTenant.objects.select_related("customer")
                .filter(pc_customer_id=item.pc_customer_id)
                .order_by("pk")
                .first()
            )
            if other is not None:
                customer = other.customer
                outcome = Outcome.LINKED
                reason = f"existing BSS customer {customer} linked to this instance"
            else:
                customer, reason = _create_customer(run, item, fetched.customer, rows)
                outcome = Outcome.CREATED
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=domain,
                pc_customer_id=item.pc_customer_id,
                relationship_status=RelationshipStatus.ACTIVE,
            )
            rows.append(
                result_row(run, item, RowObject.TENANT, item.pc_customer_id, domain, Outcome.CREATED, "", tenant.pk)
            )
        created_subs = _import_subscriptions(run, item, customer, tenant, fetched, rows, actor)
        linked = len(gdap_relationships_link(tenant=tenant, relationships=fetched.gdap))
        if tenant_existed and not created_subs:
            outcome, reason = Outcome.SKIPPED, "already in the BSS: nothing new"
        elif tenant_existed:
            reason = f"{reason}; {created_subs} new subscription(s) added"
        if linked:
            reason = f"{reason}; {linked} GDAP relationship(s) linked"
        item_set_outcome(run, item, outcome, reason, customer, counts_as_done=True)
        ImportResultRow.objects.bulk_create(rows)  # after the customer's own row: the report reads top-down
        if created_subs:
            ImportRun.objects.filter(pk=run.pk).update(subscriptions_created=F("subscriptions_created") + created_subs)


def _import_subscriptions(
    run: ImportRun,
    item: ImportItem,
    customer: Customer,
    tenant: MicrosoftTenant,
    fetched: FetchedCustomer,
    rows: list[ImportResultRow],
    actor: User | None,
) -> int:
    subs = fetched.subscriptions
    existing = {
        s.pc_subscription_id: s
        for s in Subscription.objects.select_related("customer").filter(pc_subscription_id__in=[s.id for s in subs])
    }

    def report(pc_id: str, name: str, outcome: str, reason: str, bss_id: int | None) -> None:
        rows.append(result_row(run, item, RowObject.SUBSCRIPTION, pc_id, name, outcome, reason, bss_id))

    created = 0
    for sub in subs:
        mapped = subscription_values(sub)
        label = sub.friendly_name or sub.offer_name or sub.id
        if sub.id in existing:
            owner = existing[sub.id].customer
            if owner.pk != customer.pk:
                reason = f"conflict: already in the BSS under customer {owner}"
                report(sub.id, label, Outcome.SKIPPED, reason, existing[sub.id].pk)
            continue  # already imported: nothing to report again
        if mapped.values is None:
            report(sub.id, label, Outcome.SKIPPED, mapped.skip_reason, None)
            continue
        subscription = subscription_import(actor=actor, customer=customer, tenant=tenant, values=mapped.values)
        if fetched.entitlements.get(sub.id):
            subscription_record_entitlements(subscription=subscription, entitlements=fetched.entitlements[sub.id])
        summary = f"{subscription.quantity} x, {subscription.status}"
        report(sub.id, subscription.name, Outcome.CREATED, summary, subscription.pk)
        created += 1
    return created


def _create_customer(
    run: ImportRun, item: ImportItem, pc_customer: PcCustomer | None, rows: list[ImportResultRow]
) -> tuple[Customer, str]:
    instance = run.instance
    provider_marketplace = selectors.provider_marketplace_for(instance=instance)
    if provider_marketplace is None:
        raise ApplicationError(f"{instance.name} has no provider marketplace.", code="no_provider_marketplace")
    provider = provider_marketplace.owner
    reseller = reseller_for(run, item, provider, rows) if item.reseller_partner_id else provider
    marketplace: Marketplace = provider_marketplace
    if reseller.pk != provider.pk:
        marketplace = selectors.reseller_marketplace_for(reseller=reseller, instance=instance) or provider_marketplace
    fields = _customer_fields(pc_customer)
    customer = customer_create(
        actor=run.started_by,
        reseller=reseller,
        marketplace=marketplace,
        company_name=(pc_customer.company_name if pc_customer else None) or item.company_name,
        **fields,
    )
    return customer, f"new customer of {reseller} in marketplace {marketplace}"


def _customer_fields(pc_customer: PcCustomer | None) -> dict[str, str]:
    if pc_customer is None:
        return {}
    billing = pc_customer.billing_profile
    company = pc_customer.company_profile
    address = (billing.default_address if billing else None) or (company.address if company else None)
    fields: dict[str, str] = {}
    if address is not None:
        country = (address.country or "").strip().upper()
        if len(country) == 2:
            fields["country"] = country
        fields.update(
            contact_first_name=(address.first_name or "")[:100],
            contact_last_name=(address.last_name or "")[:100],
            contact_phone=(address.phone_number or "")[:40],
            address_line1=(address.address_line1 or "")[:200],
            city=(address.city or "")[:100],
            state=(address.state or "")[:100],
            postal_code=(address.postal_code or "")[:20],
        )
    if billing is not None:
        if billing.first_name:
            fields["contact_first_name"] = billing.first_name[:100]
        if billing.last_name:
            fields["contact_last_name"] = billing.last_name[:100]
        if billing.email and len(billing.email) <= 254:
            fields["contact_email"] = billing.email
        if billing.culture and len(billing.culture) <= 10:
            fields["culture"] = billing.culture
    return fields
