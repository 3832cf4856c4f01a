"""Who may do what to a subscription.

- A customer user manages what the customer uses: add licences and turn auto-renew on or off, on the customer's own
  subscriptions.
- A reseller user (and its API keys) can also remove licences, suspend, reactivate and cancel, which change what the
  reseller is billed, on its own customers' subscriptions.
- Provider staff can do everything a reseller can, on any subscription, but only with the permission of the tool they
  act through (`STAFF_CHANGE_PERMISSION` for the storefront workspace and the API, the same permission the back
  office's provisioning tool grants for creating provisioning operations); being staff alone is not enough.

`subscription_action_refusal` is the one check; the core service that performs a change calls it with the acting
user and raises its refusal.

Who may see what, for provider staff: `STAFF_VIEW_PERMISSIONS` names, per resource, the permissions of the tools that
show it; `staff_may_view` is the one check. The selectors (`bss.selectors`, `provisioning.selectors`) apply it, so
every door that reads through them (back-office page, API, storefront) answers the same: "not found" or an empty
list for staff without the permission. Resellers and customers are scoped by the selectors alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Protocol


class Role(StrEnum):
    """The user roles (`bss.choices.UserRole` takes its values from here)."""

    PROVIDER_STAFF = "staff"
    RESELLER = "reseller"
    CUSTOMER = "customer"


class SubscriptionAction(StrEnum):
    INCREASE = "increase"  # more licences (also "buy extra licences" for this very subscription)
    DECREASE = "decrease"
    AUTO_RENEW = "auto_renew"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    CANCEL = "cancel"
    UPGRADE = "upgrade"  # a transition to a higher SKU (new commerce); not undone
    NEXT_TERM = "next_term"  # changes at renewal (a scheduled next-term instruction)


CUSTOMER_ACTIONS: Final = frozenset({SubscriptionAction.INCREASE, SubscriptionAction.AUTO_RENEW})
RESELLER_ACTIONS: Final = frozenset(SubscriptionAction)
NO_ACTIONS: Final[frozenset[SubscriptionAction]] = frozenset()

#: The Django permission (app_label.codename) provider staff need to change a subscription from the storefront
#: workspace or the API: every change is a provisioning operation.
STAFF_CHANGE_PERMISSION: Final = "provisioning.add_provisioningoperation"
#: The permission of the reconciliation tool, through which staff push the BSS value of a subscription to Partner
#: Center (its own page checks it too).
RECONCILIATION_PUSH_PERMISSION: Final = "reconciliation.apply_corrective_action"


class Resource(StrEnum):
    """What the selectors read, as far as staff tool permissions are concerned."""

    CUSTOMER = "customer"
    SUBSCRIPTION = "subscription"
    ORDER = "order"
    MCA_ACCEPTANCE = "mca_acceptance"
    PROVISIONING_OPERATION = "provisioning_operation"


#: Per resource, the permissions (any one suffices) of the back-office tools that show it to provider staff; the
#: same permissions hold on the API and the storefront. A permission to change a resource includes seeing it.
#: Customers are open to all provider staff: the back-office customer list and the storefront workspace show every
#: customer to staff (their export needs bss.view_customer, checked by the export), and what a customer's page lists
#: (its subscriptions, orders, MCA acceptances) is gated by those resources' own permissions.
STAFF_VIEW_PERMISSIONS: Final = MappingProxyType({
    Resource.CUSTOMER: (),
    Resource.SUBSCRIPTION: ("bss.view_subscription", "bss.change_subscription", STAFF_CHANGE_PERMISSION),
    Resource.ORDER: ("bss.view_order", "bss.change_order"),
    Resource.MCA_ACCEPTANCE: ("bss.view_mcaacceptance", "bss.change_mcaacceptance"),
    Resource.PROVISIONING_OPERATION: (
        "provisioning.view_provisioningoperation", "provisioning.change_provisioningoperation",
    ),
})


class Actor(Protocol):
    """What the rules read of the acting user (a `bss.models.User` or Django's anonymous user)."""

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...

    @property
    def is_staff(self) -> bool: ...

    def has_perm(self, perm: str) -> bool: ...


@dataclass(frozen=True)
class ActorFacts:
    """The acting user as the rules see it; built by `actor_facts` from any `Actor`."""

    role: str
    provider_staff: bool
    customer_id: int | None
    reseller_id: int | None
    staff_tool_permission: bool


def actor_facts(actor: Actor, *, staff_permission: str = STAFF_CHANGE_PERMISSION) -> ActorFacts:
    if not (actor.is_authenticated and actor.is_active):
        return ActorFacts(role="", provider_staff=False, customer_id=None, reseller_id=None,
                          staff_tool_permission=False)
    role = str(getattr(actor, "role", ""))
    provider_staff = bool(actor.is_superuser or (role == Role.PROVIDER_STAFF and actor.is_staff))
    customer_id = getattr(actor, "customer_id", None)
    reseller_id = getattr(actor, "reseller_id", None)
    return ActorFacts(
        role=role,
        provider_staff=provider_staff,
        customer_id=customer_id if isinstance(customer_id, int) else None,
        reseller_id=reseller_id if isinstance(reseller_id, int) else None,
        staff_tool_permission=provider_staff and actor.has_perm(staff_permission),
    )


def staff_may_view(actor: Actor, resource: Resource) -> bool:
    """Whether provider staff `actor` holds a permission of a tool that shows `resource` (the caller has established
    that the actor is provider staff; resellers and customers are scoped by the selectors)."""
    permissions = STAFF_VIEW_PERMISSIONS[resource]
    return not permissions or any(actor.has_perm(permission) for permission in permissions)


def allowed_subscription_actions(facts: ActorFacts) -> frozenset[SubscriptionAction]:
    """What this user may do to the subscriptions in their scope (which subscriptions those are is the selectors'
    business; `subscription_action_refusal` checks both)."""
    if facts.provider_staff:
        return RESELLER_ACTIONS if facts.staff_tool_permission else NO_ACTIONS
    if facts.role == Role.RESELLER and facts.reseller_id is not None:
        return RESELLER_ACTIONS
    if facts.role == Role.CUSTOMER and facts.customer_id is not None:
        return CUSTOMER_ACTIONS
    return NO_ACTIONS


@dataclass(frozen=True)
class Refusal:
    """Why an action is refused: a stable `code` and a message the user can act on."""

    code: str
    message: str


def subscription_action_refusal(
    facts: ActorFacts, action: SubscriptionAction, *, customer_id: int, reseller_id: int
) -> Refusal | None:
    """Whether this user may do `action` to a subscription of customer `customer_id` (sold by reseller
    `reseller_id`); None when allowed. A system change (no acting user) is not judged here: pass no facts."""
    if facts.provider_staff:
        if not facts.staff_tool_permission:
            return Refusal(
                "staff_permission_required",
                "You do not have the permission to change subscriptions (Provisioning operations: add); ask an "
                "administrator to grant it.",
            )
        return None
    if facts.role == Role.RESELLER and facts.reseller_id is not None:
        if facts.reseller_id != reseller_id:
            return Refusal("not_your_customer", "This subscription belongs to another reseller's customer.")
        return None
    if facts.role == Role.CUSTOMER and facts.customer_id is not None:
        if facts.customer_id != customer_id:
            return Refusal("not_your_subscription", "This subscription belongs to another customer.")
        if action not in CUSTOMER_ACTIONS:
            return Refusal("reseller_only", "Only the customer's reseller can do this; ask your reseller.")
        return None
    return Refusal("permission_denied", "Sign in as the customer's reseller or as provider staff to do this.")
