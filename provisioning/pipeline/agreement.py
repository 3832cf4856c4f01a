"""Attest the customer's Microsoft Customer Agreement acceptance to Partner Center; on success the acceptance is
marked attested (the MCA log shows when)."""

from __future__ import annotations

from bss.models import MCAAcceptance
from bss.services import mca as mca_services
from partnercenter import errors as pc_errors
from partnercenter.client import PartnerCenterClient
from provisioning.models import ProvisioningOperation
from provisioning.pipeline.base import Outcome, Step, customer_id_of, sanitize, tenant_of


def _acceptance(op: ProvisioningOperation) -> MCAAcceptance:
    return MCAAcceptance.objects.get(pk=op.payload["acceptance_id"])


def confirm_agreement(client: PartnerCenterClient, op: ProvisioningOperation) -> Outcome:
    customer_id = customer_id_of(op)
    acceptance = _acceptance(op)
    try:
        agreement = client.agreements.confirm_customer_acceptance(
            customer_id=customer_id,
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
    customer_id = customer_id_of(op)
    acceptance = _acceptance(op)
    for agreement in client.agreements.list_for_customer(
        customer_id=customer_id, agreement_type=acceptance.agreement_type
    ):
        contact = agreement.primary_contact
        if contact and contact.email.lower() == acceptance.signatory_email.lower():
            return Outcome(result={"template_id": agreement.template_id, "settled_by": "read-back"})
    return confirm_agreement(client, op)


def agreement_attested(op: ProvisioningOperation, outcome: Outcome) -> None:
    acceptance = _acceptance(op)
    if acceptance.attested_at is None:
        mca_services.mca_mark_attested(acceptance=acceptance, tenant=tenant_of(op))


STEP = Step(execute=confirm_agreement, settle=settle_confirm_agreement, apply=agreement_attested)
