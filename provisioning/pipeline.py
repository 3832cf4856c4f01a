"""What each kind of operation asks Partner Center, and how a step whose outcome is unknown is read back.

Executors and settlers only *call* Partner Center (through the client) and read the database; they return an
`Outcome` and never write. `provisioning.services` records the outcome and applies its effects in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bss.models import MCAAcceptance, MicrosoftTenant
from partnercenter import errors as pc_errors
from partnercenter.client import PartnerCenterClient
from partnercenter.types import Address, CartLineItemRequest, UserCredentials
from partnercenter.types import Subscription as PCSubscription
from provisioning.choices import OperationKind
from provisioning.models import ProvisioningOperation

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SECRET_KEYS = {"password", "user_credentials", "usercredentials", "refresh_token", "access_token", "secret"}


class PermanentFailure(Exception):
    """Partner Center answered, but the step cannot succeed as it stands (line errors, failed order...)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Outcome:
    """What one execution found. `wait` (seconds) means "not ready yet, look again later"; `secret` is never stored
    in `result`/`response`; `data` carries typed objects to the apply step and is not persisted."""

    result: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    wait: float | None = None
    message: str = ""
    secret: UserCredentials | None = None
    data: Any = None


# --- one record per HTTP call, from the client's own log line (status, duration, correlation id) -------------------

_calls: ContextVar[list[dict[str, Any]] | None] = ContextVar("provisioning_pc_calls", default=None)


class _CallRecorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        calls = _calls.get()
        if calls is None or not hasattr(record, "pc_method"):
            return
        calls.append(
            {
                "method": record.pc_method,
                "path": record.pc_path,
                "status": record.pc_status,
                "duration_ms": record.pc_duration_ms,
                "correlation_id": record.pc_correlation_id,
                "request_id": record.pc_request_id,
                "attempt": record.pc_attempt,
            }
        )


_recorder = _CallRecorder(level=logging.DEBUG)
_pc_logger = logging.getLogger("partnercenter")
if _recorder not in _pc_logger.handlers:
    _pc_logger.addHandler(_recorder)
    if _pc_logger.level == logging.NOTSET or _pc_logger.level > logging.INFO:
        _pc_logger.setLevel(logging.INFO)


@contextmanager
def recording_calls() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


# --- helpers ---------------------------------------------------------------------------------------------------------


def sanitize(value: Any, depth: int = 0) -> Any:
    """JSON-safe copy of a typed result, without secrets, bounded in size."""
    if depth > 6:
        return "..."
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            str(k): sanitize(v, depth + 1)
            for k, v in value.items()
            if str(k).lower() not in _SECRET_KEYS and v not in (None, (), [], {})
        }
    if isinstance(value, list | tuple):
        return [sanitize(v, depth + 1) for v in value[:50]]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, str):
        return value[:2000]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)[:500]


def _tenant(op: ProvisioningOperation) -> MicrosoftTenant:
    tenant = MicrosoftTenant.objects.get(pk=op.tenant_id)
    if not tenant.pc_customer_id:
        raise PermanentFailure("The customer's tenant has no Partner Center id yet.", code="tenant_not_ready")
    return tenant


def _previous(op: ProvisioningOperation, kind: str) -> ProvisioningOperation:
    found = ProvisioningOperation.objects.filter(order_id=op.order_id, kind=kind).order_by("-sequence").first()
    if found is None or not found.result:
        raise PermanentFailure(f"The {kind.replace('_', ' ')} step of this order has no result.", code="missing_step")
    return found


def _order_wait_seconds(op: ProvisioningOperation) -> float:
    # Partner Center orders usually complete within seconds to minutes; poll quickly first, then less often.
    return float(min(60, 2 ** min(op.attempt_count, 6)))


RELATIONSHIP_POLL_SECONDS = 300.0


# --- executors -------------------------------------------------------------------------------------------------------


def create_customer(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    p = op.payload
    address = p["address"]
    customer = client.customers.create(
        request_id=str(op.ms_request_id),
        domain=p["domain"],
        company_name=p["company_name"],
        email=p["email"],
        address=Address(
            country=address["country"],
            city=address["city"],
            state=address.get("state") or None,
            address_line1=address["address_line1"],
            postal_code=address["postal_code"],
            first_name=address.get("first_name") or None,
            last_name=address.get("last_name") or None,
            phone_number=address.get("phone_number") or None,
        ),
        culture=p.get("culture") or "en-US",
        language=p.get("language") or "en",
        associated_partner_id=p.get("associated_partner_id") or None,
    )
    return Outcome(
        result={"customer_id": customer.id, "domain": customer.domain or p["domain"]},
        response=sanitize(customer),
        secret=customer.user_credentials,
    )


def settle_create_customer(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """After a timeout: is there a customer with our domain? If not, creating it again is safe (same MS-RequestId)."""
    domain = op.payload["domain"].lower()
    prefix = domain.split(".")[0]
    found = [c for c in client.customers.list(domain_prefix=prefix) if (c.domain or "").lower() == domain]
    if not found:
        return create_customer(client, op)
    customer = found[0]
    # The create call is idempotent per MS-RequestId: replaying it returns the first answer, with the one-time
    # admin credentials. If this Partner Center does not replay, the customer stands without them.
    try:
        replay = create_customer(client, op)
    except pc_errors.APIError:
        return Outcome(
            result={"customer_id": customer.id, "domain": domain, "settled_by": "read-back"},
            response=sanitize(customer),
            message="Customer found by its domain after a timeout; the initial admin password was not recoverable "
            "(reset it in the Microsoft 365 admin center).",
        )
    if replay.result.get("customer_id") != customer.id:
        raise PermanentFailure(f"Domain {domain} belongs to another Partner Center customer.", code="domain_taken")
    replay.result["settled_by"] = "read-back"
    return replay


def await_relationship(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    ref = op.payload["domain_or_tenant_id"].strip().lower()
    customer = None
    if GUID_RE.match(ref):
        try:
            customer = client.customers.get(customer_id=ref)
        except (pc_errors.PermissionDeniedError, pc_errors.NotFoundError):
            customer = None
    else:
        prefix = ref.split(".")[0]
        for candidate in client.customers.list(domain_prefix=prefix):
            domains = {(candidate.domain or "").lower(), *(d.lower() for d in candidate.custom_domains)}
            if ref in domains:
                customer = candidate
                break
    if customer is None or (customer.relationship_to_partner or "reseller").lower() == "none":
        return Outcome(wait=RELATIONSHIP_POLL_SECONDS, message="The reseller relationship has not been accepted yet.")
    return Outcome(
        result={"customer_id": customer.id, "domain": customer.domain or ref, "company_name": customer.company_name},
        response=sanitize(customer),
    )


def _acceptance(op: ProvisioningOperation) -> MCAAcceptance:
    return MCAAcceptance.objects.get(pk=op.payload["acceptance_id"])


def confirm_agreement(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    tenant = _tenant(op)
    acceptance = _acceptance(op)
    try:
        agreement = client.agreements.confirm_customer_acceptance(
            customer_id=tenant.pc_customer_id,
            request_id=str(op.ms_request_id),
            template_id=acceptance.template_id,
            first_name=acceptance.signatory_first_name,
            last_name=acceptance.signatory_last_name,
            email=acceptance.signatory_email,
            phone_number=acceptance.signatory_phone or None,
            date_agreed=acceptance.accepted_at,
            agreement_type=acceptance.agreement_type,
        )
    except pc_errors.APIError as exc:
        if exc.code == 600061:  # PartnerConfirmedAgreementAlreadyExists: the attestation is there
            return Outcome(result={"already_attested": True}, message="Partner Center already had this attestation.")
        raise
    return Outcome(result={"template_id": agreement.template_id}, response=sanitize(agreement))


def settle_confirm_agreement(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    tenant = _tenant(op)
    acceptance = _acceptance(op)
    for agreement in client.agreements.list_for_customer(
        customer_id=tenant.pc_customer_id, agreement_type=acceptance.agreement_type
    ):
        contact = agreement.primary_contact
        if contact and contact.email.lower() == acceptance.signatory_email.lower():
            return Outcome(result={"template_id": agreement.template_id, "settled_by": "read-back"})
    return confirm_agreement(client, op)


def create_cart(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """A cart holds nothing until checked out, and Partner Center has no way to list carts: after a timeout a new
    cart is created (the lost one expires unused after 7 days). Checkout then always uses the cart stored here."""
    tenant = _tenant(op)
    lines = op.payload["lines"]
    reseller_id = op.payload.get("transaction_reseller_id") or None
    cart = client.carts.create(
        customer_id=tenant.pc_customer_id,
        request_id=str(op.ms_request_id),
        line_items=[
            CartLineItemRequest(
                catalog_item_id=line["catalog_item_id"],
                quantity=line["quantity"],
                billing_cycle=line["billing_cycle"],
                term_duration=line.get("term_duration") or None,
                transaction_reseller_id=reseller_id,
            )
            for line in lines
        ],
        partner_on_record_attestation_accepted=True if reseller_id else None,
    )
    if cart.line_errors:
        names = {i: line["product_name"] for i, line in enumerate(lines)}
        problems = "; ".join(
            f"{names.get(item.id, item.catalog_item_id)}: {error.error_description or error.error_code}"
            for item, error in cart.line_errors
        )
        raise PermanentFailure(f"Partner Center refused the cart: {problems}", code="cart_line_error")
    return Outcome(result={"cart_id": cart.id}, response=sanitize(cart))


def _checkout_result(client: PartnerCenterClient, op: ProvisioningOperation, customer_id: str, cart_id: str) -> Outcome:
    result = client.carts.checkout(customer_id=customer_id, cart_id=cart_id, request_id=str(op.ms_request_id))
    if result.order_errors:
        problems = "; ".join(f"{e.description or 'error'} (code {e.code})" for e in result.order_errors)
        raise PermanentFailure(f"Checkout failed: {problems}", code=str(result.order_errors[0].code or "checkout"))
    if not result.orders:
        raise PermanentFailure("Checkout returned no order.", code="checkout_no_order")
    orders = [
        {
            "id": order.id,
            "status": order.status,
            "billing_cycle": order.billing_cycle,
            "line_items": [
                {
                    "number": li.line_item_number,
                    "offer_id": li.offer_id,
                    "subscription_id": li.subscription_id,
                    "quantity": li.quantity,
                }
                for li in order.line_items
            ],
        }
        for order in result.orders
    ]
    return Outcome(result={"cart_id": cart_id, "orders": orders}, response=sanitize(result))


def checkout(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    tenant = _tenant(op)
    cart_id = _previous(op, OperationKind.CREATE_CART).result["cart_id"]
    return _checkout_result(client, op, tenant.pc_customer_id, cart_id)


def settle_checkout(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """After a timeout: read the cart. Checked out ("Ordered") -> checkout again, which Partner Center answers with
    the first checkout's orders (idempotent per cart); still "Active" -> check it out now. Same cart either way."""
    tenant = _tenant(op)
    cart_id = _previous(op, OperationKind.CREATE_CART).result["cart_id"]
    cart = client.carts.get(customer_id=tenant.pc_customer_id, cart_id=cart_id)
    outcome = _checkout_result(client, op, tenant.pc_customer_id, cart_id)
    outcome.result["settled_by"] = f"read-back (cart was {cart.status})"
    return outcome


def await_order(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    tenant = _tenant(op)
    orders = _previous(op, OperationKind.CHECKOUT).result["orders"]
    statuses: dict[str, str] = {}
    for entry in orders:
        order = client.orders.get(customer_id=tenant.pc_customer_id, order_id=entry["id"])
        statuses[order.id] = (order.status or "unknown").lower()
    bad = {oid: s for oid, s in statuses.items() if s in ("cancelled", "error", "po review rejected")}
    if bad:
        raise PermanentFailure(
            "Partner Center order " + ", ".join(f"{oid} is {s}" for oid, s in bad.items()), code="order_failed"
        )
    if all(s == "completed" for s in statuses.values()):
        return Outcome(result={"orders": statuses})
    return Outcome(
        result={"orders": statuses}, wait=_order_wait_seconds(op), message="Partner Center is still provisioning."
    )


def record_subscriptions(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    """Read the subscriptions the order created; wait while Partner Center has not listed all of them yet."""
    tenant = _tenant(op)
    orders = _previous(op, OperationKind.CHECKOUT).result["orders"]
    expected = {li["subscription_id"] for o in orders for li in o["line_items"] if li.get("subscription_id")}
    subscriptions: list[PCSubscription] = []
    for entry in orders:
        subscriptions.extend(client.subscriptions.list(customer_id=tenant.pc_customer_id, order_id=entry["id"]))
    found = {s.id for s in subscriptions}
    if expected - found:
        return Outcome(wait=_order_wait_seconds(op), message="Waiting for Partner Center to list the subscriptions.")
    entitlements = {}
    for sub in subscriptions:
        if (sub.product_type_id or "").lower() == "azure" or (sub.unit_type or "").lower() == "usage-based":
            entitlements[sub.id] = client.subscriptions.list_azure_entitlements(
                customer_id=tenant.pc_customer_id, subscription_id=sub.id
            )
    return Outcome(
        result={"subscriptions": sorted(found)},
        response={"subscriptions": [sanitize(s) for s in subscriptions]},
        data={"subscriptions": subscriptions, "entitlements": entitlements},
    )


def _subscription_ids(op: ProvisioningOperation) -> tuple[str, str]:
    sub = op.subscription
    if sub is None or not sub.pc_subscription_id:
        raise PermanentFailure("The subscription has no Partner Center id.", code="subscription_not_linked")
    return sub.tenant.pc_customer_id, sub.pc_subscription_id


def _change(kind: str, client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id, subscription_id = _subscription_ids(op)
    request_id = str(op.ms_request_id)
    subs = client.subscriptions
    ids = {"customer_id": customer_id, "subscription_id": subscription_id, "request_id": request_id}
    if kind == OperationKind.CHANGE_QUANTITY:
        updated = subs.set_quantity(quantity=int(op.payload["quantity"]), **ids)
    elif kind == OperationKind.SUSPEND:
        updated = subs.suspend(**ids)
    elif kind == OperationKind.REACTIVATE:
        updated = subs.reactivate(**ids)
    elif kind == OperationKind.SET_AUTO_RENEW:
        updated = subs.set_auto_renew(enabled=bool(op.payload["auto_renew"]), **ids)
    elif kind == OperationKind.CANCEL:
        updated = subs.cancel(**ids)
    else:  # pragma: no cover - the dispatch table lists every kind
        raise PermanentFailure(f"Unsupported change {kind}")
    if not _reflects(kind, op, updated):
        return Outcome(wait=30.0, message="Partner Center accepted the change and is still applying it.", data=updated)
    return Outcome(result={"quantity": updated.quantity, "status": updated.status}, response=sanitize(updated),
                   data=updated)


def _reflects(kind: str, op: ProvisioningOperation, sub: PCSubscription) -> bool:
    status = (sub.status or "").lower()
    return {
        OperationKind.CHANGE_QUANTITY: lambda: sub.quantity == int(op.payload["quantity"]),
        OperationKind.SUSPEND: lambda: status == "suspended",
        OperationKind.REACTIVATE: lambda: status == "active",
        OperationKind.SET_AUTO_RENEW: lambda: sub.auto_renew_enabled == bool(op.payload["auto_renew"]),
        OperationKind.CANCEL: lambda: status == "deleted",
    }[kind]()


def settle_change(kind: str, client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id, subscription_id = _subscription_ids(op)
    current = client.subscriptions.get(customer_id=customer_id, subscription_id=subscription_id)
    if _reflects(kind, op, current):
        return Outcome(result={"quantity": current.quantity, "status": current.status, "settled_by": "read-back"},
                       response=sanitize(current), data=current)
    return _change(kind, client, op)


def _changer(kind: str) -> Callable[[PartnerCenterClient, ProvisioningOperation], Outcome]:
    return lambda client, op: _change(kind, client, op)


def _settler(kind: str) -> Callable[[PartnerCenterClient, ProvisioningOperation], Outcome]:
    return lambda client, op: settle_change(kind, client, op)


EXECUTORS: dict[str, Callable[[PartnerCenterClient, ProvisioningOperation], Outcome]] = {
    OperationKind.CREATE_CUSTOMER: create_customer,
    OperationKind.AWAIT_RELATIONSHIP: await_relationship,
    OperationKind.CONFIRM_AGREEMENT: confirm_agreement,
    OperationKind.CREATE_CART: create_cart,
    OperationKind.CHECKOUT: checkout,
    OperationKind.AWAIT_ORDER: await_order,
    OperationKind.RECORD_SUBSCRIPTIONS: record_subscriptions,
    **{kind: _changer(kind) for kind in (
        OperationKind.CHANGE_QUANTITY, OperationKind.SUSPEND, OperationKind.REACTIVATE,
        OperationKind.SET_AUTO_RENEW, OperationKind.CANCEL,
    )},
}

# Read-backs for writes whose outcome is unknown (timeout, connection dropped). Kinds without one re-execute.
SETTLERS: dict[str, Callable[[PartnerCenterClient, ProvisioningOperation], Outcome]] = {
    OperationKind.CREATE_CUSTOMER: settle_create_customer,
    OperationKind.CONFIRM_AGREEMENT: settle_confirm_agreement,
    OperationKind.CHECKOUT: settle_checkout,
    **{kind: _settler(kind) for kind in (
        OperationKind.CHANGE_QUANTITY, OperationKind.SUSPEND, OperationKind.REACTIVATE,
        OperationKind.SET_AUTO_RENEW, OperationKind.CANCEL,
    )},
}
