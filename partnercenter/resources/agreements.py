from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..pagination import iter_items, iter_pages
from ..types import Agreement, AgreementMetadata
from ._common import iso_utc

MICROSOFT_CUSTOMER_AGREEMENT = "MicrosoftCustomerAgreement"


class AgreementsResource:
    """Microsoft Customer Agreement attestation. App+User only, global cloud only."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def get_metadata(self, *, agreement_type: str = MICROSOFT_CUSTOMER_AGREEMENT) -> list[AgreementMetadata]:
        """``GET /v1/agreements?agreementType=...``: template ids to quote when confirming acceptance."""
        pages = iter_pages(
            self._t,
            "/v1/agreements",
            params={"agreementType": agreement_type},
            parser=_parse.agreement_metadata,
            what="agreement metadata",
            auth="user",
        )
        return list(iter_items(pages))

    def confirm_customer_acceptance(
        self,
        *,
        customer_id: str,
        request_id: str,
        template_id: str,
        first_name: str,
        last_name: str,
        email: str,
        phone_number: str | None = None,
        date_agreed: datetime | None = None,
        agreement_type: str = MICROSOFT_CUSTOMER_AGREEMENT,
    ) -> Agreement:
        """Attest that the customer accepted the agreement (``POST /v1/customers/{id}/agreements``, 201).

        A repeat with the same contact fails with :class:`ConflictError` code 600061."""
        contact = {"firstName": first_name, "lastName": last_name, "email": email}
        if phone_number:
            contact["phoneNumber"] = phone_number
        body = {
            "primaryContact": contact,
            "templateId": template_id,
            "dateAgreed": iso_utc(date_agreed or datetime.now(UTC)),
            "type": agreement_type,
        }
        data = self._t.request_json(
            "POST",
            f"/v1/customers/{quote(customer_id)}/agreements",
            json_body=body,
            request_id=request_id,
            expected=(201, 200),
            auth="user",
            operation="confirm customer agreement",
        )
        return _parse.agreement(data)

    def list_for_customer(
        self, *, customer_id: str, agreement_type: str = MICROSOFT_CUSTOMER_AGREEMENT
    ) -> list[Agreement]:
        pages = iter_pages(
            self._t,
            f"/v1/customers/{quote(customer_id)}/agreements",
            params={"agreementType": agreement_type},
            parser=_parse.agreement,
            what="agreements",
            auth="user",
        )
        return list(iter_items(pages))
