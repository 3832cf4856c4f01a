from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from .. import _parse
from .._transport import Transport
from ..lifecycle_types import MpaStatus
from ..pagination import iter_items, iter_pages
from ..types import Address, CompanyProfile, Customer, IndirectReseller, Page, RelationshipRequest
from ._common import address_json, customer_filter


class CustomersResource:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def create(
        self,
        *,
        request_id: str,
        domain: str,
        company_name: str,
        email: str,
        address: Address,
        culture: str = "en-US",
        language: str = "en",
        organization_registration_number: str | None = None,
        associated_partner_id: str | None = None,
        enable_gdap_by_default: bool | None = None,
    ) -> Customer:
        """Create a customer tenant (``POST /v1/customers``). Idempotent per ``request_id``: store the id
        before the first call and pass the same one on every retry. The result carries the one-time admin
        ``user_credentials``. ``associated_partner_id`` (indirect reseller tenant) needs App+User."""
        company: dict[str, Any] = {"domain": domain}
        if organization_registration_number:
            company["organizationRegistrationNumber"] = organization_registration_number
        body: dict[str, Any] = {
            "companyProfile": company,
            "billingProfile": {
                "email": email,
                "culture": culture,
                "language": language,
                "companyName": company_name,
                "defaultAddress": address_json(address),
            },
        }
        if associated_partner_id:
            body["associatedPartnerId"] = associated_partner_id
        if enable_gdap_by_default is not None:
            body["enableGDAPByDefault"] = enable_gdap_by_default
        data = self._t.request_json(
            "POST",
            "/v1/customers",
            json_body=body,
            request_id=request_id,
            expected=(201, 200),
            auth="user" if associated_partner_id else "app",
            operation="create customer",
        )
        return _parse.customer(data)

    def is_domain_available(self, *, domain: str) -> bool:
        """``HEAD /v1/domains/{domain}``: 404 means nobody has it (available), 200 means taken."""
        response = self._t.request(
            "HEAD", f"/v1/domains/{quote(domain, safe='')}", expected=(200,), allow_statuses=(404,)
        )
        return response.status_code == 404

    def get(self, *, customer_id: str) -> Customer:
        return _parse.customer(self._t.request_json("GET", f"/v1/customers/{quote(customer_id)}"))

    def get_company_profile(self, *, customer_id: str) -> CompanyProfile:
        """App+User only."""
        data = self._t.request_json("GET", f"/v1/customers/{quote(customer_id)}/profiles/company", auth="user")
        return _parse.company_profile(data)

    def list_pages(
        self,
        *,
        page_size: int = 500,
        company_name_prefix: str | None = None,
        domain_prefix: str | None = None,
        indirect_reseller_id: str | None = None,
    ) -> Iterator[Page[Customer]]:
        """Pages of customers (seek paging, at most 500 per page). Filters are ``starts_with`` and mutually
        exclusive; ``indirect_reseller_id`` (customers of one indirect reseller) needs App+User."""
        params: dict[str, Any] = {"size": page_size}
        filt = customer_filter(company_name_prefix, domain_prefix, indirect_reseller_id)
        if filt:
            params["filter"] = filt
        return iter_pages(
            self._t,
            "/v1/customers",
            params=params,
            parser=_parse.customer,
            what="customers",
            auth="user" if indirect_reseller_id else "app",
        )

    def list(
        self,
        *,
        page_size: int = 500,
        company_name_prefix: str | None = None,
        domain_prefix: str | None = None,
        indirect_reseller_id: str | None = None,
    ) -> Iterator[Customer]:
        return iter_items(
            self.list_pages(
                page_size=page_size,
                company_name_prefix=company_name_prefix,
                domain_prefix=domain_prefix,
                indirect_reseller_id=indirect_reseller_id,
            )
        )

    def get_relationship_request_link(self) -> RelationshipRequest:
        """The reseller-relationship invitation link for existing tenants (App+User)."""
        data = self._t.request_json("GET", "/v1/customers/relationshiprequests", auth="user")
        return _parse.relationship_request(data)

    def list_indirect_resellers(self) -> builtins.list[IndirectReseller]:
        """Indirect resellers of this indirect provider (App+User)."""
        pages = iter_pages(
            self._t,
            "/v1/relationships",
            params={"relationship_type": "IsIndirectCloudSolutionProviderOf"},
            parser=_parse.indirect_reseller,
            what="relationships",
            auth="user",
        )
        return list(iter_items(pages))

    def list_relationships(self, *, customer_id: str) -> builtins.list[IndirectReseller]:
        """The indirect resellers a customer has a relationship with (App+User)."""
        pages = iter_pages(
            self._t,
            f"/v1/customers/{quote(customer_id)}/relationships",
            params=None,
            parser=_parse.indirect_reseller,
            what="customer relationships",
            auth="user",
        )
        return list(iter_items(pages))

    def get_reseller_mpa_status(self, *, mpn_id: str) -> MpaStatus:
        """Whether an indirect reseller accepted the Microsoft Partner Agreement (App+User). Partner Center
        answers 403 / 900123 (PermissionDeniedError) when it has not."""
        data = self._t.request_json(
            "GET", "/v1/compliance/csp/agreementstatus", params={"mpnId": mpn_id}, auth="user"
        )
        return _parse.mpa_status(data)

    def delete_sandbox_customer(self, *, customer_id: str) -> None:
        """Integration sandbox only: ``DELETE /v1/customers/{id}`` (204)."""
        self._t.request("DELETE", f"/v1/customers/{quote(customer_id)}", expected=(204, 200))


__all__ = ["CustomersResource"]
