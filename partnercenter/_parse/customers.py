"""Customers, their profiles, reseller relationships and customer agreements."""

from __future__ import annotations

from typing import Any

from ..types import (
    Address,
    Agreement,
    AgreementContact,
    AgreementMetadata,
    BillingProfile,
    CompanyProfile,
    Customer,
    IndirectReseller,
    RelationshipRequest,
    UserCredentials,
)
from .base import JsonObject, etag, root


def address(o: JsonObject | None) -> Address | None:
    if o is None:
        return None
    return Address(
        country=o.str("country"),
        region=o.str("region"),
        city=o.str("city"),
        state=o.str("state"),
        address_line1=o.str("addressLine1"),
        address_line2=o.str("addressLine2"),
        address_line3=o.str("addressLine3"),
        postal_code=o.str("postalCode"),
        first_name=o.str("firstName"),
        last_name=o.str("lastName"),
        phone_number=o.str("phoneNumber"),
    )


def _company_profile(o: JsonObject | None) -> CompanyProfile | None:
    if o is None:
        return None
    return CompanyProfile(
        tenant_id=o.str("tenantId"),
        domain=o.str("domain"),
        company_name=o.str("companyName"),
        email=o.str("email"),
        address=address(o.obj("address")),
        organization_registration_number=o.str("organizationRegistrationNumber"),
    )


def company_profile(data: Any) -> CompanyProfile:
    profile = _company_profile(root(data, "company profile"))
    assert profile is not None
    return profile


def _billing_profile(o: JsonObject | None) -> BillingProfile | None:
    if o is None:
        return None
    return BillingProfile(
        id=o.str("id"),
        first_name=o.str("firstName"),
        last_name=o.str("lastName"),
        email=o.str("email"),
        culture=o.str("culture"),
        language=o.str("language"),
        company_name=o.str("companyName"),
        default_address=address(o.obj("defaultAddress")),
        etag=etag(o),
    )


def customer(data: Any) -> Customer:
    o = root(data, "customer")
    credentials = o.obj("userCredentials")
    user_credentials = None
    if credentials is not None and credentials.str("userName"):
        user_credentials = UserCredentials(
            user_name=credentials.req_str("userName", "userCredentials"),
            password=credentials.str("password") or "",
        )
    return Customer(
        id=o.req_str("id", "customer"),
        commerce_id=o.str("commerceId"),
        company_profile=_company_profile(o.obj("companyProfile")),
        billing_profile=_billing_profile(o.obj("billingProfile")),
        relationship_to_partner=o.str("relationshipToPartner"),
        allow_delegated_access=o.bool("allowDelegatedAccess"),
        custom_domains=o.strs("customDomains"),
        associated_partner_id=o.str("associatedPartnerId"),
        user_credentials=user_credentials,
    )


def relationship_request(data: Any) -> RelationshipRequest:
    return RelationshipRequest(url=root(data, "relationship request").req_str("url", "relationship request"))


def indirect_reseller(data: Any) -> IndirectReseller:
    o = root(data, "partner relationship")
    return IndirectReseller(
        id=o.req_str("id", "partner relationship"),
        name=o.str("name"),
        relationship_type=o.str("relationshipType"),
        state=o.str("state"),
        mpn_id=o.str("mpnId"),
        location=o.str("location"),
    )


def agreement_metadata(data: Any) -> AgreementMetadata:
    o = root(data, "agreement metadata")
    return AgreementMetadata(
        template_id=o.req_str("templateId", "agreement metadata"),
        agreement_type=o.str("agreementType"),
        agreement_link=o.str("agreementLink"),
        version_rank=o.int("versionRank"),
    )


def agreement(data: Any) -> Agreement:
    o = root(data, "agreement")
    contact = o.obj("primaryContact")
    return Agreement(
        template_id=o.req_str("templateId", "agreement"),
        type=o.str("type") or o.str("agreementType"),
        date_agreed=o.datetime("dateAgreed"),
        primary_contact=AgreementContact(
            first_name=contact.str("firstName") or "",
            last_name=contact.str("lastName") or "",
            email=contact.str("email") or "",
            phone_number=contact.str("phoneNumber"),
        )
        if contact
        else None,
        user_id=o.str("userId"),
    )
