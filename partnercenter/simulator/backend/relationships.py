"""Reseller relationships: the invitation link, indirect resellers and their MPA status, and (for the control
API) existing Microsoft 365 tenants that accept a partner's invitation and so become its customers."""

from __future__ import annotations

from typing import Any

from ..body import CIDict
from ..errors import PCError
from ..state import Customer, IndirectReseller, PartnerAccount, Tenant
from .core import BackendCore, Caller, address


class Relationships:
    def __init__(self, core: BackendCore) -> None:
        self.core = core

    def request_url(self, caller: Caller) -> str:
        caller.require_user()
        return ("https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship"
                f"&partnerId={caller.partner.tenant_id}&msppId=0&DAP=false#/BillingAccounts/partner-invitation")

    def indirect_resellers(self, caller: Caller, relationship_type: str | None) -> list[IndirectReseller]:
        caller.require_user()
        kind = (relationship_type or "").lower()
        if kind not in ("isindirectcloudsolutionproviderof", "isindirectresellerof"):
            raise PCError(400, 800002, description="Invalid request input: relationship_type must be "
                          "IsIndirectCloudSolutionProviderOf or IsIndirectResellerOf")
        if kind == "isindirectresellerof":
            return []
        return list(caller.partner.resellers.values())

    def customer_resellers(self, caller: Caller, customer_id: str) -> list[IndirectReseller]:
        caller.require_user()
        customer = self.core.customer(caller, customer_id)
        resellers = {customer.associated_partner_id} if customer.associated_partner_id else set()
        for sub in self.core.subs_of(caller.partner, customer.id):
            reseller = caller.partner.reseller_by_mpn(sub.partner_id) if sub.partner_id else None
            if reseller:
                resellers.add(reseller.tenant_id)
        return [caller.partner.resellers[t] for t in sorted(resellers) if t in caller.partner.resellers]

    def reseller_mpa_status(self, caller: Caller, mpn_id: str | None, tenant_id: str | None) -> dict[str, Any]:
        reseller = caller.partner.reseller_by_mpn(mpn_id or tenant_id or "")
        if reseller is None:
            raise PCError(404, 800015)
        return {"agreementStatus": "active" if reseller.mpa_accepted else "inactive", "mpnId": reseller.mpn_id,
                "tenantId": reseller.tenant_id}

    # -- existing tenants (control API) -------------------------------------------------------------------
    def tenant_create(self, body: CIDict) -> Tenant:
        state = self.core.state
        domain = (body.text("domain") or f"tenant{state.ids.digits(8)}.onmicrosoft.com").lower()
        if self.core.domain_exists(domain):
            raise PCError(409, 800002, description=f"The domain {domain} is already in use")
        tenant = Tenant(
            id=(body.text("tenantId") or state.ids.guid()).lower(),
            domain=domain,
            company_name=body.text("companyName") or domain.split(".")[0].title(),
            email=body.text("email") or f"admin@{domain}",
            address=address(body.obj("address"), (body.obj("address").text("country") or "US").upper()),
        )
        state.tenants[tenant.id] = tenant
        state.domains[domain] = tenant.id
        return tenant

    def accept(self, partner: PartnerAccount, tenant_ref: str, reseller_id: str | None) -> Customer:
        state = self.core.state
        tenant = state.tenants.get(tenant_ref.lower())
        if tenant is None:
            tenant_id = state.domains.get(tenant_ref.lower())
            tenant = state.tenants.get(tenant_id or "")
        if tenant is None:
            raise PCError(404, 1000, description=f"Tenant {tenant_ref} not found")
        existing = partner.customers.get(tenant.id)
        if existing is not None:
            existing.relationship = "reseller"
            return existing
        associated = None
        if reseller_id:
            reseller = partner.resellers.get(reseller_id.lower()) or partner.reseller_by_mpn(reseller_id)
            if reseller is None:
                raise PCError(404, 800015)
            associated = reseller.tenant_id
        customer = Customer(
            id=tenant.id, commerce_id=state.ids.guid(), domain=tenant.domain, company_name=tenant.company_name,
            email=tenant.email, culture=tenant.culture, language=tenant.language, address=dict(tenant.address),
            billing_profile_id=state.ids.guid(), billing_etag=state.ids.etag(), created=self.core.now,
            associated_partner_id=associated, custom_domains=[tenant.domain],
        )
        self.core.attach_customer(partner, customer)
        self.core.audit(Caller(partner, app_only=True), "add_customer", "customer", customer,
                        {"Id": customer.id, "Domain": customer.domain, "RelationshipToPartner": "reseller"},
                        {"CustomerId": customer.id})
        return customer
