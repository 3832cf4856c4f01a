"""Customer agreements: the agreement templates and the partner's attestation that a customer accepted one."""

from __future__ import annotations

from typing import Any

from ..body import CIDict
from ..errors import PCError
from ..state import Agreement
from .core import BackendCore, Caller

MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCLOUDA_TEMPLATE_ID = "998b88de-aa99-4388-a42c-1b3517d49490"
AGREEMENT_METADATA: tuple[dict[str, Any], ...] = (
    {"templateId": MCA_TEMPLATE_ID, "agreementType": "MicrosoftCustomerAgreement",
     "agreementLink": "https://aka.ms/customeragreement", "versionRank": 0},
    {"templateId": MCLOUDA_TEMPLATE_ID, "agreementType": "MicrosoftCloudAgreement",
     "agreementLink": "https://learn.microsoft.com/partner-center/agreements", "versionRank": 0},
)
TEMPLATE_TYPES: dict[str, str] = {m["templateId"]: m["agreementType"] for m in AGREEMENT_METADATA}


class Agreements:
    def __init__(self, core: BackendCore) -> None:
        self.core = core

    def metadata(self, caller: Caller, agreement_type: str | None) -> list[dict[str, Any]]:
        caller.require_user()
        wanted = (agreement_type or "MicrosoftCloudAgreement").lower()
        return [m for m in AGREEMENT_METADATA if wanted in ("*", "all") or m["agreementType"].lower() == wanted]

    def create(self, caller: Caller, customer_id: str, body: CIDict) -> Agreement:
        caller.require_user()
        customer = self.core.customer(caller, customer_id)
        contact = body.obj("primaryContact")
        missing = [n for n in ("firstName", "lastName", "email") if not contact.text(n)]
        template_id = (body.text("templateId") or "").lower()
        agreement_type = body.text("type") or ""
        if missing or not template_id or not body.text("dateAgreed") or not agreement_type:
            raise PCError(400, 800002, description="Invalid request input: primaryContact.firstName, lastName, "
                          "email, templateId, dateAgreed and type are required")
        if TEMPLATE_TYPES.get(template_id, "").lower() != agreement_type.lower():
            raise PCError(400, 800002, description=f"Invalid request input: templateId {template_id} does not "
                          f"match agreement type {agreement_type}")
        new_contact = {
            "firstName": contact.text("firstName") or "", "lastName": contact.text("lastName") or "",
            "email": contact.text("email") or "", "phoneNumber": contact.text("phoneNumber") or "",
        }
        for existing in customer.agreements:
            if existing.type.lower() == agreement_type.lower() and existing.primary_contact == new_contact:
                raise PCError(409, 600061, shape="B", error_name="PartnerConfirmedAgreementAlreadyExists")
        agreement = Agreement(
            user_id=caller.user_id or caller.partner.user_id, primary_contact=new_contact,
            template_id=template_id, date_agreed=body.text("dateAgreed") or "", type=TEMPLATE_TYPES[template_id],
        )
        customer.agreements.append(agreement)
        self.core.audit(caller, "create_customer_agreement", "customer", customer,
                        {"TemplateId": template_id, "Type": agreement.type}, {"CustomerId": customer.id})
        return agreement

    def of_customer(self, caller: Caller, customer_id: str, agreement_type: str | None) -> list[Agreement]:
        caller.require_user()
        customer = self.core.customer(caller, customer_id)
        wanted = (agreement_type or "").lower()
        return [a for a in customer.agreements if not wanted or wanted in ("*", "all") or a.type.lower() == wanted]
