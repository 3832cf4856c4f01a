from __future__ import annotations

import builtins
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from .. import _parse
from .._transport import Transport
from ..errors import ResponseValidationError
from ..lifecycle_types import Transition, TransitionEligibility
from ..pagination import iter_items, iter_pages
from ..types import AzureEntitlement, ScheduledNextTermInstructions, Subscription, SubscriptionProvisioningStatus


class SubscriptionsResource:
    """Subscriptions. Every change is a PATCH that **replaces** the resource, so each change starts from a
    fresh GET, edits that body and sends it back whole with ``If-Match`` = the fresh etag. Omitting
    ``autoRenewEnabled`` or scheduled instructions would silently clear them."""

    def __init__(
        self,
        transport: Transport,
        *,
        poll_interval: float = 2.0,
        max_polls: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._t = transport
        self._poll_interval = poll_interval
        self._max_polls = max_polls
        self._sleep = sleep

    # --- reads -------------------------------------------------------------------------------------------

    def list(self, *, customer_id: str, order_id: str | None = None, mpn_id: str | None = None) -> list[Subscription]:
        """All subscriptions of a customer (every status), optionally of one order or reseller of record."""
        params: dict[str, str] = {}
        if order_id:
            params["order_id"] = order_id
        if mpn_id:
            params["mpn_id"] = mpn_id
        pages = iter_pages(
            self._t,
            f"/v1/customers/{quote(customer_id)}/subscriptions",
            params=params or None,
            parser=_parse.subscription,
            what="subscriptions",
        )
        return list(iter_items(pages))

    def get(self, *, customer_id: str, subscription_id: str) -> Subscription:
        return _parse.subscription(self._get_raw(customer_id, subscription_id))

    def get_provisioning_status(self, *, customer_id: str, subscription_id: str) -> SubscriptionProvisioningStatus:
        """App+User only."""
        data = self._t.request_json(
            "GET", f"{self._path(customer_id, subscription_id)}/provisioningstatus", auth="user"
        )
        return _parse.subscription_provisioning_status(data)

    def list_azure_entitlements(self, *, customer_id: str, subscription_id: str) -> builtins.list[AzureEntitlement]:
        """Azure subscriptions under an Azure plan subscription."""
        pages = iter_pages(
            self._t,
            f"{self._path(customer_id, subscription_id)}/azureEntitlements",
            params=None,
            parser=_parse.azure_entitlement,
            what="azure entitlements",
        )
        return list(iter_items(pages))

    def list_addons(self, *, customer_id: str, subscription_id: str) -> builtins.list[Subscription]:
        """The add-on subscriptions bought for a base subscription."""
        pages = iter_pages(
            self._t,
            f"{self._path(customer_id, subscription_id)}/addons",
            params=None,
            parser=_parse.subscription,
            what="add-ons",
        )
        return list(iter_items(pages))

    # --- transitions (upgrades) ------------------------------------------------------------------------

    def list_transition_eligibilities(
        self, *, customer_id: str, subscription_id: str, eligibility_type: str = "immediate"
    ) -> builtins.list[TransitionEligibility]:
        """Where the subscription can move: ``immediate`` (a transition now) or ``scheduled`` (at renewal)."""
        pages = iter_pages(
            self._t,
            f"{self._path(customer_id, subscription_id)}/transitionEligibilities",
            params={"eligibilityType": eligibility_type},
            parser=_parse.transition_eligibility,
            what="transition eligibilities",
        )
        return list(iter_items(pages))

    def create_transition(
        self,
        *,
        customer_id: str,
        subscription_id: str,
        to_catalog_item_id: str,
        quantity: int,
        request_id: str,
        to_subscription_id: str | None = None,
        transition_type: str = "transition_only",
        term_duration: str | None = None,
        billing_cycle: str | None = None,
    ) -> Transition:
        """Move ``quantity`` seats (all = full, fewer = partial) to the target SKU, into a new co-terminous
        subscription or ``to_subscription_id``. Upgrades cannot be undone; poll :meth:`list_transitions`."""
        body: dict[str, Any] = {
            "fromSubscriptionId": subscription_id,
            "toCatalogItemId": to_catalog_item_id,
            "quantity": quantity,
            "transitionType": transition_type,
        }
        for key, value in (("toSubscriptionId", to_subscription_id), ("termDuration", term_duration),
                           ("billingCycle", billing_cycle)):
            if value is not None:
                body[key] = value
        data = self._t.request_json(
            "POST",
            f"{self._path(customer_id, subscription_id)}/transitions",
            json_body=body,
            request_id=request_id,
            expected=(200, 201),
            operation="create transition",
        )
        return _parse.transition(data)

    def list_transitions(self, *, customer_id: str, subscription_id: str) -> builtins.list[Transition]:
        pages = iter_pages(
            self._t,
            f"{self._path(customer_id, subscription_id)}/transitions",
            params=None,
            parser=_parse.transition,
            what="transitions",
        )
        return list(iter_items(pages))

    # --- changes -----------------------------------------------------------------------------------------

    def schedule_next_term(
        self,
        *,
        customer_id: str,
        subscription_id: str,
        instructions: ScheduledNextTermInstructions | None,
        request_id: str,
    ) -> Subscription:
        """Set what the subscription becomes at renewal (another quantity, term, billing cycle or an upgrade
        SKU; auto-renew is switched on, as Partner Center requires), or clear it with ``None``."""
        changes: dict[str, Any] = {
            "scheduledNextTermInstructions": instructions.to_json() if instructions is not None else None
        }
        if instructions is not None:
            changes["autoRenewEnabled"] = True
        return self.update(
            customer_id=customer_id, subscription_id=subscription_id, changes=changes, request_id=request_id
        )


    def set_quantity(self, *, customer_id: str, subscription_id: str, quantity: int, request_id: str) -> Subscription:
        """Seats up, or down (new commerce: only seats bought in the last 7 days, see ``refundable_quantity``)."""
        if quantity < 1:
            raise ValueError("quantity must be at least 1; cancel the subscription instead")
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes={"quantity": quantity},
            request_id=request_id,
        )

    def suspend(self, *, customer_id: str, subscription_id: str, request_id: str) -> Subscription:
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes={"status": "suspended"},
            request_id=request_id,
        )

    def reactivate(self, *, customer_id: str, subscription_id: str, request_id: str) -> Subscription:
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes={"status": "active"},
            request_id=request_id,
        )

    def cancel(self, *, customer_id: str, subscription_id: str, request_id: str) -> Subscription:
        """New commerce cancellation (``status: deleted``), allowed until ``cancellation_allowed_until_date``;
        later attempts fail with BadRequestError 900213/900117."""
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes={"status": "deleted"},
            request_id=request_id,
        )

    def set_auto_renew(self, *, customer_id: str, subscription_id: str, enabled: bool, request_id: str) -> Subscription:
        """Turn auto-renew on or off. Off also drops a scheduled next-term instruction: Partner Center accepts
        instructions only on an auto-renewing subscription (800002), and there is no next term to change."""
        changes: dict[str, Any] = {"autoRenewEnabled": enabled}
        if not enabled:
            changes["scheduledNextTermInstructions"] = None
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes=changes,
            request_id=request_id,
        )

    def set_friendly_name(
        self, *, customer_id: str, subscription_id: str, friendly_name: str, request_id: str
    ) -> Subscription:
        return self.update(
            customer_id=customer_id,
            subscription_id=subscription_id,
            changes={"friendlyName": friendly_name},
            request_id=request_id,
        )

    def update(
        self,
        *,
        customer_id: str,
        subscription_id: str,
        changes: Mapping[str, Any],
        request_id: str,
        wait_for_completion: bool = True,
    ) -> Subscription:
        """GET the subscription, apply ``changes`` (Partner Center property names) and PATCH the whole body.

        A 202 answer means Partner Center is still applying the change: the subscription at ``Location`` is
        polled until the changed fields show the new values (``wait_for_completion``), at most ``max_polls``
        times; the latest state is returned either way.
        """
        path = self._path(customer_id, subscription_id)
        current = self._get_raw(customer_id, subscription_id)
        etag_value = _parse.etag_of(current)
        body = _apply_changes(current, changes)
        response = self._t.request(
            "PATCH",
            path,
            json_body=body,
            request_id=request_id,
            if_match=etag_value,
            headers={"Content-Type": "application/json"},
            expected=(200, 202),
            operation="update subscription",
        )
        if response.status_code == 200 and response.content:
            try:
                return _parse.subscription(response.json())
            except ValueError as exc:
                raise ResponseValidationError("update subscription: response is not JSON") from exc
        location = response.headers.get("Location") or path
        poll_path = _relative(location)
        latest = _parse.subscription(self._t.request_json("GET", poll_path))
        polls = 1
        while wait_for_completion and not _reflects(latest, changes) and polls < self._max_polls:
            self._sleep(self._poll_interval)
            latest = _parse.subscription(self._t.request_json("GET", poll_path))
            polls += 1
        return latest

    # --- helpers -----------------------------------------------------------------------------------------

    @staticmethod
    def _path(customer_id: str, subscription_id: str) -> str:
        return f"/v1/customers/{quote(customer_id)}/subscriptions/{quote(subscription_id)}"

    def _get_raw(self, customer_id: str, subscription_id: str) -> dict[str, Any]:
        data = self._t.request_json("GET", self._path(customer_id, subscription_id))
        if not isinstance(data, dict):
            raise ResponseValidationError("subscription response is not a JSON object")
        return data


def _apply_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``current`` with ``changes`` set, matching existing keys case-insensitively."""
    body = dict(current)
    by_lower = {k.lower(): k for k in body}
    for key, value in changes.items():
        body[by_lower.get(key.lower(), key)] = value
    return body


_FIELD_CHECKS: dict[str, Callable[[Subscription], Any]] = {
    "quantity": lambda s: s.quantity,
    "status": lambda s: s.status,
    "autorenewenabled": lambda s: s.auto_renew_enabled,
    "friendlyname": lambda s: s.friendly_name,
}


def _reflects(subscription: Subscription, changes: Mapping[str, Any]) -> bool:
    for key, wanted in changes.items():
        getter = _FIELD_CHECKS.get(key.lower())
        if getter is None:
            continue
        actual = getter(subscription)
        if isinstance(wanted, str) and isinstance(actual, str):
            if actual.lower() != wanted.lower():
                return False
        elif actual != wanted:
            return False
    return True


def _relative(location: str) -> str:
    """``Location`` may be absolute or relative, with or without ``/v1``; the transport adds what is missing."""
    parts = urlsplit(location)
    if parts.scheme:
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return location
