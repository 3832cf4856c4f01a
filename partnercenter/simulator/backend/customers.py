"""Customers: create (with Partner Center's address and registration rules), list with seek paging and
filters, delete (integration sandbox only) and removing the reseller relationship."""

from __future__ import annotations

import json
import re

from ..body import CIDict
from ..errors import PCError
from ..state import Customer
from .core import MAX_PAGE, SANDBOX_CUSTOMERS, BackendCore, Caller, Matcher, Page, address

ORG_REGISTRATION_REQUIRED = frozenset(["AM", "AZ", "BY", "HU", "IN", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"])
ORG_REGISTRATION_ALLOWED = ORG_REGISTRATION_REQUIRED | frozenset(["BR", "PL", "ZA", "AE", "SA", "TR", "TH", "VN"])
PHONE_REQUIRED = frozenset(["AM", "AZ", "BY", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"])
STATE_REQUIRED = frozenset(["US", "CA", "AU", "BR", "IN"])
DOMAIN_RE = re.compile(r"^[a-z0-9]{1,27}\.onmicrosoft\.com$")


class Customers:
    def __init__(self, core: BackendCore) -> None:
        self.core = core

    def get(self, caller: Caller, customer_id: str) -> Customer:
        return self.core.customer(caller, customer_id)

    def domain_exists(self, domain: str) -> bool:
        return self.core.domain_exists(domain)

    def create(self, caller: Caller, body: CIDict, request_id: str | None) -> tuple[Customer, dict[str, str]]:
        partner = caller.partner
        if request_id and request_id.lower() in partner.create_requests:
            customer_id, credentials = partner.create_requests[request_id.lower()]
            return partner.customers[customer_id], credentials

        company = body.obj("companyProfile")
        billing = body.obj("billingProfile")
        default_address = billing.obj("defaultAddress")
        domain = (company.text("domain") or "").lower()
        missing = [name for name, value in (
            ("companyProfile.domain", domain), ("billingProfile.email", billing.text("email")),
            ("billingProfile.culture", billing.text("culture")), ("billingProfile.language", billing.text("language")),
            ("billingProfile.companyName", billing.text("companyName")),
            ("billingProfile.defaultAddress.country", default_address.text("country")),
            ("billingProfile.defaultAddress.addressLine1", default_address.text("addressLine1")),
            ("billingProfile.defaultAddress.city", default_address.text("city")),
            ("billingProfile.defaultAddress.postalCode", default_address.text("postalCode")),
        ) if not value]
        if missing:
            raise PCError(400, 800002, description=f"Invalid request input: {', '.join(missing)} is required")
        if "userCredentials" in body and body.obj("userCredentials").text("password"):
            raise PCError(400, 800002, description="Invalid request input: userCredentials.password is not accepted")
        if not DOMAIN_RE.match(domain):
            raise PCError(400, 800002, description=f"Invalid request input: domain '{domain}' must be "
                          "<prefix>.onmicrosoft.com with a letters-and-digits prefix of at most 27 characters")
        country = (default_address.text("country") or "").upper()
        if len(country) != 2 or not country.isalpha():
            raise PCError(400, 800002, description=f"Invalid request input: country '{country}' is not an ISO "
                          "3166 two-letter code")
        if country in STATE_REQUIRED and not default_address.text("state"):
            raise PCError(400, 800002, description="Invalid request input: defaultAddress.state is required "
                          f"in {country}")
        org_number = company.text("organizationRegistrationNumber")
        if country in ORG_REGISTRATION_REQUIRED and not org_number:
            raise PCError(400, 600049)
        if org_number and country not in ORG_REGISTRATION_ALLOWED:
            raise PCError(400, 600002)
        if org_number and country == "IN" and not re.fullmatch(r"[A-Z0-9]{6,21}", org_number.upper()):
            raise PCError(400, 600050)
        if country in PHONE_REQUIRED and not default_address.text("phoneNumber"):
            raise PCError(400, 600051)
        language = billing.text("language") or ""
        if len(language) != 2:
            raise PCError(400, 800002, description="Invalid request input: language must be a two-letter code")
        associated = body.text("associatedPartnerId")
        if associated:
            caller.require_user()
            if partner.kind != "indirect_provider":
                raise PCError(400, 800016)
            reseller = partner.resellers.get(associated.lower()) or partner.reseller_by_mpn(associated)
            if reseller is None:
                raise PCError(404, 800015)
            associated = reseller.tenant_id
        if self.core.domain_exists(domain):
            raise PCError(409, 800002, description=f"The domain {domain} is already in use. Choose another "
                          "domain prefix and check it with HEAD /v1/domains/{domain} first.")
        if partner.sandbox and len(partner.customers) >= SANDBOX_CUSTOMERS:
            raise PCError(400, 800018)

        ids = self.core.state.ids
        customer_id = ids.guid()
        customer = Customer(
            id=customer_id,
            commerce_id=ids.guid(),
            domain=domain,
            company_name=billing.text("companyName") or "",
            email=billing.text("email") or "",
            culture=billing.text("culture") or "en-US",
            language=language.lower(),
            address=address(default_address, country),
            billing_profile_id=ids.guid(),
            billing_etag=ids.etag(),
            created=self.core.now,
            organization_registration_number=org_number,
            associated_partner_id=associated,
            custom_domains=[domain],
        )
        credentials = {"userName": "admin", "password": ids.password()}
        self.core.attach_customer(partner, customer)
        self.core.state.domains[domain] = customer_id
        if request_id:
            partner.create_requests[request_id.lower()] = (customer_id, credentials)
        self.core.audit(caller, "add_customer", "customer", customer, {"Id": customer_id, "Domain": domain},
                        {"CustomerId": customer_id, "Domain": domain})
        return customer, credentials

    def list(self, caller: Caller, *, size: int | None, token: str | None, filter_text: str | None) -> Page:
        partner = caller.partner
        if token:
            offset, extra = self.core.read_token(partner, "customers", token)
            size = int(extra.get("size", MAX_PAGE))
            filter_text = extra.get("filter")
        else:
            offset = 0
            size = MAX_PAGE if size is None else size
            if size < 0:
                raise PCError(400, 800002, description="Invalid request input: size must not be negative")
            size = min(size or MAX_PAGE, MAX_PAGE)
        ids = partner.customer_order
        if filter_text:
            matcher = self._filter(caller, filter_text)
            ids = [cid for cid in ids if matcher(partner.customers[cid])]
        chunk = ids[offset:offset + size]
        following = None
        if offset + size < len(ids):
            following = self.core.make_token(partner, "customers", offset + size,
                                             {"size": size, "filter": filter_text})
        return Page([partner.customers[cid] for cid in chunk], following, size)

    @staticmethod
    def _filter(caller: Caller, filter_text: str) -> Matcher:
        try:
            raw = json.loads(filter_text)
        except json.JSONDecodeError:
            raise PCError(400, 800002, description="Invalid request input: filter must be JSON") from None
        spec = CIDict(raw if isinstance(raw, dict) else {})
        field, value = (spec.text("Field") or "").lower(), (spec.text("Value") or "").lower()
        operator = (spec.text("Operator") or "").lower()
        if operator != "starts_with":
            raise PCError(400, 800002, description="Invalid request input: the only supported operator is "
                          "starts_with")
        if field == "companyname":
            return lambda c: c.company_name.lower().startswith(value)
        if field == "domain":
            return lambda c: c.domain.lower().startswith(value)
        if field == "indirectreseller":
            caller.require_user()
            return lambda c: (c.associated_partner_id or "").lower().startswith(value)
        if field == "indirectcloudsolutionprovider":
            return lambda c: caller.partner.tenant_id.startswith(value)
        raise PCError(400, 800002, description=f"Invalid request input: unknown filter field '{field}'")

    def delete(self, caller: Caller, customer_id: str) -> None:
        customer = self.core.customer(caller, customer_id)
        partner = caller.partner
        if not partner.sandbox:
            raise PCError(403, 900127, description="This operation isn't supported in this environment: customers "
                          "can be deleted only in the integration sandbox")
        del partner.customers[customer.id]
        partner.customer_order.remove(customer.id)
        self.core.state.domains.pop(customer.domain, None)
        for sid in partner.customer_subscriptions.pop(customer.id, []):
            partner.subscriptions.pop(sid, None)
        for oid in partner.customer_orders.pop(customer.id, []):
            partner.orders.pop(oid, None)
            partner.pending_orders.discard(oid)
        self.core.audit(caller, "delete_customer", "customer", customer, {"Id": customer.id},
                        {"CustomerId": customer.id})

    def set_relationship(self, caller: Caller, customer_id: str, body: CIDict) -> Customer:
        caller.require_user()
        customer = self.core.customer(caller, customer_id)
        value = (body.text("relationshipToPartner") or "").lower()
        if value != "none":
            raise PCError(400, 800002, description="Invalid request input: only relationshipToPartner 'none' can "
                          "be set")
        active = [s for s in self.core.subs_of(caller.partner, customer.id) if s.status == "active"]
        if active:
            raise PCError(400, 800002, description="All subscriptions must be suspended before the reseller "
                          "relationship can be removed")
        customer.relationship = "none"
        return customer
