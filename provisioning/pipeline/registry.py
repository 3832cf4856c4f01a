"""Every kind of operation and its step (executor, settler, effect)."""

from __future__ import annotations

from provisioning.choices import OperationKind
from provisioning.pipeline import (
    agreement,
    auto_renew,
    cancel,
    cart,
    customer,
    next_term,
    partner_order,
    quantity,
    relationship,
    upgrade,
)
from provisioning.pipeline import gdap as gdap_request
from provisioning.pipeline import status as subscription_status
from provisioning.pipeline.base import Step

STEPS: dict[str, Step] = {
    OperationKind.CREATE_CUSTOMER: customer.STEP,
    OperationKind.AWAIT_RELATIONSHIP: relationship.STEP,
    OperationKind.CONFIRM_AGREEMENT: agreement.STEP,
    OperationKind.CREATE_CART: cart.CREATE_CART,
    OperationKind.CHECKOUT: cart.CHECKOUT,
    OperationKind.AWAIT_ORDER: partner_order.AWAIT_ORDER,
    OperationKind.RECORD_SUBSCRIPTIONS: partner_order.RECORD_SUBSCRIPTIONS,
    OperationKind.CHANGE_QUANTITY: quantity.STEP,
    OperationKind.SUSPEND: subscription_status.SUSPEND,
    OperationKind.REACTIVATE: subscription_status.REACTIVATE,
    OperationKind.SET_AUTO_RENEW: auto_renew.STEP,
    OperationKind.CANCEL: cancel.STEP,
    OperationKind.REQUEST_GDAP: gdap_request.STEP,
    OperationKind.UPGRADE: upgrade.STEP,
    OperationKind.SET_NEXT_TERM: next_term.STEP,
}
