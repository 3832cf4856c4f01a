"""Wait for an existing tenant's admin to accept the reseller relationship (polled); then the tenant is linked as
for a new customer and the order moves on to provisioning."""

from __future__ import annotations

from bss.choices import OrderStatus
from bss.services import orders as order_services
from bss.services.orders import GUID_RE
from partnercenter import errors as pc_errors
from partnercenter.client import PartnerCenterClient
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, Step, sanitize
from provisioning.pipeline.customer import tenant_linked

RELATIONSHIP_POLL_SECONDS = 300.0


def await_relationship(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    if op.payload.get("held_for_staff"):  # see bss.services.orders: staff resolve it; the orderer sees a wait
        return Outcome(wait=RELATIONSHIP_POLL_SECONDS, message="The reseller relationship has not been accepted yet.")
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


def relationship_accepted(op: ProvisioningOperation, outcome: Outcome) -> None:
    tenant_linked(op, outcome)
    if op.order is not None:
        order_services.order_set_status(order=op.order, status=OrderStatus.PROVISIONING)


STEP = Step(execute=await_relationship, apply=relationship_accepted)
