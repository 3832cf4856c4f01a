"""State of the checkout wizard, kept in the user's session per marketplace.

Everything the user typed is kept (per kind of customer, so switching between "new customer" and "existing tenant"
loses nothing) until the order is placed. This module turns that state into the inputs of `order_place`; it does
not validate business rules (the forms and the service do).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone

from bss.choices import AcceptanceRole, UserRole
from bss.inputs import ExistingTenantInput, MCAAcceptanceInput, NewCustomerInput
from bss.models import Marketplace, User
from storefront.forms import MCA_AGREEMENT_LINK, CustomerChoiceForm

NEW = CustomerChoiceForm.NEW
EXISTING_CUSTOMER = CustomerChoiceForm.EXISTING_CUSTOMER
EXISTING_TENANT = CustomerChoiceForm.EXISTING_TENANT

STEPS = [("customer", "Customer"), ("details", "Company details"), ("mca", "Customer Agreement"), ("review", "Review")]

# Languages Partner Center accepts as billing-profile language, derived from the country (default English).
_COUNTRY_CULTURE = {
    "DE": ("de-DE", "de"), "AT": ("de-AT", "de"), "FR": ("fr-FR", "fr"), "ES": ("es-ES", "es"),
    "IT": ("it-IT", "it"), "NL": ("nl-NL", "nl"), "GB": ("en-GB", "en"), "IE": ("en-IE", "en"),
    "AU": ("en-AU", "en"), "CA": ("en-CA", "en"), "NZ": ("en-NZ", "en"), "JP": ("ja-JP", "ja"),
    "BR": ("pt-BR", "pt"), "PT": ("pt-PT", "pt"), "DK": ("da-DK", "da"), "SE": ("sv-SE", "sv"),
    "NO": ("nb-NO", "nb"), "FI": ("fi-FI", "fi"), "PL": ("pl-PL", "pl"),
}


def role_for(user: User) -> str:
    """Whose acceptance the MCA step records: the customer's own, a reseller's confirmation, or staff's."""
    if user.role == UserRole.CUSTOMER:
        return AcceptanceRole.CUSTOMER
    if user.role == UserRole.RESELLER:
        return AcceptanceRole.RESELLER
    return AcceptanceRole.STAFF


@dataclass
class Checkout:
    """The wizard state of one user in one marketplace (a view over the session dict)."""

    session: SessionBase
    marketplace: Marketplace

    @property
    def _key(self) -> str:
        return f"storefront.checkout.{self.marketplace.pk}"

    @property
    def data(self) -> dict[str, Any]:
        return self.session.get(self._key, {})

    def _save(self, data: dict[str, Any]) -> None:
        self.session[self._key] = data
        self.session.modified = True

    def update(self, **values: Any) -> None:
        data = dict(self.data)
        data.update(values)
        self._save(data)

    def clear(self) -> None:
        self.session.pop(self._key, None)

    # -- step 1 ------------------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        return self.data.get("kind", "")

    @property
    def customer_id(self) -> int | None:
        return self.data.get("customer_id")

    def set_customer(self, *, kind: str, customer_id: int | None) -> None:
        self.update(kind=kind, customer_id=customer_id if kind == EXISTING_CUSTOMER else None)

    # -- step 2 ------------------------------------------------------------------------------------------
    def details_for(self, kind: str) -> dict[str, Any]:
        return dict(self.data.get("details", {}).get(kind, {}))

    @property
    def details(self) -> dict[str, Any]:
        return self.details_for(self.kind)

    def set_details(self, cleaned: dict[str, Any], *, complete: bool = True) -> None:
        details = dict(self.data.get("details", {}))
        details[self.kind] = {**{k: v for k, v in cleaned.items() if isinstance(v, str)}, "_complete": complete}
        self.update(details=details)

    # -- step 3 ------------------------------------------------------------------------------------------
    @property
    def customer_ref(self) -> str:
        """Who the order is for, as the MCA acceptance is tied to it (a change asks for the MCA again)."""
        if self.kind == EXISTING_CUSTOMER:
            return f"customer:{self.customer_id}"
        d = self.details
        who = d.get("domain_prefix") or d.get("domain_or_tenant_id") or ""
        return f"{self.kind}:{who}:{d.get('company_name', '')}".lower()

    @property
    def mca(self) -> dict[str, Any]:
        return dict(self.data.get("mca", {}))

    def set_mca(self, cleaned: dict[str, Any], *, role: str, on_record: bool = False) -> None:
        values = {k: v for k, v in cleaned.items() if isinstance(v, str)}
        day = cleaned.get("accepted_on")
        self.update(mca={
            **values,
            "accepted_on": day.isoformat() if day else "",
            "role": role,
            "on_record": on_record,
            "for": self.customer_ref,
        })

    # -- progress ----------------------------------------------------------------------------------------
    @property
    def customer_done(self) -> bool:
        return self.kind in (NEW, EXISTING_TENANT) or (self.kind == EXISTING_CUSTOMER and bool(self.customer_id))

    @property
    def details_done(self) -> bool:
        if self.kind == EXISTING_CUSTOMER:
            return self.customer_done
        return self.customer_done and bool(self.details.get("_complete"))

    @property
    def mca_done(self) -> bool:
        mca = self.data.get("mca") or {}
        return self.details_done and bool(mca) and mca.get("for") == self.customer_ref

    @property
    def done_steps(self) -> set[str]:
        done = set()
        if self.customer_done:
            done.add("customer")
        if self.details_done and self.kind != EXISTING_CUSTOMER:
            done.add("details")
        if self.mca_done:
            done.add("mca")
        return done

    def steps(self) -> list[tuple[str, str]]:
        if self.kind == EXISTING_CUSTOMER:
            return [s for s in STEPS if s[0] != "details"]
        return STEPS

    # -- submission key ----------------------------------------------------------------------------------
    def _digest(self, fingerprint: str) -> str:
        state = (fingerprint, self.kind, self.customer_id, sorted(self.details.items()), sorted(self.mca.items()))
        return hashlib.sha256(repr(state).encode()).hexdigest()

    def submission_key_matches(self, key: str, *, fingerprint: str) -> bool:
        """Whether `key` was issued for exactly what the cart and the wizard hold now."""
        data = self.data
        return bool(key) and key == data.get("submission_key") and data.get("submission_digest") == self._digest(
            fingerprint
        )

    def submission_key(self, *, fingerprint: str) -> str:
        """The key of this exact checkout (cart content + wizard state): the same while nothing changes, so a
        second tab or a double click submits the same key; a new one as soon as anything changes."""
        digest = self._digest(fingerprint)
        data = self.data
        if data.get("submission_key") and data.get("submission_digest") == digest:
            return data["submission_key"]
        key = uuid.uuid4().hex
        self.update(submission_key=key, submission_digest=digest)
        return key

    # -- inputs of order_place ---------------------------------------------------------------------------
    def new_customer_input(self) -> NewCustomerInput:
        d = self.details
        culture, language = _COUNTRY_CULTURE.get(d.get("country", ""), ("en-US", "en"))
        return NewCustomerInput(
            company_name=d.get("company_name", ""),
            domain_prefix=d.get("domain_prefix", ""),
            contact_first_name=d.get("contact_first_name", ""),
            contact_last_name=d.get("contact_last_name", ""),
            contact_email=d.get("contact_email", ""),
            contact_phone=d.get("contact_phone", ""),
            address_line1=d.get("address_line1", ""),
            city=d.get("city", ""),
            state=d.get("state", ""),
            postal_code=d.get("postal_code", ""),
            country=d.get("country", ""),
            culture=culture,
            language=language,
        )

    def existing_tenant_input(self) -> ExistingTenantInput:
        return ExistingTenantInput(domain_or_tenant_id=self.details.get("domain_or_tenant_id", ""))

    def mca_input(self, *, ip_address: str | None, user_agent: str) -> MCAAcceptanceInput | None:
        """The acceptance captured in the MCA step (None when it is already on record, or not captured)."""
        if not self.mca_done:
            return None
        mca = self.mca
        if mca.get("on_record"):
            return None
        day = dt.date.fromisoformat(mca["accepted_on"]) if mca.get("accepted_on") else timezone.localdate()
        accepted_at = (
            timezone.now()
            if day >= timezone.localdate()
            else dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
        )
        return MCAAcceptanceInput(
            signatory_first_name=mca.get("signatory_first_name", ""),
            signatory_last_name=mca.get("signatory_last_name", ""),
            signatory_email=mca.get("signatory_email", ""),
            signatory_phone=mca.get("signatory_phone", ""),
            accepted_at=accepted_at,
            role=AcceptanceRole(mca["role"]),
            ip_address=ip_address,
            user_agent=user_agent[:400],
            agreement_link=MCA_AGREEMENT_LINK,
        )
