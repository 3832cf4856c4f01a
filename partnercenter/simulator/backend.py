"""Partner Center behaviour: business rules and errors, independent of HTTP.

Every public method takes the calling partner (and whether the call is app-only) and returns domain objects
from ``state.py``; ``render.py`` turns them into JSON. Callers hold ``state.lock``.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import hmac
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from .body import CIDict, plain
from .catalog import AZURE_PLAN_PRODUCT, Catalog, Offer
from .errors import PCError
from .state import (
    Agreement,
    AzureEntitlement,
    Cart,
    CartLine,
    Customer,
    IndirectReseller,
    Order,
    OrderLine,
    PartnerAccount,
    RefundBatch,
    SimState,
    Subscription,
    Tenant,
)

MCA_TEMPLATE_ID = "117a77b0-9360-443b-8795-c6dedc750cf9"
MCLOUDA_TEMPLATE_ID = "998b88de-aa99-4388-a42c-1b3517d49490"
AGREEMENT_METADATA = (
    {"templateId": MCA_TEMPLATE_ID, "agreementType": "MicrosoftCustomerAgreement",
     "agreementLink": "https://aka.ms/customeragreement", "versionRank": 0},
    {"templateId": MCLOUDA_TEMPLATE_ID, "agreementType": "MicrosoftCloudAgreement",
     "agreementLink": "https://learn.microsoft.com/partner-center/agreements", "versionRank": 0},
)

ORG_REGISTRATION_REQUIRED = frozenset(["AM", "AZ", "BY", "HU", "IN", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"])
ORG_REGISTRATION_ALLOWED = ORG_REGISTRATION_REQUIRED | frozenset(["BR", "PL", "ZA", "AE", "SA", "TR", "TH", "VN"])
PHONE_REQUIRED = frozenset(["AM", "AZ", "BY", "KZ", "KG", "MD", "RU", "TJ", "UZ", "UA"])
STATE_REQUIRED = frozenset(["US", "CA", "AU", "BR", "IN"])
BILLING_CYCLES = {"monthly", "annual", "triennial", "biennial", "one_time", "none", "unknown"}
DOMAIN_RE = re.compile(r"^[a-z0-9]{1,27}\.onmicrosoft\.com$")
MAX_PAGE = 500
MAX_SUBSCRIPTION_UPDATES = 1200
SANDBOX_CUSTOMERS, SANDBOX_SUBSCRIPTIONS, SANDBOX_SEATS = 75, 5, 25


@dataclass(frozen=True)
class Caller:
    partner: PartnerAccount
    app_only: bool
    user_id: str | None = None

    def require_user(self) -> None:
        if self.app_only:
            raise PCError(403, 900329)


@dataclass
class Page:
    items: list[Any]
    continuation: str | None
    size: int


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_seconds(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


TERM_MONTHS = {"P1M": 1, "P1Y": 12, "P3Y": 36}


def term_end(start: dt.date, duration: str | None) -> dt.date | None:
    months = TERM_MONTHS.get((duration or "").upper())
    if months is None:
        return None
    return add_months(start, months) - dt.timedelta(days=1)


def end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=dt.UTC)


def _cycle(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_")


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise PCError(400, 800002, description=f"Invalid request input: {name} must be an integer")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PCError(400, 800002, description=f"Invalid request input: {name} must be an integer") from None


class Backend:
    def __init__(self, state: SimState, catalog: Catalog | None = None) -> None:
        self.state = state
        self.catalog = catalog or Catalog(state.clock.now, seed=state.seed)
        self._page_secret = hashlib.sha256(f"seek:{state.seed}".encode()).digest()

    @property
    def now(self) -> dt.datetime:
        return self.state.clock.now()

    # -- audit ---------------------------------------------------------------------------------------
    def _audit(self, caller: Caller, operation: str, resource_type: str, customer: Customer | None,
               new_value: dict[str, Any], data: dict[str, Any]) -> None:
        partner = caller.partner
        partner.audit.append({
            "partnerId": partner.tenant_id,
            "customerId": customer.id if customer else None,
            "customerName": customer.company_name if customer else None,
            "userPrincipalName": partner.user_upn if not caller.app_only else None,
            "applicationId": "Partner Center Simulator",
            "resourceType": resource_type,
            "resourceNewValue": json.dumps(new_value, default=str),
            "operationType": operation,
            "operationDate": iso(self.now),
            "operationStatus": "succeeded",
            "customizedData": [{"key": k, "value": None if v is None else str(v)} for k, v in data.items()],
            "attributes": {"objectType": "AuditRecord"},
        })

    # -- seek paging ---------------------------------------------------------------------------------
    def make_token(self, partner: PartnerAccount, kind: str, offset: int, extra: dict[str, Any]) -> str:
        payload = json.dumps({"p": partner.tenant_id, "k": kind, "o": offset, "x": extra},
                             separators=(",", ":")).encode()
        sig = hmac.new(self._page_secret, payload, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(payload + b"." + sig).decode()

    def read_token(self, partner: PartnerAccount, kind: str, token: str) -> tuple[int, dict[str, Any]]:
        invalid = PCError(400, 800002, description="Invalid request input: the continuation token is not valid")
        try:
            raw = base64.urlsafe_b64decode(token.encode())
            payload, sig = raw[:-13], raw[-12:]
            if raw[-13:-12] != b"." or not hmac.compare_digest(
                sig, hmac.new(self._page_secret, payload, hashlib.sha256).digest()[:12]
            ):
                raise invalid
            data = json.loads(payload)
        except (ValueError, json.JSONDecodeError):
            raise invalid from None
        if data.get("p") != partner.tenant_id or data.get("k") != kind:
            raise invalid
        return int(data["o"]), dict(data.get("x") or {})

    # -- customers -----------------------------------------------------------------------------------
    def customer(self, caller: Caller, customer_id: str) -> Customer:
        customer = caller.partner.customers.get(customer_id.lower())
        if customer is None:
            if _looks_like_guid(customer_id):
                raise PCError(403, 20002, caller.partner.tenant_id, customer_id)
            raise PCError(404, 1000, description=f"Customer {customer_id} not found")
        return customer

    def domain_exists(self, domain: str) -> bool:
        return self.state.domain_taken(domain)

    def customer_create(self, caller: Caller, body: CIDict, request_id: str | None) -> tuple[Customer, dict[str, str]]:
        partner = caller.partner
        if request_id and request_id.lower() in partner.create_requests:
            customer_id, credentials = partner.create_requests[request_id.lower()]
            return partner.customers[customer_id], credentials

        company = body.obj("companyProfile")
        billing = body.obj("billingProfile")
        address = billing.obj("defaultAddress")
        domain = (company.text("domain") or "").lower()
        missing = [name for name, value in (
            ("companyProfile.domain", domain), ("billingProfile.email", billing.text("email")),
            ("billingProfile.culture", billing.text("culture")), ("billingProfile.language", billing.text("language")),
            ("billingProfile.companyName", billing.text("companyName")),
            ("billingProfile.defaultAddress.country", address.text("country")),
            ("billingProfile.defaultAddress.addressLine1", address.text("addressLine1")),
            ("billingProfile.defaultAddress.city", address.text("city")),
            ("billingProfile.defaultAddress.postalCode", address.text("postalCode")),
        ) if not value]
        if missing:
            raise PCError(400, 800002, description=f"Invalid request input: {', '.join(missing)} is required")
        if "userCredentials" in body and body.obj("userCredentials").text("password"):
            raise PCError(400, 800002, description="Invalid request input: userCredentials.password is not accepted")
        if not DOMAIN_RE.match(domain):
            raise PCError(400, 800002, description=f"Invalid request input: domain '{domain}' must be "
                          "<prefix>.onmicrosoft.com with a letters-and-digits prefix of at most 27 characters")
        country = (address.text("country") or "").upper()
        if len(country) != 2 or not country.isalpha():
            raise PCError(400, 800002, description=f"Invalid request input: country '{country}' is not an ISO "
                          "3166 two-letter code")
        if country in STATE_REQUIRED and not address.text("state"):
            raise PCError(400, 800002, description="Invalid request input: defaultAddress.state is required "
                          f"in {country}")
        org_number = company.text("organizationRegistrationNumber")
        if country in ORG_REGISTRATION_REQUIRED and not org_number:
            raise PCError(400, 600049)
        if org_number and country not in ORG_REGISTRATION_ALLOWED:
            raise PCError(400, 600002)
        if org_number and country == "IN" and not re.fullmatch(r"[A-Z0-9]{6,21}", org_number.upper()):
            raise PCError(400, 600050)
        if country in PHONE_REQUIRED and not address.text("phoneNumber"):
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
        if self.domain_exists(domain):
            raise PCError(409, 800002, description=f"The domain {domain} is already in use. Choose another "
                          "domain prefix and check it with HEAD /v1/domains/{domain} first.")
        if partner.sandbox and len(partner.customers) >= SANDBOX_CUSTOMERS:
            raise PCError(400, 800018)

        ids = self.state.ids
        customer_id = ids.guid()
        customer = Customer(
            id=customer_id,
            commerce_id=ids.guid(),
            domain=domain,
            company_name=billing.text("companyName") or "",
            email=billing.text("email") or "",
            culture=billing.text("culture") or "en-US",
            language=language.lower(),
            address=_address(address, country),
            billing_profile_id=ids.guid(),
            billing_etag=ids.etag(),
            created=self.now,
            organization_registration_number=org_number,
            associated_partner_id=associated,
            custom_domains=[domain],
        )
        credentials = {"userName": "admin", "password": ids.password()}
        self._attach_customer(partner, customer)
        self.state.domains[domain] = customer_id
        if request_id:
            partner.create_requests[request_id.lower()] = (customer_id, credentials)
        self._audit(caller, "add_customer", "customer", customer, {"Id": customer_id, "Domain": domain},
                    {"CustomerId": customer_id, "Domain": domain})
        return customer, credentials

    def _attach_customer(self, partner: PartnerAccount, customer: Customer) -> None:
        partner.customers[customer.id] = customer
        partner.customer_order.append(customer.id)
        partner.customer_orders.setdefault(customer.id, [])
        partner.customer_subscriptions.setdefault(customer.id, [])

    def customer_list(self, caller: Caller, *, size: int | None, token: str | None,
                      filter_text: str | None) -> Page:
        partner = caller.partner
        if token:
            offset, extra = self.read_token(partner, "customers", token)
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
            matcher = self._customer_filter(caller, filter_text)
            ids = [cid for cid in ids if matcher(partner.customers[cid])]
        chunk = ids[offset:offset + size]
        following = None
        if offset + size < len(ids):
            following = self.make_token(partner, "customers", offset + size, {"size": size, "filter": filter_text})
        return Page([partner.customers[cid] for cid in chunk], following, size)

    def _customer_filter(self, caller: Caller, filter_text: str) -> Any:
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

    def customer_delete(self, caller: Caller, customer_id: str) -> None:
        customer = self.customer(caller, customer_id)
        partner = caller.partner
        if not partner.sandbox:
            raise PCError(403, 900127, description="This operation isn't supported in this environment: customers "
                          "can be deleted only in the integration sandbox")
        del partner.customers[customer.id]
        partner.customer_order.remove(customer.id)
        self.state.domains.pop(customer.domain, None)
        for sid in partner.customer_subscriptions.pop(customer.id, []):
            partner.subscriptions.pop(sid, None)
        for oid in partner.customer_orders.pop(customer.id, []):
            partner.orders.pop(oid, None)
            partner.pending_orders.discard(oid)
        self._audit(caller, "delete_customer", "customer", customer, {"Id": customer.id}, {"CustomerId": customer.id})

    def customer_set_relationship(self, caller: Caller, customer_id: str, body: CIDict) -> Customer:
        caller.require_user()
        customer = self.customer(caller, customer_id)
        value = (body.text("relationshipToPartner") or "").lower()
        if value != "none":
            raise PCError(400, 800002, description="Invalid request input: only relationshipToPartner 'none' can "
                          "be set")
        active = [s for s in self._subs_of(caller.partner, customer.id) if s.status == "active"]
        if active:
            raise PCError(400, 800002, description="All subscriptions must be suspended before the reseller "
                          "relationship can be removed")
        customer.relationship = "none"
        return customer

    def relationship_request_url(self, caller: Caller) -> str:
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
        customer = self.customer(caller, customer_id)
        resellers = {customer.associated_partner_id} if customer.associated_partner_id else set()
        for sub in self._subs_of(caller.partner, customer.id):
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

    # -- existing tenants (control API) ---------------------------------------------------------------
    def tenant_create(self, body: CIDict) -> Tenant:
        domain = (body.text("domain") or f"tenant{self.state.ids.digits(8)}.onmicrosoft.com").lower()
        if self.domain_exists(domain):
            raise PCError(409, 800002, description=f"The domain {domain} is already in use")
        tenant = Tenant(
            id=(body.text("tenantId") or self.state.ids.guid()).lower(),
            domain=domain,
            company_name=body.text("companyName") or domain.split(".")[0].title(),
            email=body.text("email") or f"admin@{domain}",
            address=_address(body.obj("address"), (body.obj("address").text("country") or "US").upper()),
        )
        self.state.tenants[tenant.id] = tenant
        self.state.domains[domain] = tenant.id
        return tenant

    def relationship_accept(self, partner: PartnerAccount, tenant_ref: str, reseller_id: str | None) -> Customer:
        tenant = self.state.tenants.get(tenant_ref.lower())
        if tenant is None:
            tenant_id = self.state.domains.get(tenant_ref.lower())
            tenant = self.state.tenants.get(tenant_id or "")
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
            id=tenant.id, commerce_id=self.state.ids.guid(), domain=tenant.domain, company_name=tenant.company_name,
            email=tenant.email, culture=tenant.culture, language=tenant.language, address=dict(tenant.address),
            billing_profile_id=self.state.ids.guid(), billing_etag=self.state.ids.etag(), created=self.now,
            associated_partner_id=associated, custom_domains=[tenant.domain],
        )
        self._attach_customer(partner, customer)
        self._audit(Caller(partner, app_only=True), "add_customer", "customer", customer,
                    {"Id": customer.id, "Domain": customer.domain, "RelationshipToPartner": "reseller"},
                    {"CustomerId": customer.id})
        return customer

    # -- agreements ----------------------------------------------------------------------------------
    def agreement_metadata(self, caller: Caller, agreement_type: str | None) -> list[dict[str, Any]]:
        caller.require_user()
        wanted = (agreement_type or "MicrosoftCloudAgreement").lower()
        return [m for m in AGREEMENT_METADATA if wanted in ("*", "all") or m["agreementType"].lower() == wanted]

    def agreement_create(self, caller: Caller, customer_id: str, body: CIDict) -> Agreement:
        caller.require_user()
        customer = self.customer(caller, customer_id)
        contact = body.obj("primaryContact")
        missing = [n for n in ("firstName", "lastName", "email") if not contact.text(n)]
        template_id = (body.text("templateId") or "").lower()
        agreement_type = body.text("type") or ""
        if missing or not template_id or not body.text("dateAgreed") or not agreement_type:
            raise PCError(400, 800002, description="Invalid request input: primaryContact.firstName, lastName, "
                          "email, templateId, dateAgreed and type are required")
        known = {m["templateId"]: m["agreementType"] for m in AGREEMENT_METADATA}
        if known.get(template_id, "").lower() != agreement_type.lower():
            raise PCError(400, 800002, description=f"Invalid request input: templateId {template_id} does not "
                          f"match agreement type {agreement_type}")
        new_contact = {
            "firstName": contact.text("firstName"), "lastName": contact.text("lastName"),
            "email": contact.text("email"), "phoneNumber": contact.text("phoneNumber") or "",
        }
        for existing in customer.agreements:
            if existing.type.lower() == agreement_type.lower() and existing.primary_contact == new_contact:
                raise PCError(409, 600061, shape="B", error_name="PartnerConfirmedAgreementAlreadyExists")
        agreement = Agreement(
            user_id=caller.user_id or caller.partner.user_id, primary_contact=new_contact,
            template_id=template_id, date_agreed=body.text("dateAgreed") or "", type=known[template_id],
        )
        customer.agreements.append(agreement)
        self._audit(caller, "create_customer_agreement", "customer", customer,
                    {"TemplateId": template_id, "Type": agreement.type}, {"CustomerId": customer.id})
        return agreement

    def agreements_of(self, caller: Caller, customer_id: str, agreement_type: str | None) -> list[Agreement]:
        caller.require_user()
        customer = self.customer(caller, customer_id)
        wanted = (agreement_type or "").lower()
        return [a for a in customer.agreements if not wanted or wanted in ("*", "all") or a.type.lower() == wanted]

    @staticmethod
    def has_mca(customer: Customer) -> bool:
        return customer.mca_direct_signed or any(
            a.type == "MicrosoftCustomerAgreement" for a in customer.agreements
        )

    # -- catalog -------------------------------------------------------------------------------------
    def check_catalog_query(self, target_view: str | None, segment: str | None) -> None:
        views = {"azure", "azurereservations", "azurereservationsvm", "azurereservationssql",
                 "azurereservationscosmosdb", "microsoftazure", "onlineservices", "software",
                 "softwaresuselinux", "softwareperpetual", "softwaresubscriptions", "specializedoffers",
                 "marketplacesaas"}
        if target_view and target_view.lower() not in views:
            raise PCError(403, 400036)
        if segment and segment.lower() not in {"commercial", "education", "government", "nonprofit"}:
            raise PCError(403, 400030)

    def offer_for(self, catalog_item_id: str, country: str) -> Offer | None:
        return self.catalog.find(catalog_item_id, country)

    # -- carts ---------------------------------------------------------------------------------------
    def _cart(self, caller: Caller, customer: Customer, cart_id: str) -> Cart:
        cart = caller.partner.carts.get(cart_id.lower())
        if cart is None or cart.customer_id != customer.id or cart.expires <= self.now:
            raise PCError(404, 800008, description=f"Unable to retrieve cart ID {cart_id}")
        return cart

    def cart_create(self, caller: Caller, customer_id: str, body: CIDict) -> Cart:
        customer = self.customer(caller, customer_id)
        now = self.now
        cart = Cart(
            id=self.state.ids.guid(), customer_id=customer.id, created=now, modified=now,
            expires=now + dt.timedelta(days=self.state.config.cart_expiry_days),
            last_modified_user=caller.user_id or caller.partner.user_id, lines=[],
        )
        self._fill_cart(caller, customer, cart, body)
        caller.partner.carts[cart.id] = cart
        return cart

    def cart_update(self, caller: Caller, customer_id: str, cart_id: str, body: CIDict) -> Cart:
        customer = self.customer(caller, customer_id)
        cart = self._cart(caller, customer, cart_id)
        if cart.status != "Active" or cart.processing:
            raise PCError(400, 800065, cart.id)
        self._fill_cart(caller, customer, cart, body)
        cart.modified = self.now
        cart.last_modified_user = caller.user_id or caller.partner.user_id
        return cart

    def cart_get(self, caller: Caller, customer_id: str, cart_id: str) -> Cart:
        return self._cart(caller, self.customer(caller, customer_id), cart_id)

    def _fill_cart(self, caller: Caller, customer: Customer, cart: Cart, body: CIDict) -> None:
        raw_lines = body.get("lineItems")
        if not isinstance(raw_lines, list) or not raw_lines:
            raise PCError(400, 800002, description="Invalid request input: lineItems must be a non-empty array")
        if "partnerOnRecordAttestationAccepted" in body:
            cart.partner_on_record_attestation_accepted = bool(body.get("partnerOnRecordAttestationAccepted"))
        lines: list[CartLine] = []
        for position, raw in enumerate(raw_lines):
            item = raw if isinstance(raw, CIDict) else CIDict()
            line_id = _int(item.get("id", position), "lineItems.id")
            if line_id != position:
                raise PCError(400, 800071)
            if not item.text("catalogItemId") or item.get("quantity") is None or not item.text("billingCycle"):
                raise PCError(400, 800002, description="Invalid request input: catalogItemId, quantity and "
                              "billingCycle are required on every line item")
            participants = [
                {"key": _cycle(p.get("key")), "value": str(p.get("value") or "")}
                for p in item.get("participants") or [] if isinstance(p, CIDict)
            ]
            renews_to = item.get("renewsTo")
            line = CartLine(
                id=line_id,
                catalog_item_id=item.text("catalogItemId") or "",
                quantity=_int(item.get("quantity"), "quantity"),
                billing_cycle=_cycle(item.get("billingCycle")),
                term_duration=(item.text("termDuration") or None),
                friendly_name=item.text("friendlyName"),
                currency_code=item.text("currencyCode") or "",
                promotion_id=item.text("promotionId"),
                provisioning_context=plain(item.get("provisioningContext") or {}),
                participants=participants,
                custom_term_end_date=item.text("customTermEndDate"),
                renews_to=plain(renews_to) if isinstance(renews_to, dict) else None,
                attestation_accepted=item.get("attestationAccepted"),
            )
            line.error = self._line_error(caller, customer, line)
            lines.append(line)
        groups: dict[str, str] = {}
        for line in lines:
            offer = self.offer_for(line.catalog_item_id, customer.country)
            key = offer.product_type if offer else "error"
            line.order_group = groups.setdefault(key, str(len(groups)))
        cart.lines = lines

    def _line_error(self, caller: Caller, customer: Customer, line: CartLine) -> dict[str, Any] | None:
        def error(code: int, description: str, **extra: Any) -> dict[str, Any]:
            return {"errorCode": code, "errorDescription": description, "additionalInformation": extra}

        offer = self.offer_for(line.catalog_item_id, customer.country)
        if offer is None and not self.catalog.is_stale(line.catalog_item_id):
            return error(10001, f"CatalogItemId {line.catalog_item_id} is not valid for country {customer.country}")
        if offer is None:
            return None  # a rotated availability: accepted here, refused at checkout with 400019
        currency = offer.currency
        if line.currency_code and line.currency_code.upper() != currency:
            return error(10000, f"Currency {line.currency_code} is not supported; use {currency}")
        line.currency_code = currency
        if not offer.is_purchasable:
            return error(500600, "The offer is no longer available for purchase")
        if line.billing_cycle not in BILLING_CYCLES:
            return error(10010, f"Invalid billing cycle {line.billing_cycle}")
        duration = line.term_duration.upper() if line.term_duration else None
        if offer.product_type == "Azure":
            duration = None
        if offer.term(duration, line.billing_cycle) is None:
            return error(10013, f"Billing plan {line.billing_cycle} with term {line.term_duration} is not "
                         "supported for this catalog item")
        line.term_duration = duration
        if line.quantity < offer.min_quantity or line.quantity > offer.max_quantity:
            return error(10015 if line.quantity > offer.max_quantity else 10010,
                         f"Quantity must be between {offer.min_quantity} and {offer.max_quantity}")
        if caller.partner.sandbox and line.quantity > SANDBOX_SEATS:
            return error(10009, "Sandbox limit exceeded")
        if line.participants and caller.partner.kind != "indirect_provider":
            return error(10004, "Participants are not supported for this partner")
        for participant in line.participants:
            if participant["key"] not in ("transaction_reseller", "additional_transaction_reseller"):
                return error(10010, f"Unknown participant key {participant['key']}")
        return None

    def cart_checkout_begin(self, caller: Caller, customer_id: str, cart_id: str) -> tuple[Cart, dict[str, Any] | None]:
        """First half of checkout: validate and mark the cart processing (or return the first result)."""
        customer = self.customer(caller, customer_id)
        cart = self._cart(caller, customer, cart_id)
        if cart.checkout_result is not None:
            return cart, cart.checkout_result
        if cart.processing:
            raise PCError(409, 800064, cart.id)
        if cart.status != "Active":
            raise PCError(400, 800065, cart.id)
        errors = [line for line in cart.lines if line.error]
        if errors:
            raise PCError(400, 800009, data=[{"lineItemId": e.id, **(e.error or {})} for e in errors])
        for line in cart.lines:
            if self.catalog.is_stale(line.catalog_item_id) and self.offer_for(
                line.catalog_item_id, customer.country
            ) is None:
                raise PCError(404, 400019)
        if not self.has_mca(customer):
            raise PCError(403, 13605)
        partner = caller.partner
        if any(line.participants for line in cart.lines) and not cart.partner_on_record_attestation_accepted:
            raise PCError(400, 900206)
        for line in cart.lines:
            for participant in line.participants:
                reseller = partner.reseller_by_mpn(participant["value"])
                if reseller is None:
                    if participant["value"] == partner.mpn_id:
                        raise PCError(400, 2072, description="The partner ID on record can't be the provider's "
                                      "own partner ID")
                    raise PCError(404, 800015)
                if not reseller.mpa_accepted:
                    raise PCError(403, 900123)
        existing = self._subs_of(partner, customer.id)
        if any(self.offer_for(line.catalog_item_id, customer.country).product_type == "Azure"  # type: ignore[union-attr]
               for line in cart.lines) and any(
            s.product_id == AZURE_PLAN_PRODUCT and s.status != "deleted" for s in existing
        ):
            raise PCError(403, 800089, description="The customer already has an Azure plan; only one Azure plan "
                          "is allowed per customer")
        if partner.sandbox and len(existing) + len(cart.lines) > SANDBOX_SUBSCRIPTIONS:
            raise PCError(400, 800018)
        cart.processing = True
        return cart, None

    def cart_checkout_commit(self, caller: Caller, cart: Cart) -> dict[str, Any]:
        """Second half of checkout: create one order per order group."""
        from .render import render_order  # render depends on backend helpers only

        customer = caller.partner.customers[cart.customer_id]
        now = self.now
        delay = dt.timedelta(seconds=self.state.config.order_provisioning_seconds)
        orders: list[Order] = []
        groups: dict[str, list[CartLine]] = {}
        for line in cart.lines:
            groups.setdefault(line.order_group, []).append(line)
        for group_lines in groups.values():
            order_id = self.state.ids.hex12()
            order_lines: list[OrderLine] = []
            for number, line in enumerate(group_lines):
                offer = self.offer_for(line.catalog_item_id, customer.country)
                assert offer is not None
                price, list_price = offer.unit_prices(line.term_duration, line.billing_cycle)
                reseller = next((p["value"] for p in line.participants if p["key"] == "transaction_reseller"), None)
                if reseller is None and customer.associated_partner_id:
                    associated = caller.partner.resellers.get(customer.associated_partner_id)
                    reseller = associated.mpn_id if associated else None
                order_lines.append(OrderLine(
                    line_item_number=number, offer_id=offer.catalog_item_id, product_id=offer.product_id,
                    sku_id=offer.sku_id, availability_id=offer.availability_id,
                    subscription_id=self.state.ids.guid(), term_duration=line.term_duration,
                    billing_cycle=line.billing_cycle, friendly_name=line.friendly_name or offer.sku_title,
                    quantity=line.quantity, country=customer.country, partner_id_on_record=reseller,
                    additional_partner_ids=[p["value"] for p in line.participants
                                            if p["key"] == "additional_transaction_reseller"],
                    pricing={"listPrice": list_price, "discountedPrice": price, "proratedPrice": price,
                             "price": price, "extendedPrice": round(price * line.quantity, 2)},
                    promotion_id=line.promotion_id, provisioning_context=dict(line.provisioning_context),
                ))
            first_offer = self.offer_for(group_lines[0].catalog_item_id, customer.country)
            assert first_offer is not None
            order = Order(
                id=order_id, customer_id=customer.id, billing_cycle=group_lines[0].billing_cycle,
                currency_code=first_offer.currency, currency_symbol=first_offer.currency_symbol, lines=order_lines,
                created=now, completes_at=now + delay,
                total_price=round(sum(line.pricing["extendedPrice"] for line in order_lines), 2),
            )
            caller.partner.orders[order.id] = order
            caller.partner.customer_orders.setdefault(customer.id, []).append(order.id)
            caller.partner.pending_orders.add(order.id)
            orders.append(order)
            self._audit(caller, "create_order", "order", customer, {"Id": order.id},
                        {"OrderId": order.id, "BillingCycle": order.billing_cycle,
                         **{f"OfferId-{line.line_item_number}": line.offer_id for line in order_lines},
                         **{f"SubscriptionId-{line.line_item_number}": line.subscription_id for line in order_lines},
                         **{f"Quantity-{line.line_item_number}": line.quantity for line in order_lines}})
        cart.status = "Ordered"
        cart.processing = False
        cart.modified = now
        self.settle_orders(caller.partner)
        result = {
            "orders": [render_order(o, caller.partner) for o in orders],
            "orderErrors": [],
            "attributes": {"objectType": "CartCheckoutResult"},
        }
        cart.checkout_result = result
        return result

    def cart_checkout_abort(self, cart: Cart) -> None:
        cart.processing = False

    # -- orders --------------------------------------------------------------------------------------
    def settle_orders(self, partner: PartnerAccount) -> None:
        """Complete every pending order whose provisioning delay has passed (subscriptions appear then)."""
        if not partner.pending_orders:
            return
        now = self.now
        polls = self.state.config.order_provisioning_polls
        for order_id in list(partner.pending_orders):
            order = partner.orders.get(order_id)
            if order is None:
                partner.pending_orders.discard(order_id)
                continue
            if now >= order.completes_at or (polls is not None and order.polls >= polls):
                self._complete_order(partner, order)

    def _complete_order(self, partner: PartnerAccount, order: Order) -> None:
        order.status = "completed"
        order.version += 1
        partner.pending_orders.discard(order.id)
        for line in order.lines:
            offer = self.catalog.find(line.offer_id, line.country)
            sub = self._new_subscription(partner, order, line, offer, order.created)
            partner.subscriptions[sub.id] = sub
            partner.customer_subscriptions.setdefault(order.customer_id, []).append(sub.id)

    def _new_subscription(self, partner: PartnerAccount, order: Order, line: OrderLine, offer: Offer | None,
                          created: dt.datetime) -> Subscription:
        azure = line.product_id == AZURE_PLAN_PRODUCT
        window = dt.timedelta(hours=self.state.config.cancellation_window_hours)
        start = created
        sub = Subscription(
            id=line.subscription_id, customer_id=order.customer_id, offer_id=line.offer_id,
            product_id=line.product_id, sku_id=line.sku_id, availability_id=line.availability_id,
            offer_name=offer.product_title if offer else line.friendly_name, friendly_name=line.friendly_name,
            product_type="Azure" if azure else (offer.product_type if offer else "OnlineServicesNCE"),
            quantity=line.quantity, unit_type="Usage-based" if azure else "Licenses",
            billing_type="usage" if azure else "license", billing_cycle=line.billing_cycle,
            term_duration=None if azure else line.term_duration, created=created, effective_start=start,
            commitment_end=dt.date(9999, 12, 10) if azure else term_end(start.date(), line.term_duration),
            cancellation_allowed_until=start + window, order_id=order.id, country=line.country,
            min_quantity=offer.min_quantity if offer else 1, max_quantity=offer.max_quantity if offer else 1000000,
            auto_renew=not azure, partner_id=line.partner_id_on_record or "", promotion_id=line.promotion_id,
            refund_batches=[] if azure else [RefundBatch(line.quantity, start + window)],
        )
        if azure:
            sub.entitlements.append(AzureEntitlement(id=self.state.ids.guid(), friendly_name="Azure subscription 1"))
        return sub

    def order_get(self, caller: Caller, customer_id: str, order_id: str, *, count_poll: bool = True) -> Order:
        customer = self.customer(caller, customer_id)
        order = caller.partner.orders.get(order_id.lower())
        if order is None or order.customer_id != customer.id:
            raise PCError(404, 20000)
        if count_poll and order.status == "pending":
            order.polls += 1
        self.settle_orders(caller.partner)
        return order

    def order_list(self, caller: Caller, customer_id: str, billing_type: str | None) -> list[Order]:
        customer = self.customer(caller, customer_id)
        self.settle_orders(caller.partner)
        lag = dt.timedelta(seconds=self.state.config.order_list_lag_seconds)
        now = self.now
        orders = [caller.partner.orders[o] for o in caller.partner.customer_orders.get(customer.id, [])]
        orders = [o for o in orders if o.created + lag <= now]
        if billing_type:
            orders = [o for o in orders if o.billing_cycle == _cycle(billing_type)]
        return orders

    def order_provisioning_status(self, caller: Caller, customer_id: str, order_id: str) -> Order:
        caller.require_user()
        return self.order_get(caller, customer_id, order_id, count_poll=False)

    # -- subscriptions -------------------------------------------------------------------------------
    def _subs_of(self, partner: PartnerAccount, customer_id: str) -> list[Subscription]:
        return [partner.subscriptions[s] for s in partner.customer_subscriptions.get(customer_id, [])
                if s in partner.subscriptions]

    def subscription_list(self, caller: Caller, customer_id: str, *, order_id: str | None = None,
                          mpn_id: str | None = None) -> list[Subscription]:
        customer = self.customer(caller, customer_id)
        self.settle_orders(caller.partner)
        subs = self._subs_of(caller.partner, customer.id)
        for sub in subs:
            self.refresh_subscription(sub)
        if order_id:
            subs = [s for s in subs if s.order_id == order_id.lower()]
        if mpn_id:
            subs = [s for s in subs if s.partner_id == mpn_id]
        return subs

    def subscription(self, caller: Caller, customer_id: str, subscription_id: str) -> Subscription:
        customer = self.customer(caller, customer_id)
        self.settle_orders(caller.partner)
        sub = caller.partner.subscriptions.get(subscription_id.lower())
        if sub is None or sub.customer_id != customer.id:
            raise PCError(404, 20003, subscription_id)
        self.refresh_subscription(sub)
        return sub

    def refresh_subscription(self, sub: Subscription) -> None:
        """Apply what simulated time implies: renewals at term end, expiry, disabling and deletion."""
        if sub.product_type == "Azure" or sub.commitment_end is None:
            return
        now = self.now
        window = dt.timedelta(hours=self.state.config.cancellation_window_hours)
        while sub.status in ("active", "suspended") and now > end_of_day(sub.commitment_end):
            ended = sub.commitment_end
            if sub.status == "suspended":
                sub.status, sub.status_changed = "disabled", end_of_day(ended)
                break
            if not sub.auto_renew:
                sub.status, sub.status_changed = "expired", end_of_day(ended)
                break
            instructions = CIDict(sub.scheduled_next_term_instructions or {})
            product = instructions.obj("product")
            if instructions.get("quantity") is not None:
                sub.quantity = _int(instructions.get("quantity"), "quantity")
            if product.text("termDuration"):
                sub.term_duration = (product.text("termDuration") or "").upper()
            if product.text("billingCycle"):
                sub.billing_cycle = _cycle(product.text("billingCycle"))
            sub.scheduled_next_term_instructions = None
            start = dt.datetime.combine(ended + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
            sub.effective_start = start
            sub.commitment_end = term_end(start.date(), sub.term_duration)
            sub.cancellation_allowed_until = start + window
            sub.refund_batches = [RefundBatch(sub.quantity, start + window)]
            sub.version += 1
        if sub.status == "expired" and sub.status_changed and now > sub.status_changed + dt.timedelta(days=30):
            sub.status, sub.status_changed = "disabled", sub.status_changed + dt.timedelta(days=30)
            sub.version += 1
        if sub.status == "disabled" and sub.status_changed and now > sub.status_changed + dt.timedelta(days=90):
            sub.status, sub.status_changed = "deleted", sub.status_changed + dt.timedelta(days=90)
            sub.version += 1

    def refundable(self, sub: Subscription) -> list[RefundBatch]:
        now = self.now
        return [b for b in sub.refund_batches if b.allowed_until > now and b.quantity > 0]

    def subscription_patch(self, caller: Caller, customer_id: str, subscription_id: str, body: CIDict,
                           if_match: str | None) -> Subscription:
        from .render import subscription_etag

        sub = self.subscription(caller, customer_id, subscription_id)
        if if_match and if_match.strip().strip('"') not in ("*", subscription_etag(sub)):
            raise PCError(400, 2055)
        if sub.status == "deleted":
            raise PCError(400, 2011, sub.id)
        if sub.status in ("expired", "disabled"):
            raise PCError(400, 900277)
        sub.updates += 1
        if sub.updates > MAX_SUBSCRIPTION_UPDATES:
            raise PCError(400, 900311)
        now = self.now
        azure = sub.product_type == "Azure"
        status = (body.text("status") or sub.status).lower()
        quantity = _int(body.get("quantity", sub.quantity), "quantity")
        partner_id = body.get("partnerId")
        if partner_id not in (None, "") and str(partner_id) != sub.partner_id:
            raise PCError(400, 800098)
        cycle = body.text("billingCycle")
        if cycle and _cycle(cycle) != sub.billing_cycle:
            raise PCError(400, 2054)
        if status not in ("active", "suspended", "deleted"):
            raise PCError(400, 800096)
        changes: dict[str, Any] = {}

        if status == "deleted":
            if azure:
                if any(e.status == "active" for e in sub.entitlements):
                    raise PCError(403, 900115, description="Azure plan can't be cancelled while it has active "
                                  "Azure subscriptions")
            elif sub.cancellation_allowed_until is None or now > sub.cancellation_allowed_until:
                raise PCError(400, 900213, self.state.config.cancellation_window_hours)
            sub.status, sub.status_changed, sub.auto_renew = "deleted", now, False
            sub.refund_batches = []
            sub.scheduled_next_term_instructions = None
            changes["Status"] = "deleted"
        elif sub.status == "suspended" and status == "suspended":
            if quantity != sub.quantity:
                raise PCError(400, 800091)
        elif status == "suspended":
            if azure and any(e.status == "active" for e in sub.entitlements):
                raise PCError(403, 900115)
            if quantity != sub.quantity:
                raise PCError(400, 2001)
            sub.status, sub.status_changed = "suspended", now
            sub.suspension_reasons = ["PartnerInitiated"]
            sub.scheduled_next_term_instructions = None
            changes["Status"] = "suspended"
        else:
            if sub.status == "suspended":
                if quantity != sub.quantity:
                    raise PCError(400, 2001)
                sub.status, sub.status_changed, sub.suspension_reasons = "active", now, []
                changes["Status"] = "active"
            if quantity != sub.quantity:
                self._change_quantity(sub, quantity)
                changes["Quantity"] = quantity
            auto_renew = bool(body.get("autoRenewEnabled", False))
            if auto_renew and azure:
                raise PCError(400, 800093)
            if auto_renew != sub.auto_renew:
                changes["AutoRenewEnabled"] = auto_renew
            sub.auto_renew = auto_renew
            instructions = body.get("scheduledNextTermInstructions")
            if isinstance(instructions, dict) and instructions:
                if not auto_renew:
                    raise PCError(400, 800002, description="Invalid request input: scheduledNextTermInstructions "
                                  "require autoRenewEnabled to be true")
                sub.scheduled_next_term_instructions = plain(instructions)
            else:
                sub.scheduled_next_term_instructions = None
        friendly = body.text("friendlyName")
        if friendly and friendly != sub.friendly_name:
            sub.friendly_name = friendly
            changes["FriendlyName"] = friendly
        sub.version += 1
        customer = caller.partner.customers[sub.customer_id]
        self._audit(caller, "update_subscription", "subscription", customer, {"Id": sub.id, **changes},
                    {"SubscriptionId": sub.id, **changes})
        return sub

    def _change_quantity(self, sub: Subscription, quantity: int) -> None:
        if sub.product_type == "Azure":
            raise PCError(400, 800095)
        if quantity < sub.min_quantity or quantity > sub.max_quantity:
            raise PCError(400, 2002)
        now = self.now
        window = dt.timedelta(hours=self.state.config.cancellation_window_hours)
        if quantity > sub.quantity:
            sub.refund_batches.append(RefundBatch(quantity - sub.quantity, now + window))
            sub.quantity = quantity
            return
        to_remove = sub.quantity - quantity
        refundable = sum(b.quantity for b in self.refundable(sub))
        if to_remove > refundable:
            raise PCError(400, 900214, self.state.config.cancellation_window_hours)
        for batch in sorted(self.refundable(sub), key=lambda b: b.allowed_until, reverse=True):
            taken = min(batch.quantity, to_remove)
            batch.quantity -= taken
            to_remove -= taken
            if not to_remove:
                break
        sub.refund_batches = [b for b in sub.refund_batches if b.quantity > 0]
        sub.quantity = quantity

    def subscription_provisioning_status(self, caller: Caller, customer_id: str, subscription_id: str) -> Subscription:
        caller.require_user()
        return self.subscription(caller, customer_id, subscription_id)

    def azure_entitlements(self, caller: Caller, customer_id: str, subscription_id: str) -> list[AzureEntitlement]:
        sub = self.subscription(caller, customer_id, subscription_id)
        if sub.product_id != AZURE_PLAN_PRODUCT:
            raise PCError(400, 800002, description="Invalid request input: the subscription is not an Azure plan")
        return sub.entitlements

    # -- audit records -------------------------------------------------------------------------------
    def audit_records(self, caller: Caller, *, start: str | None, end: str | None, size: int | None,
                      token: str | None, filter_text: str | None) -> Page:
        partner = caller.partner
        if token:
            offset, extra = self.read_token(partner, "audit", token)
            start, end, size, filter_text = extra.get("s"), extra.get("e"), extra.get("n"), extra.get("f")
        else:
            offset = 0
        now = self.now
        try:
            start_day = dt.date.fromisoformat(start) if start else (now - dt.timedelta(days=30)).date()
            end_day = dt.date.fromisoformat(end) if end else now.date()
        except ValueError:
            raise PCError(400, 800002, description="Invalid request input: dates must be YYYY-MM-DD") from None
        if start_day < (now - dt.timedelta(days=90)).date():
            raise PCError(400, 800002, description="Invalid request input: startDate must be within the last "
                          "90 days")
        page_size = min(size or MAX_PAGE, MAX_PAGE)
        key, value = None, ""
        if filter_text:
            spec = CIDict(json.loads(filter_text))
            key, value = (spec.text("Field") or "").lower(), (spec.text("Value") or "").lower()
        records = []
        for record in partner.audit:
            day = dt.date.fromisoformat(record["operationDate"][:10])
            if not start_day <= day <= end_day:
                continue
            if key == "companyname" and value not in (record.get("customerName") or "").lower():
                continue
            if key == "customerid" and (record.get("customerId") or "").lower() != value:
                continue
            if key == "resourcetype" and record["resourceType"].lower() != value:
                continue
            records.append(record)
        chunk = records[offset:offset + page_size]
        following = None
        if offset + page_size < len(records):
            following = self.make_token(partner, "audit", offset + page_size,
                                        {"s": start, "e": end, "n": page_size, "f": filter_text})
        return Page(chunk, following, page_size)


def _address(address: CIDict, country: str) -> dict[str, str]:
    fields = ("firstName", "lastName", "addressLine1", "addressLine2", "city", "state", "postalCode",
              "phoneNumber", "region")
    result = {"country": country}
    for name in fields:
        value = address.text(name)
        if value:
            result[name] = value
    return result


def _looks_like_guid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value))


def retry_after_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))
