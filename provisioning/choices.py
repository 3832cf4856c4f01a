"""Kinds and statuses of provisioning operations, with the allowed status transitions."""

from django.db import models


class OperationKind(models.TextChoices):
    CREATE_CUSTOMER = "create_customer", "Create customer (tenant)"
    AWAIT_RELATIONSHIP = "await_relationship", "Await reseller relationship"
    CONFIRM_AGREEMENT = "confirm_agreement", "Attest customer agreement (MCA)"
    CREATE_CART = "create_cart", "Create cart"
    CHECKOUT = "checkout", "Check out cart"
    AWAIT_ORDER = "await_order", "Await Partner Center order"
    RECORD_SUBSCRIPTIONS = "record_subscriptions", "Record subscriptions"
    CHANGE_QUANTITY = "change_quantity", "Change quantity"
    SUSPEND = "suspend", "Suspend subscription"
    REACTIVATE = "reactivate", "Reactivate subscription"
    SET_AUTO_RENEW = "set_auto_renew", "Set auto-renew"
    CANCEL = "cancel", "Cancel subscription"
    REQUEST_GDAP = "request_gdap", "Request GDAP (delegated admin) relationship"
    UPGRADE = "upgrade", "Upgrade subscription (transition)"
    SET_NEXT_TERM = "set_next_term", "Set changes at renewal (next-term instruction)"


# Kinds that change something in Partner Center: a timeout leaves them "unknown" until a read-back settles them.
WRITE_KINDS = frozenset(
    {
        OperationKind.CREATE_CUSTOMER,
        OperationKind.CONFIRM_AGREEMENT,
        OperationKind.CREATE_CART,
        OperationKind.CHECKOUT,
        OperationKind.CHANGE_QUANTITY,
        OperationKind.SUSPEND,
        OperationKind.REACTIVATE,
        OperationKind.SET_AUTO_RENEW,
        OperationKind.CANCEL,
        OperationKind.REQUEST_GDAP,
        OperationKind.UPGRADE,
        OperationKind.SET_NEXT_TERM,
    }
)

SUBSCRIPTION_CHANGE_KINDS = frozenset(
    {
        OperationKind.CHANGE_QUANTITY,
        OperationKind.SUSPEND,
        OperationKind.REACTIVATE,
        OperationKind.SET_AUTO_RENEW,
        OperationKind.CANCEL,
        OperationKind.SET_NEXT_TERM,
    }
)


class OperationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting for Partner Center"
    RETRYING = "retrying", "Retry scheduled"
    UNKNOWN = "unknown", "Outcome unknown (read-back pending)"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# A worker may claim an operation in these states (RUNNING only once its lease has expired: the worker died).
CLAIMABLE_STATUSES = (
    OperationStatus.PENDING,
    OperationStatus.WAITING,
    OperationStatus.RETRYING,
    OperationStatus.UNKNOWN,
)

OPEN_STATUSES = (*CLAIMABLE_STATUSES, OperationStatus.RUNNING)

OPERATION_TRANSITIONS: dict[str, set[str]] = {
    OperationStatus.PENDING: {OperationStatus.RUNNING, OperationStatus.CANCELLED, OperationStatus.FAILED},
    OperationStatus.RUNNING: {
        OperationStatus.RUNNING,  # re-claimed after the previous worker's lease expired
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.WAITING,
        OperationStatus.RETRYING,
        OperationStatus.UNKNOWN,
    },
    OperationStatus.WAITING: {OperationStatus.RUNNING, OperationStatus.FAILED, OperationStatus.CANCELLED},
    OperationStatus.RETRYING: {OperationStatus.RUNNING, OperationStatus.FAILED, OperationStatus.CANCELLED},
    OperationStatus.UNKNOWN: {OperationStatus.RUNNING, OperationStatus.FAILED, OperationStatus.CANCELLED},
    # "Retry" in the back office puts a failed operation back in the queue, with the same MS-RequestId.
    OperationStatus.FAILED: {OperationStatus.PENDING, OperationStatus.CANCELLED},
    OperationStatus.SUCCEEDED: set(),
    OperationStatus.CANCELLED: set(),
}


class AttemptOutcome(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    WAITING = "waiting", "Not ready yet"
    TRANSIENT_ERROR = "transient_error", "Transient error (retried)"
    PERMANENT_ERROR = "permanent_error", "Permanent error"
    UNKNOWN = "unknown", "No answer (timeout)"
