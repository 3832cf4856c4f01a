"""Create a new customer (and its Microsoft tenant `<prefix>.onmicrosoft.com`) in Partner Center; on success the
BSS tenant gets its Partner Center id and the one-time admin credentials are held for the user who ordered."""

from __future__ import annotations

from bss.choices import RelationshipStatus
from bss.models import MicrosoftTenant
from bss.services.audit import audit_record, snapshot
from partnercenter import errors as pc_errors
from partnercenter.client import PartnerCenterClient
from partnercenter.types import Address
from provisioning.models import InitialAdminCredentials, ProvisioningOperation
from provisioning.pipeline.base import Outcome, PermanentFailure, Step, sanitize, tenant_of


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


def tenant_linked(op: ProvisioningOperation, outcome: Outcome) -> None:
    """The tenant has its Partner Center customer id (and its domain as Partner Center has it); the relationship is
    active. A new customer's initial admin credentials are held for the order."""
    tenant = MicrosoftTenant.objects.select_for_update(of=("self",)).get(pk=tenant_of(op).pk)
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


STEP = Step(execute=create_customer, settle=settle_create_customer, apply=tenant_linked)
