"""Microsoft Customer Agreement acceptances: record them (with who, role, when, where from) and mark them attested.

No order for a customer until an acceptance is on record; the provisioning pipeline attests it to Partner Center
once the customer's tenant exists (`POST /v1/customers/{id}/agreements`) and then calls `mca_mark_attested`.
"""

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from bss.choices import AcceptanceRole
from bss.exceptions import ApplicationError
from bss.inputs import MCAAcceptanceInput
from bss.models import Customer, MCAAcceptance, MicrosoftTenant, User
from bss.selectors import user_is_provider_staff
from bss.services.audit import audit_record, snapshot

MCA_TYPE = "MicrosoftCustomerAgreement"
# Microsoft's published MCA template (Partner Center's agreement metadata); used when the storefront gives none.
DEFAULT_MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
DEFAULT_MCA_LINK = "https://aka.ms/customeragreement"

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MCAMissing(ApplicationError):
    code = "mca_missing"


class MCAInvalid(ApplicationError):
    code = "mca_invalid"


def mca_on_record(*, customer: Customer) -> bool:
    """True if an acceptance of the Microsoft Customer Agreement is recorded for the customer."""
    return customer.pk is not None and MCAAcceptance.objects.filter(customer=customer, agreement_type=MCA_TYPE).exists()


def mca_validate(*, actor: User, mca: MCAAcceptanceInput) -> None:
    """Raise MCAInvalid with a message the user can act on if the acceptance cannot be recorded as given."""
    problems = []
    if not mca.signatory_first_name.strip() or not mca.signatory_last_name.strip():
        problems.append("the signatory's first and last name are required")
    if not _EMAIL_RE.match(mca.signatory_email.strip()):
        problems.append("the signatory's email address is not valid")
    if mca.role not in AcceptanceRole.values:
        problems.append(f"unknown acceptance role {mca.role!r}")
    if mca.accepted_at is None or timezone.is_naive(mca.accepted_at):
        problems.append("the acceptance date must be a timezone-aware date and time")
    elif mca.accepted_at > timezone.now() + timedelta(minutes=5):
        problems.append("the acceptance date cannot be in the future")
    if mca.role == AcceptanceRole.STAFF and not user_is_provider_staff(actor):
        problems.append("only provider staff can confirm an acceptance on the customer's behalf as staff")
    if problems:
        raise MCAInvalid("Microsoft Customer Agreement: " + "; ".join(problems) + ".")


@transaction.atomic
def mca_acceptance_record(
    *, actor: User, customer: Customer, tenant: MicrosoftTenant | None, mca: MCAAcceptanceInput
) -> MCAAcceptance:
    """Record an acceptance (validated first) and audit it. It is attested to Partner Center later, by provisioning."""
    mca_validate(actor=actor, mca=mca)
    acceptance = MCAAcceptance.objects.create(
        customer=customer,
        tenant=tenant,
        signatory_first_name=mca.signatory_first_name.strip(),
        signatory_last_name=mca.signatory_last_name.strip(),
        signatory_email=mca.signatory_email.strip(),
        signatory_phone=mca.signatory_phone.strip(),
        accepted_at=mca.accepted_at,
        role=mca.role,
        recorded_by=actor if actor.pk else None,
        ip_address=mca.ip_address or None,
        user_agent=(mca.user_agent or "")[:400],
        agreement_type=MCA_TYPE,
        template_id=mca.template_id or DEFAULT_MCA_TEMPLATE_ID,
        agreement_version=mca.agreement_version,
        agreement_link=mca.agreement_link or DEFAULT_MCA_LINK,
    )
    audit_record(
        actor=actor,
        action="mca.accept",
        obj=acceptance,
        after=snapshot(
            acceptance,
            ["customer_id", "role", "accepted_at", "signatory_email", "template_id", "agreement_version", "ip_address"],
        ),
    )
    return acceptance


def mca_pending_attestation(*, customer: Customer) -> MCAAcceptance | None:
    """The latest acceptance of the customer not yet attested to Partner Center, if any."""
    return (
        MCAAcceptance.objects.filter(customer=customer, agreement_type=MCA_TYPE, attested_at__isnull=True)
        .order_by("-accepted_at", "-id")
        .first()
    )


@transaction.atomic
def mca_mark_attested(*, acceptance: MCAAcceptance, tenant: MicrosoftTenant, at: datetime | None = None) -> None:
    """Partner Center has the attestation (created now, or already there): record when, for the MCA log."""
    before = snapshot(acceptance, ["attested_at", "tenant_id"])
    acceptance.attested_at = at or timezone.now()
    acceptance.tenant = tenant
    acceptance.save(update_fields=["attested_at", "tenant"])
    audit_record(
        actor=None,
        actor_label="provisioning",
        action="mca.attest",
        obj=acceptance,
        before=before,
        after=snapshot(acceptance, ["attested_at", "tenant_id"]),
    )
