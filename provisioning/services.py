"""Provisioning: orders and subscription changes become persisted Partner Center operations, executed by workers.

Entry points
- `order_place(...)`: the storefront's (and back office's) single call to place an order.
- `subscription_change_request(...)`: quantity / suspend / reactivate / auto-renew / cancel, validated first.
- `operation_execute(...)`, `operation_fail(...)`, `operation_retry(...)`, `operation_settle_unknown(...)`,
  `operations_enqueue_due(...)`: the operation life cycle, driven by `provisioning.tasks`.
- `domain_prefix_check`, `relationship_request_link`, `order_check_relationship_now`, `order_pop_admin_credentials`.

Reliability: every operation row is created in the transaction that creates its business change, with its
MS-RequestId; it is enqueued only after that transaction commits; a worker claims it with a lease (so two workers
never run it at once, and a dead worker's step is taken over once the lease expires); each try is an attempt row;
a timeout on a write leaves it UNKNOWN until a read-back (`pipeline.SETTLERS`) settles it.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from bss.choices import AcceptanceRole, CspModel, OrderKind, OrderStatus, RelationshipStatus, SubscriptionStatus
from bss.exceptions import ApplicationError, InvalidTransition, NotFound
from bss.models import (
    Customer,
    Marketplace,
    MCAAcceptance,
    MicrosoftTenant,
    Order,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from bss.partner_center import get_client
from bss.services import mca as mca_services
from bss.services import orders as order_services
from bss.services import subscriptions as subscription_services
from bss.services.accounts import customer_create, tenant_create
from bss.services.audit import audit_record, snapshot
from partnercenter import errors as pc_errors
from provisioning import pipeline
from provisioning.choices import (
    CLAIMABLE_STATUSES,
    OPERATION_TRANSITIONS,
    SUBSCRIPTION_CHANGE_KINDS,
    WRITE_KINDS,
    AttemptOutcome,
    OperationKind,
    OperationStatus,
)
from provisioning.inputs import (
    ChangeBaseline,
    ExistingTenantInput,
    MCAAcceptanceInput,
    NewCustomerInput,
    OrderLineInput,
)
from provisioning.models import InitialAdminCredentials, ProvisioningAttempt, ProvisioningOperation
from provisioning.tasks import operation_execute_task, order_email_task

logger = logging.getLogger(__name__)

# A worker's claim on an operation; must outlast one execution (client timeout x in-client retries, plus margin).
LEASE_SECONDS = getattr(settings, "PROVISIONING_LEASE_SECONDS", 600)
# An unknown write is read back after this; a lost wake-up is re-enqueued by the periodic sweep after its due time.
SETTLE_DELAY_SECONDS = 5.0
RETRY_BASE_SECONDS = getattr(settings, "PROVISIONING_RETRY_BASE_SECONDS", 5.0)
CREDENTIALS_TTL_HOURS = getattr(settings, "PROVISIONING_CREDENTIALS_TTL_HOURS", 72)
# Partner Center error codes that mean "busy, try again" although their HTTP status is not a retryable one.
_BUSY_CODES = {800060, 800064}


class MCARequired(ApplicationError):
    code = "mca_required"


class OperationNotRetryable(ApplicationError):
    code = "operation_not_retryable"


class SubscriptionChangeRefused(ApplicationError):
    code = "subscription_change_refused"


# --- order placement ---------------------------------------------------------------------------------------------


def order_place(
    *,
    actor: User,
    marketplace: Marketplace,
    reseller: Reseller,
    lines: list[OrderLineInput],
    new_customer: NewCustomerInput | None = None,
    customer: Customer | None = None,
    existing_tenant: ExistingTenantInput | None = None,
    mca: MCAAcceptanceInput | None,
    submission_key: str,
) -> Order:
    """Validate and place an order; provisioning starts once the transaction has committed.

    Exactly one of `new_customer` (a new BSS customer) or `customer` (an existing one) is given. With
    `existing_tenant` the order is for the customer's existing Microsoft 365 tenant: it waits in "awaiting
    relationship" until the tenant's admin has accepted the reseller relationship. With `new_customer` alone a new
    tenant `<domain_prefix>.onmicrosoft.com` is created (its availability is checked live first). With `customer`
    alone the order is for that customer's tenant on the marketplace's Partner Center instance.

    The same `submission_key` (one per cart submission: double click, two tabs) returns the order already placed
    instead of placing a second one. Raises `bss.exceptions.ApplicationError` subclasses with a message for the user.
    """
    if not submission_key:
        raise ApplicationError("A submission key is required.", code="submission_key_required")
    existing = _order_for_submission(submission_key, reseller)
    if existing is not None:
        return existing
    if (new_customer is None) == (customer is None):
        raise ApplicationError("Give either the new customer's details or an existing customer.", code="bad_request")
    if customer is not None and customer.reseller_id != reseller.pk:
        raise NotFound("Customer not found.")
    order_services.order_validate_instance(marketplace=marketplace)
    order_services.order_validate_lines(marketplace=marketplace, lines=lines)
    if new_customer is not None and existing_tenant is None:
        order_services.order_validate_new_customer(new_customer=new_customer, marketplace=marketplace)
        check = domain_prefix_check(instance=marketplace.instance, prefix=new_customer.domain_prefix)
        if not check.available and check.taken:
            raise order_services.DomainTaken(check.message)
    try:
        with transaction.atomic():
            return _order_place_atomic(
                actor=actor,
                marketplace=marketplace,
                reseller=reseller,
                lines=lines,
                new_customer=new_customer,
                customer=customer,
                existing_tenant=existing_tenant,
                mca=mca,
                submission_key=submission_key,
            )
    except IntegrityError:
        # Two submissions of the same cart raced: the unique submission key let exactly one through.
        existing = _order_for_submission(submission_key, reseller)
        if existing is None:
            raise
        return existing


def _order_for_submission(submission_key: str, reseller: Reseller) -> Order | None:
    order = Order.objects.filter(submission_key=submission_key).first()
    if order is not None and order.reseller_id != reseller.pk:
        raise order_services.DuplicateSubmissionKey("This submission key has already been used.")
    return order


def _order_place_atomic(
    *,
    actor: User,
    marketplace: Marketplace,
    reseller: Reseller,
    lines: list[OrderLineInput],
    new_customer: NewCustomerInput | None,
    customer: Customer | None,
    existing_tenant: ExistingTenantInput | None,
    mca: MCAAcceptanceInput | None,
    submission_key: str,
) -> Order:
    instance = marketplace.instance
    if customer is not None:
        customer = Customer.objects.select_for_update(of=("self",)).get(pk=customer.pk)
    if mca is None and (customer is None or not mca_services.mca_on_record(customer=customer)):
        raise MCARequired(
            "The customer's acceptance of the Microsoft Customer Agreement must be on record before ordering: "
            "let the customer accept it, or confirm that the customer has accepted it."
        )
    if mca is not None:
        mca_services.mca_validate(actor=actor, mca=mca)

    tenant: MicrosoftTenant | None = None
    if existing_tenant is not None:
        kind = OrderKind.EXISTING_TENANT
        ref = existing_tenant.domain_or_tenant_id.strip().lower()
        if not ref:
            raise order_services.OrderRefused("Enter the tenant's domain or tenant id.", code="tenant_required")
        tenant = MicrosoftTenant.objects.filter(
            Q(default_domain=ref) | Q(pc_customer_id=ref), instance=instance
        ).first()
        if tenant is not None and (customer is None or tenant.customer_id != customer.pk):
            raise order_services.OrderRefused(
                f"The tenant {ref} already belongs to another customer.", code="tenant_taken"
            )
    elif new_customer is not None:
        kind = OrderKind.NEW_CUSTOMER
    else:
        kind = OrderKind.ADD_ON
        tenant = (
            MicrosoftTenant.objects.filter(customer=customer, instance=instance)
            .exclude(relationship_status=RelationshipStatus.REMOVED)
            .order_by("id")
            .first()
        )
        if tenant is None:
            raise order_services.OrderRefused(
                "This customer has no Microsoft tenant in this marketplace's Partner Center account yet.",
                code="tenant_required",
            )
        if tenant.relationship_status != RelationshipStatus.ACTIVE or not tenant.pc_customer_id:
            raise order_services.OrderRefused(
                f"The tenant {tenant.default_domain} is still being set up; order again once its first order "
                "has completed.",
                code="tenant_not_ready",
            )

    order_services.order_validate_repeat(tenant=tenant, lines=lines)
    targets = order_services.order_validate_targets(customer=customer, lines=lines)

    if customer is None:
        assert new_customer is not None
        customer = customer_create(
            actor=actor,
            reseller=reseller,
            marketplace=marketplace,
            company_name=new_customer.company_name.strip(),
            country=new_customer.country.strip().upper(),
            contact_first_name=new_customer.contact_first_name.strip(),
            contact_last_name=new_customer.contact_last_name.strip(),
            contact_email=new_customer.contact_email.strip(),
            contact_phone=new_customer.contact_phone.strip(),
            address_line1=new_customer.address_line1.strip(),
            city=new_customer.city.strip(),
            state=new_customer.state.strip(),
            postal_code=new_customer.postal_code.strip(),
            culture=new_customer.culture,
        )
    if tenant is None:
        if existing_tenant is not None:
            ref = existing_tenant.domain_or_tenant_id.strip().lower()
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=ref,
                pc_customer_id=ref if pipeline.GUID_RE.match(ref) else None,
                relationship_status=RelationshipStatus.AWAITING_ACCEPTANCE,
            )
        else:
            assert new_customer is not None
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=order_services.domain_prefix_normalize(new_customer.domain_prefix)
                + order_services.ONMICROSOFT_SUFFIX,
            )

    acceptance = None
    if mca is not None:
        acceptance = mca_services.mca_acceptance_record(actor=actor, customer=customer, tenant=tenant, mca=mca)
    elif kind != OrderKind.ADD_ON:
        acceptance = MCAAcceptance.objects.filter(customer=customer).order_by("-accepted_at", "-id").first()
    else:
        acceptance = mca_services.mca_pending_attestation(customer=customer)

    order = order_services.order_create(
        actor=actor,
        kind=kind,
        customer=customer,
        tenant=tenant,
        reseller=reseller,
        marketplace=marketplace,
        lines=lines,
        submission_key=submission_key,
        status=OrderStatus.AWAITING_RELATIONSHIP if kind == OrderKind.EXISTING_TENANT else OrderStatus.PENDING,
    )
    first = _create_order_operations(
        order=order,
        actor=actor,
        instance=instance,
        tenant=tenant,
        new_customer=new_customer if kind == OrderKind.NEW_CUSTOMER else None,
        existing_tenant=existing_tenant,
        acceptance=acceptance,
        targets=targets,
        reseller=reseller,
    )
    if first is not None:
        _enqueue(first.pk)
    return order


def _create_order_operations(
    *,
    order: Order,
    actor: User,
    instance: PartnerCenterInstance,
    tenant: MicrosoftTenant,
    new_customer: NewCustomerInput | None,
    existing_tenant: ExistingTenantInput | None,
    acceptance: MCAAcceptance | None,
    targets: dict[int, Subscription],
    reseller: Reseller,
) -> ProvisioningOperation | None:
    """The order's steps, chained: each depends on the previous one. Returns the first."""
    steps: list[tuple[str, dict[str, Any], Subscription | None]] = []
    customer = order.customer
    if new_customer is not None:
        steps.append(
            (
                OperationKind.CREATE_CUSTOMER,
                {
                    "domain": tenant.default_domain,
                    "company_name": customer.company_name,
                    "email": customer.contact_email,
                    "culture": new_customer.culture or "en-US",
                    "language": (new_customer.language or "en").lower(),
                    "associated_partner_id": _associated_partner_id(instance, reseller),
                    "address": {
                        "country": customer.country,
                        "city": customer.city,
                        "state": customer.state,
                        "address_line1": customer.address_line1,
                        "postal_code": customer.postal_code,
                        "first_name": customer.contact_first_name,
                        "last_name": customer.contact_last_name,
                        "phone_number": customer.contact_phone,
                    },
                },
                None,
            )
        )
    elif existing_tenant is not None and tenant.relationship_status != RelationshipStatus.ACTIVE:
        steps.append(
            (OperationKind.AWAIT_RELATIONSHIP, {"domain_or_tenant_id": existing_tenant.domain_or_tenant_id}, None)
        )
    if acceptance is not None and acceptance.attested_at is None:
        steps.append((OperationKind.CONFIRM_AGREEMENT, {"acceptance_id": acceptance.pk}, None))
    cart_lines = [line for line in order.lines.all() if line.target_subscription_id is None]
    if cart_lines:
        steps.append(
            (
                OperationKind.CREATE_CART,
                {
                    "lines": [
                        {
                            "order_line_id": line.pk,
                            "catalog_item_id": f"{line.pc_product_id}:{line.pc_sku_id}:{line.pc_availability_id}",
                            "product_name": line.product_name,
                            "quantity": line.quantity,
                            "billing_cycle": line.billing_cycle,
                            "term_duration": line.term_duration,
                        }
                        for line in cart_lines
                    ],
                    "transaction_reseller_id": _transaction_reseller_id(instance, reseller),
                },
                None,
            )
        )
        steps += [
            (OperationKind.CHECKOUT, {}, None),
            (OperationKind.AWAIT_ORDER, {}, None),
            (OperationKind.RECORD_SUBSCRIPTIONS, {}, None),
        ]
    for line in order.lines.all():
        if line.target_subscription_id is not None:
            target = targets[line.target_subscription_id]
            steps.append(
                (
                    OperationKind.CHANGE_QUANTITY,
                    {"quantity": target.quantity + line.quantity, "order_line_id": line.pk, "reason": "order"},
                    target,
                )
            )
    previous = first = None
    for sequence, (kind, payload, subscription) in enumerate(steps, start=1):
        op = ProvisioningOperation.objects.create(
            kind=kind,
            instance=instance,
            order=order,
            tenant=tenant,
            subscription=subscription,
            sequence=sequence,
            depends_on=previous,
            payload=payload,
            created_by=actor if actor is not None and actor.pk else None,
        )
        first = first or op
        previous = op
    return first


def _associated_partner_id(instance: PartnerCenterInstance, reseller: Reseller) -> str:
    if instance.csp_model == CspModel.INDIRECT_PROVIDER and reseller.parent_id and reseller.pc_tenant_id:
        return reseller.pc_tenant_id
    return ""


def _transaction_reseller_id(instance: PartnerCenterInstance, reseller: Reseller) -> str:
    """Indirect providers put the reseller's partner id on every cart line (partner of record)."""
    if instance.csp_model == CspModel.INDIRECT_PROVIDER and reseller.parent_id and reseller.partner_id:
        return reseller.partner_id
    return ""


# --- checks and links for the storefront --------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainCheck:
    available: bool
    message: str
    domain: str = ""
    taken: bool = False


def domain_prefix_check(*, instance: PartnerCenterInstance, prefix: str) -> DomainCheck:
    """Format rules, then a live `HEAD /v1/domains/{prefix}.onmicrosoft.com` through the instance's client."""
    problem = order_services.domain_prefix_problem(prefix)
    if problem:
        return DomainCheck(False, problem)
    domain = order_services.domain_prefix_normalize(prefix) + order_services.ONMICROSOFT_SUFFIX
    if MicrosoftTenant.objects.filter(instance=instance, default_domain=domain).exists():
        return DomainCheck(False, f"{domain} is already taken; choose another prefix.", domain, taken=True)
    try:
        available = get_client(instance).customers.is_domain_available(domain=domain)
    except pc_errors.PartnerCenterError as exc:
        logger.warning("domain check failed for instance %s: %s", instance.pk, exc)
        return DomainCheck(False, "Partner Center could not be asked right now; try again in a moment.", domain)
    if not available:
        return DomainCheck(False, f"{domain} is already taken; choose another prefix.", domain, taken=True)
    return DomainCheck(True, f"{domain} is available.", domain)


def relationship_request_link(*, instance: PartnerCenterInstance, reseller: Reseller) -> str:
    """The link the existing tenant's global admin opens to accept the reseller relationship.

    Indirect providers: the invitation names the indirect reseller (its tenant id, else its partner id) and the
    provider, so the customer accepts both; otherwise Partner Center's own link for this partner."""
    if (
        instance.csp_model == CspModel.INDIRECT_PROVIDER
        and reseller.parent_id
        and (reseller.pc_tenant_id or reseller.partner_id)
    ):
        return (
            "https://admin.microsoft.com/Adminportal/Home?invType=IndirectResellerRelationship"
            f"&partnerId={reseller.pc_tenant_id or reseller.partner_id}&msppId=0"
            f"&indirectCSPId={instance.partner_tenant_id}#/BillingAccounts/partner-invitation"
        )
    return get_client(instance).customers.get_relationship_request_link().url


@dataclass(frozen=True)
class RelationshipCheck:
    found: bool
    message: str
    order: Order


def order_check_relationship_now(*, order: Order) -> RelationshipCheck:
    """The "check now" button: look for the relationship at once (instead of at the next periodic check)."""
    op = (
        ProvisioningOperation.objects.filter(order=order, kind=OperationKind.AWAIT_RELATIONSHIP)
        .order_by("sequence")
        .first()
    )
    if op is None or op.status == OperationStatus.SUCCEEDED:
        order.refresh_from_db()
        return RelationshipCheck(True, "The reseller relationship is in place.", order)
    if op.status in (OperationStatus.FAILED, OperationStatus.CANCELLED):
        order.refresh_from_db()
        return RelationshipCheck(False, "This order is no longer waiting for the relationship.", order)
    try:
        op = operation_execute(operation_id=op.pk, worker=f"check-now-{uuid.uuid4().hex[:8]}")
    except pc_errors.PartnerCenterError:
        order.refresh_from_db()
        return RelationshipCheck(False, "Partner Center could not be asked right now; try again in a moment.", order)
    order.refresh_from_db()
    if op.status == OperationStatus.SUCCEEDED:
        return RelationshipCheck(True, "The relationship has been accepted; provisioning continues.", order)
    return RelationshipCheck(False, "Partner Center does not show the relationship yet.", order)


@dataclass(frozen=True)
class AdminCredentials:
    user_name: str
    password: str
    domain: str


@transaction.atomic
def order_pop_admin_credentials(*, order: Order, user: User) -> AdminCredentials | None:
    """The new tenant's initial admin credentials, once: to the user who placed the order, then they are deleted."""
    if not user.is_authenticated or order.placed_by_id != user.pk:
        return None
    held = InitialAdminCredentials.objects.select_for_update(of=("self",)).filter(order=order).first()
    if held is None:
        return None
    credentials = AdminCredentials(user_name=held.user_name, password=held.password, domain=order.tenant.default_domain)
    held.delete()
    audit_record(actor=user, action="order.admin_credentials_shown", obj=order, after={"user_name": held.user_name})
    return credentials


def credentials_purge_expired(*, now: datetime | None = None) -> int:
    """Initial passwords nobody came to see are deleted after the TTL (the admin can reset it in Microsoft 365)."""
    cutoff = (now or timezone.now()) - timedelta(hours=CREDENTIALS_TTL_HOURS)
    deleted, _ = InitialAdminCredentials.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- subscription changes -----------------------------------------------------------------------------------------


def subscription_change_request(
    *,
    actor: User,
    subscription: Subscription,
    quantity: int | None = None,
    suspend: bool | None = None,
    auto_renew: bool | None = None,
    cancel: bool = False,
    against: ChangeBaseline | None = None,
) -> ProvisioningOperation:
    """Ask for one change of a subscription; it is applied to the BSS record only once Partner Center confirms.

    New-commerce rules: quantity may go up at any time; down only by licences added in the last 7 days; cancel only
    until the cancellation deadline. Exactly one of quantity / suspend / auto_renew / cancel is given.

    The change is judged against the BSS record, or against `against` (Partner Center's current values) when
    reconciliation pushes the BSS value to Partner Center: there the BSS already holds the target value.
    """
    chosen = [
        name
        for name, value in (("quantity", quantity), ("suspend", suspend), ("auto_renew", auto_renew))
        if value is not None
    ] + (["cancel"] if cancel else [])
    if len(chosen) != 1:
        raise SubscriptionChangeRefused("Choose exactly one change.", code="bad_request")
    with transaction.atomic():
        sub = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("tenant__instance")
            .get(pk=subscription.pk)
        )
        if not sub.pc_subscription_id or not sub.tenant.pc_customer_id:
            raise SubscriptionChangeRefused("This subscription is not linked to Partner Center yet.")
        if ProvisioningOperation.objects.filter(subscription=sub, status__in=[*CLAIMABLE_STATUSES, "running"]).exists():
            raise SubscriptionChangeRefused("A change of this subscription is already in progress; wait for it.")
        now = timezone.now()
        base = against or ChangeBaseline(
            quantity=sub.quantity, status=sub.status, cancellation_allowed_until=sub.cancellation_allowed_until
        )
        window_open = base.cancellation_allowed_until is None or now <= base.cancellation_allowed_until
        deadline = (
            f" (the window closed on {base.cancellation_allowed_until:%Y-%m-%d %H:%M} UTC)"
            if base.cancellation_allowed_until
            else ""
        )
        payload: dict[str, Any]
        if quantity is not None:
            if base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused(
                    f"The quantity of a {SubscriptionStatus(base.status).label.lower()} subscription cannot be changed."
                )
            if quantity < 1:
                raise SubscriptionChangeRefused("The quantity must be at least 1; cancel the subscription instead.")
            if quantity == base.quantity:
                raise SubscriptionChangeRefused(f"The subscription already has {quantity} licences.")
            if quantity < base.quantity:
                refundable = (
                    base.refundable_quantity if base.refundable_quantity is not None
                    else subscription_services.subscription_refundable_quantity(subscription=sub, now=now)
                )
                if base.quantity - quantity > refundable:
                    raise SubscriptionChangeRefused(
                        f"Only licences added in the last 7 days can be removed ({refundable} now); "
                        f"the lowest possible quantity is {base.quantity - refundable}.",
                        extra={"refundable": refundable},
                    )
            kind, payload = OperationKind.CHANGE_QUANTITY, {"quantity": quantity, "reason": "change"}
        elif suspend is not None:
            if suspend and base.status != SubscriptionStatus.ACTIVE:
                raise SubscriptionChangeRefused("Only an active subscription can be suspended.")
            if not suspend and base.status != SubscriptionStatus.SUSPENDED:
                raise SubscriptionChangeRefused("Only a suspended subscription can be reactivated.")
            kind, payload = (OperationKind.SUSPEND if suspend else OperationKind.REACTIVATE), {}
        elif auto_renew is not None:
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("Auto-renew can be changed only on an active or suspended subscription")
            kind, payload = OperationKind.SET_AUTO_RENEW, {"auto_renew": bool(auto_renew)}
        else:
            if base.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
                raise SubscriptionChangeRefused("This subscription cannot be cancelled.")
            if not window_open:
                raise SubscriptionChangeRefused(
                    "New-commerce subscriptions can be cancelled only within 7 days of purchase or renewal"
                    + deadline
                    + "; turn auto-renew off instead."
                )
            kind, payload = OperationKind.CANCEL, {}
        op = ProvisioningOperation.objects.create(
            kind=kind,
            instance=sub.tenant.instance,
            tenant=sub.tenant,
            subscription=sub,
            payload=payload,
            created_by=actor if actor is not None and actor.pk else None,
        )
        audit_record(actor=actor, action=f"subscription.request_{kind}", obj=sub, after={"operation": op.pk, **payload})
        _enqueue(op.pk)
    return op


# --- the operation life cycle ---------------------------------------------------------------------------------------


def _enqueue(operation_id: int, countdown: float | None = None) -> None:
    """Run the operation after the current transaction commits (never before: the worker could not see it)."""
    if countdown and operation_execute_task.app.conf.task_always_eager:
        # In-process (tests, embedded demo without a worker) a countdown cannot be honoured; the periodic sweep
        # (`operations_due_task`) runs the step when it is due.
        return
    options: dict[str, Any] = {"countdown": min(countdown, settings.CELERY_MAX_COUNTDOWN)} if countdown else {}
    transaction.on_commit(lambda: operation_execute_task.apply_async(args=[operation_id], **options))


def _set_status(op: ProvisioningOperation, status: str) -> None:
    if status not in OPERATION_TRANSITIONS.get(op.status, set()):
        raise InvalidTransition(
            f"Operation {op.pk} cannot go from {op.get_status_display()} to {OperationStatus(status).label}.",
            extra={"from": op.status, "to": status},
        )
    op.status = status


def retry_countdown(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff for retry number `attempt` (1-based), at least Partner Center's Retry-After, capped by
    the broker's visibility timeout (CELERY_MAX_COUNTDOWN)."""
    backoff = RETRY_BASE_SECONDS * (2 ** max(0, attempt - 1))
    return float(min(max(backoff, retry_after or 0.0), settings.CELERY_MAX_COUNTDOWN))


def is_retryable(exc: pc_errors.PartnerCenterError) -> bool:
    if exc.retryable:
        return True
    if isinstance(exc, pc_errors.PreconditionFailedError):
        return True  # stale etag: the next attempt starts from a fresh read
    return isinstance(exc, pc_errors.APIError) and exc.code in _BUSY_CODES


def _claim(operation_id: int, worker: str) -> tuple[ProvisioningOperation, str] | None:
    """Take the operation for this worker, or None if it is not runnable now (done, someone else's, or waiting for
    the step before it)."""
    with transaction.atomic():
        op = (
            ProvisioningOperation.objects.select_for_update(of=("self",))
            .select_related("depends_on", "instance", "subscription__tenant", "tenant", "order")
            .filter(pk=operation_id)
            .first()
        )
        if op is None:
            return None
        now = timezone.now()
        if op.status == OperationStatus.RUNNING:
            if op.claimed_by != worker and op.claimed_until and op.claimed_until > now:
                return None
        elif op.status not in CLAIMABLE_STATUSES:
            return None
        if op.depends_on is not None and op.depends_on.status != OperationStatus.SUCCEEDED:
            return None
        previous = op.status
        if previous == OperationStatus.RUNNING and op.kind in WRITE_KINDS:
            # The worker that ran it died mid-call: whether Partner Center got the write is unknown.
            previous = OperationStatus.UNKNOWN
        _set_status(op, OperationStatus.RUNNING)
        op.claimed_by = worker
        op.claimed_until = now + timedelta(seconds=LEASE_SECONDS)
        op.attempt_count += 1
        op.save(update_fields=["status", "claimed_by", "claimed_until", "attempt_count", "updated_at"])
        if op.order is not None and op.order.status == OrderStatus.PENDING:
            order_services.order_set_status(order=op.order, status=OrderStatus.PROVISIONING)
        return op, previous


def operation_execute(*, operation_id: int, worker: str = "") -> ProvisioningOperation:
    """Run one step if it is runnable; record the attempt and its outcome.

    Success applies the step's effect (tenant id, subscriptions, quantities...) and enqueues the next step. "Not yet"
    (order still provisioning, relationship not accepted) schedules another look. A retryable Partner Center error
    is recorded and re-raised for the task to retry; a timeout on a write marks the step UNKNOWN (read back on the
    next run) and is re-raised too; any other error fails the step and its order with Partner Center's message.
    """
    worker = worker or f"inline-{uuid.uuid4().hex[:12]}"
    claimed = _claim(operation_id, worker)
    if claimed is None:
        return ProvisioningOperation.objects.get(pk=operation_id)
    op, previous = claimed
    settling = previous == OperationStatus.UNKNOWN and op.kind in pipeline.SETTLERS
    handler = pipeline.SETTLERS[op.kind] if settling else pipeline.EXECUTORS[op.kind]
    started_at = timezone.now()
    started = time.monotonic()
    with pipeline.recording_calls() as calls:
        try:
            client = get_client(op.instance)
            outcome = handler(client, op)
        except pc_errors.PartnerCenterError as exc:
            return _record_error(op, worker, exc, started_at, started, calls, settling)
        except pipeline.PermanentFailure as exc:
            _record_attempt(
                op,
                worker,
                AttemptOutcome.PERMANENT_ERROR,
                started_at,
                started,
                calls,
                message=exc.message,
                code=exc.code,
            )
            return operation_fail(operation=op, message=exc.message, code=exc.code)
    return _record_outcome(op, worker, outcome, started_at, started, calls)


def operation_settle_unknown(*, operation: ProvisioningOperation) -> ProvisioningOperation:
    """Read back a step whose outcome is unknown (timeout or lost connection), now: it becomes succeeded (the write
    happened), or is executed again with the same MS-RequestId / the same cart (it did not)."""
    if operation.status != OperationStatus.UNKNOWN:
        raise OperationNotRetryable(f"Operation {operation.pk} is not in the unknown state.")
    return operation_execute(operation_id=operation.pk)


def _record_attempt(
    op: ProvisioningOperation,
    worker: str,
    outcome: str,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
    *,
    message: str = "",
    code: str = "",
    http_status: int | None = None,
    correlation_id: str = "",
    response: dict[str, Any] | None = None,
) -> ProvisioningAttempt:
    last = calls[-1] if calls else {}
    return ProvisioningAttempt.objects.create(
        operation=op,
        number=op.attempt_count,
        started_at=started_at,
        finished_at=timezone.now(),
        duration_ms=int((time.monotonic() - started) * 1000),
        outcome=outcome,
        http_status=http_status or last.get("status"),
        pc_error_code=code,
        correlation_id=correlation_id or last.get("correlation_id") or "",
        request_id=str(op.ms_request_id),
        message=message[:4000],
        response={**(response or {}), "calls": list(calls)[-20:]},
        worker=worker[:64],
    )


def _relock(op: ProvisioningOperation, worker: str) -> ProvisioningOperation | None:
    """The operation, locked, if this worker still holds it (its lease may have been taken over)."""
    current = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=op.pk)
    if current.status != OperationStatus.RUNNING or current.claimed_by != worker:
        return None
    return current


def _record_error(
    op: ProvisioningOperation,
    worker: str,
    exc: pc_errors.PartnerCenterError,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
    settling: bool,
) -> ProvisioningOperation:
    message = exc.description or exc.message
    code = str(exc.code or (exc.error_name or ""))
    unknown = op.kind in WRITE_KINDS and isinstance(exc, pc_errors.TransportError)
    retryable = is_retryable(exc)
    with transaction.atomic():
        current = _relock(op, worker)
        outcome = (
            AttemptOutcome.UNKNOWN
            if unknown
            else (AttemptOutcome.TRANSIENT_ERROR if retryable else AttemptOutcome.PERMANENT_ERROR)
        )
        _record_attempt(
            op,
            worker,
            outcome,
            started_at,
            started,
            calls,
            message=message,
            code=code,
            http_status=exc.http_status,
            correlation_id=exc.correlation_id or "",
        )
        if current is None:
            return ProvisioningOperation.objects.get(pk=op.pk)
        if not (unknown or retryable):
            return operation_fail(operation=current, message=_pc_message(exc), code=code)
        # Still unknown if this was a read-back of an unknown step that could not complete.
        status = OperationStatus.UNKNOWN if unknown or settling else OperationStatus.RETRYING
        _set_status(current, status)
        delay = (
            SETTLE_DELAY_SECONDS
            if unknown
            else retry_countdown(attempt=current.attempt_count, retry_after=exc.retry_after)
        )
        current.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        current.claimed_by, current.claimed_until = "", None
        current.last_http_status = exc.http_status
        current.last_error_code = code[:40]
        current.last_error_message = _pc_message(exc)
        current.save(
            update_fields=[
                "status",
                "next_attempt_at",
                "claimed_by",
                "claimed_until",
                "last_http_status",
                "last_error_code",
                "last_error_message",
                "updated_at",
            ]
        )
    raise exc


def _pc_message(exc: pc_errors.PartnerCenterError) -> str:
    text = exc.description or exc.message
    if exc.code:
        text += f" (Partner Center code {exc.code})"
    return text


def _record_outcome(
    op: ProvisioningOperation,
    worker: str,
    outcome: pipeline.Outcome,
    started_at: datetime,
    started: float,
    calls: Sequence[dict[str, Any]],
) -> ProvisioningOperation:
    waiting = outcome.wait is not None
    with transaction.atomic():
        current = _relock(op, worker)
        _record_attempt(
            op,
            worker,
            AttemptOutcome.WAITING if waiting else AttemptOutcome.SUCCEEDED,
            started_at,
            started,
            calls,
            message=outcome.message,
            response=outcome.response,
        )
        if current is None:
            return ProvisioningOperation.objects.get(pk=op.pk)
        current.claimed_by, current.claimed_until = "", None
        if waiting:
            _set_status(current, OperationStatus.WAITING)
            current.next_attempt_at = timezone.now() + timedelta(seconds=outcome.wait or 0)
            if outcome.result:
                current.result = outcome.result
            current.save(
                update_fields=["status", "next_attempt_at", "claimed_by", "claimed_until", "result", "updated_at"]
            )
            _enqueue(current.pk, countdown=outcome.wait)
            return current
        _set_status(current, OperationStatus.SUCCEEDED)
        current.result = outcome.result
        current.finished_at = timezone.now()
        current.next_attempt_at = None
        current.last_error_code = current.last_error_message = ""
        current.save(
            update_fields=[
                "status",
                "result",
                "finished_at",
                "next_attempt_at",
                "claimed_by",
                "claimed_until",
                "last_error_code",
                "last_error_message",
                "updated_at",
            ]
        )
        _apply_success(current, outcome)
        for following in current.dependents.filter(status=OperationStatus.PENDING):
            _enqueue(following.pk)
        if current.order_id is not None:
            _order_maybe_completed(current.order)
    return current


def _apply_success(op: ProvisioningOperation, outcome: pipeline.Outcome) -> None:
    """The business effect of a confirmed step, in the transaction that records it."""
    kind = op.kind
    actor = op.created_by
    if kind in (OperationKind.CREATE_CUSTOMER, OperationKind.AWAIT_RELATIONSHIP):
        tenant = MicrosoftTenant.objects.select_for_update(of=("self",)).get(pk=op.tenant_id)
        before = snapshot(tenant, ["pc_customer_id", "default_domain", "relationship_status"])
        tenant.pc_customer_id = outcome.result["customer_id"]
        domain = (outcome.result.get("domain") or tenant.default_domain).lower()
        if (
            not MicrosoftTenant.objects.filter(instance_id=tenant.instance_id, default_domain=domain)
            .exclude(pk=tenant.pk)
            .exists()
        ):
            tenant.default_domain = domain
        tenant.relationship_status = RelationshipStatus.ACTIVE
        tenant.save(update_fields=["pc_customer_id", "default_domain", "relationship_status", "updated_at"])
        audit_record(
            actor=None,
            actor_label="provisioning",
            action="tenant.linked",
            obj=tenant,
            before=before,
            after=snapshot(tenant, ["pc_customer_id", "default_domain", "relationship_status"]),
        )
        if outcome.secret is not None and op.order_id is not None:
            InitialAdminCredentials.objects.update_or_create(
                order_id=op.order_id,
                defaults={"user_name": outcome.secret.user_name, "password": outcome.secret.password},
            )
        if kind == OperationKind.AWAIT_RELATIONSHIP and op.order is not None:
            order_services.order_set_status(order=op.order, status=OrderStatus.PROVISIONING)
    elif kind == OperationKind.CONFIRM_AGREEMENT:
        acceptance = MCAAcceptance.objects.get(pk=op.payload["acceptance_id"])
        if acceptance.attested_at is None:
            mca_services.mca_mark_attested(acceptance=acceptance, tenant=op.tenant)
    elif kind == OperationKind.RECORD_SUBSCRIPTIONS:
        _record_order_subscriptions(op, outcome)
    elif kind in SUBSCRIPTION_CHANGE_KINDS:
        pc = outcome.data
        sub = op.subscription
        if kind == OperationKind.CHANGE_QUANTITY:
            subscription_services.subscription_apply_quantity(
                subscription=sub, pc=pc, actor=actor, reason=op.payload.get("reason", "change")
            )
        elif kind == OperationKind.SET_AUTO_RENEW:
            subscription_services.subscription_apply_auto_renew(subscription=sub, pc=pc, actor=actor)
        elif kind == OperationKind.CANCEL:
            subscription_services.subscription_apply_cancel(subscription=sub, pc=pc, actor=actor)
        else:
            subscription_services.subscription_apply_status(subscription=sub, pc=pc, actor=actor)


def _record_order_subscriptions(op: ProvisioningOperation, outcome: pipeline.Outcome) -> None:
    order = op.order
    cart_op = ProvisioningOperation.objects.get(order=order, kind=OperationKind.CREATE_CART)
    lines = {line.pk: line for line in order.lines.all()}
    unmatched = [dict(entry) for entry in cart_op.payload["lines"]]
    tenant = MicrosoftTenant.objects.get(pk=op.tenant_id)
    for pc in sorted(outcome.data["subscriptions"], key=lambda s: s.id):
        entry = _match_line(unmatched, pc)
        line = lines.get(entry["order_line_id"]) if entry else None
        sub = subscription_services.subscription_record_from_partner_center(
            tenant=tenant, order_line=line, pc=pc, actor=order.placed_by
        )
        if pc.id in outcome.data["entitlements"]:
            subscription_services.subscription_record_entitlements(
                subscription=sub, entitlements=outcome.data["entitlements"][pc.id]
            )


def _match_line(unmatched: list[dict[str, Any]], pc: Any) -> dict[str, Any] | None:
    """The cart line a Partner Center subscription came from: same catalog item (else same product and SKU)."""
    offer = (pc.offer_id or "").upper()
    for rule in (
        lambda e: e["catalog_item_id"].upper() == offer and e["quantity"] == pc.quantity,
        lambda e: e["catalog_item_id"].upper() == offer,
        lambda e: e["catalog_item_id"].upper().split(":")[:2] == offer.split(":")[:2],
    ):
        for entry in unmatched:
            if rule(entry):
                unmatched.remove(entry)
                return entry
    return None


def _order_maybe_completed(order: Order) -> None:
    ops = list(ProvisioningOperation.objects.filter(order=order).values_list("status", flat=True))
    if ops and all(status == OperationStatus.SUCCEEDED for status in ops):
        order = Order.objects.get(pk=order.pk)
        if order.status != OrderStatus.COMPLETED:
            order_services.order_set_status(order=order, status=OrderStatus.COMPLETED)
            transaction.on_commit(lambda: order_email_task.delay(order.pk, "confirmation"))


@transaction.atomic
def operation_fail(*, operation: ProvisioningOperation, message: str, code: str = "") -> ProvisioningOperation:
    """Give up on a step (a permanent Partner Center error, or retries exhausted): the step and its order fail with
    Partner Center's message; later steps stay pending until someone retries. Idempotent."""
    op = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=operation.pk)
    if op.status in (OperationStatus.FAILED, OperationStatus.SUCCEEDED, OperationStatus.CANCELLED):
        return op
    before = snapshot(op, ["status"])
    _set_status(op, OperationStatus.FAILED)
    op.last_error_code = (code or "")[:40]
    op.last_error_message = message
    op.finished_at = timezone.now()
    op.claimed_by, op.claimed_until, op.next_attempt_at = "", None, None
    op.save(
        update_fields=[
            "status",
            "last_error_code",
            "last_error_message",
            "finished_at",
            "claimed_by",
            "claimed_until",
            "next_attempt_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=None,
        actor_label="provisioning",
        action="operation.fail",
        obj=op,
        before=before,
        after={"status": op.status, "error": message[:500], "code": code},
    )
    order = op.order
    if order is not None and order.status not in (OrderStatus.FAILED, OrderStatus.COMPLETED, OrderStatus.CANCELLED):
        reason = f"{op.get_kind_display()} failed: {message}"
        order_services.order_set_status(order=order, status=OrderStatus.FAILED, reason=reason)
        transaction.on_commit(lambda: order_email_task.delay(order.pk, "failure"))
    return op


@transaction.atomic
def operation_retry(*, actor: User, operation: ProvisioningOperation) -> ProvisioningOperation:
    """The back office's Retry button: put a failed step back in the queue, with the same MS-RequestId (and, for a
    checkout, the same cart), so a retry can never buy twice. A waiting/retrying/unknown step is run now instead."""
    op = ProvisioningOperation.objects.select_for_update(of=("self",)).select_related("order").get(pk=operation.pk)
    if op.status in (OperationStatus.WAITING, OperationStatus.RETRYING, OperationStatus.UNKNOWN):
        op.next_attempt_at = timezone.now()
        op.save(update_fields=["next_attempt_at", "updated_at"])
        audit_record(actor=actor, action="operation.run_now", obj=op, after={"status": op.status})
        _enqueue(op.pk)
        return op
    if op.status != OperationStatus.FAILED:
        raise OperationNotRetryable(f"Only a failed operation can be retried; this one is {op.get_status_display()}.")
    before = snapshot(op, ["status", "last_error_message"])
    _set_status(op, OperationStatus.PENDING)
    op.finished_at = None
    op.next_attempt_at = timezone.now()
    op.save(update_fields=["status", "finished_at", "next_attempt_at", "updated_at"])
    audit_record(actor=actor, action="operation.retry", obj=op, before=before, after={"status": op.status})
    order = op.order
    if order is not None and order.status == OrderStatus.FAILED:
        target = OrderStatus.PROVISIONING
        order_services.order_set_status(order=order, status=target, actor=actor)
    _enqueue(op.pk)
    return op


def operations_enqueue_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """The periodic sweep: enqueue steps whose due time has come (waiting for an order or a relationship, retry or
    read-back scheduled), steps whose worker died (lease expired), and steps whose wake-up message got lost."""
    now = now or timezone.now()
    due = (
        ProvisioningOperation.objects.filter(
            Q(
                status__in=[OperationStatus.WAITING, OperationStatus.RETRYING, OperationStatus.UNKNOWN],
                next_attempt_at__lte=now,
            )
            | Q(status=OperationStatus.RUNNING, claimed_until__lt=now)
            | Q(status=OperationStatus.PENDING, created_at__lt=now - timedelta(minutes=2))
            & (Q(depends_on__isnull=True) | Q(depends_on__status=OperationStatus.SUCCEEDED))
        )
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    count = 0
    for op_id in list(due):
        _release_dead_claim(op_id, now)
        operation_execute_task.apply_async(args=[op_id])
        count += 1
    return count


def _release_dead_claim(operation_id: int, now: datetime) -> None:
    """A step still "running" after its lease: its worker died. Whether a write reached Partner Center is unknown,
    so the next run reads it back first; a read is simply retried."""
    with transaction.atomic():
        op = (
            ProvisioningOperation.objects.select_for_update(of=("self",))
            .filter(pk=operation_id, status=OperationStatus.RUNNING, claimed_until__lt=now)
            .first()
        )
        if op is None:
            return
        _set_status(op, OperationStatus.UNKNOWN if op.kind in WRITE_KINDS else OperationStatus.RETRYING)
        op.claimed_by, op.claimed_until, op.next_attempt_at = "", None, now
        op.last_error_message = "The worker running this step stopped before it finished."
        op.save(
            update_fields=[
                "status",
                "claimed_by",
                "claimed_until",
                "next_attempt_at",
                "last_error_message",
                "updated_at",
            ]
        )


def order_progress(*, order: Order) -> list[ProvisioningOperation]:
    """The order's steps in order, for the live status on the order page."""
    return list(ProvisioningOperation.objects.filter(order=order).order_by("sequence"))


__all__ = [
    "AcceptanceRole",
    "AdminCredentials",
    "DomainCheck",
    "MCARequired",
    "RelationshipCheck",
    "credentials_purge_expired",
    "domain_prefix_check",
    "operation_execute",
    "operation_fail",
    "operation_retry",
    "operation_settle_unknown",
    "operations_enqueue_due",
    "order_check_relationship_now",
    "order_place",
    "order_pop_admin_credentials",
    "order_progress",
    "relationship_request_link",
    "subscription_change_request",
]
