"""Tax: which rate applies to a billed party, VAT id checks, and tax per line and per rate.

The rule, seen from the issuer's country:
- a customer in the issuer's country: the domestic rate (VAT or sales tax) of a `TaxRule` (scope domestic);
- an EU issuer and a business customer in another member state with a VAT id valid for that state (format and
  check digits, or confirmed by staff): reverse charge, 0 % with the legal mention of Article 196;
- an EU issuer and a customer in another member state without one: the rule for EU consumers (OSS) of that state;
- any other customer: the export rule as configured (scope export).
A missing rule is not a 0 % rate: `TaxRuleMissing` names the party, and finalisation stops there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from billing.choices import PartyKind, TaxScope, VatStatus
from billing.models import BillingProfile, TaxRule
from bss.exceptions import ApplicationError, PermissionDenied
from bss.models import Customer, Reseller, User
from bss.services.audit import audit_record

EU_MEMBER_STATES = frozenset(
    [
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    ]
)
REVERSE_CHARGE_MENTION = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)"
)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
VALID_VAT_STATUSES = frozenset({VatStatus.FORMAT_VALID, VatStatus.CONFIRMED})


class TaxRuleMissing(ApplicationError):
    """No tax rule covers this party: the invoice cannot be finalised until staff add one."""


@dataclass(frozen=True, slots=True)
class TaxDecision:
    rate: Decimal
    name: str
    legal_mention: str = ""
    reverse_charge: bool = False


# -- VAT ids ---------------------------------------------------------------------------------------------------


def _vat_prefix(country: str) -> str:
    return "EL" if country == "GR" else country


def vat_id_check(vat_id: str, country: str) -> tuple[str, VatStatus]:
    """The VAT id in its compact form and whether its format and check digits are valid for `country`.

    EU ids carry their member-state prefix (added when missing); other countries are checked with python-stdnum's
    module for that country when it has one. Only staff confirm an id (`billing_profile_confirm_vat`)."""
    country = country.upper()
    raw = "".join(vat_id.split()).upper()
    if not raw:
        return "", VatStatus.NONE
    if country in EU_MEMBER_STATES:
        prefix = _vat_prefix(country)
        candidate = raw if raw[:2].isalpha() else prefix + raw
        try:
            compact = eu_vat.validate(candidate)
        except StdnumError:
            return candidate, VatStatus.INVALID
        return compact, VatStatus.FORMAT_VALID if compact[:2] == prefix else VatStatus.INVALID
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        return raw, VatStatus.INVALID
    try:
        return module.validate(raw), VatStatus.FORMAT_VALID
    except StdnumError:
        return raw, VatStatus.INVALID


def _profile_for(party: Customer | Reseller) -> BillingProfile:
    if isinstance(party, Customer):
        profile, _ = BillingProfile.objects.get_or_create(customer=party, defaults={"party_kind": PartyKind.CUSTOMER})
    else:
        profile, _ = BillingProfile.objects.get_or_create(reseller=party, defaults={"party_kind": PartyKind.RESELLER})
    return profile


@transaction.atomic
def billing_profile_set_vat_id(
    *, party: Customer | Reseller, vat_id: str, is_business: bool = True, actor: User | None
) -> BillingProfile:
    """Record a party's VAT id, checked for format and check digits (status format-valid or invalid)."""
    profile = _profile_for(party)
    compact, status = vat_id_check(vat_id, party.country)
    before = {"vat_id": profile.vat_id, "vat_status": profile.vat_status}
    profile.vat_id, profile.vat_status, profile.is_business = compact, status, is_business
    profile.vat_checked_at, profile.vat_confirmed_by = timezone.now(), None
    profile.save()
    audit_record(actor=actor, action="billing.vat_id_set", obj=profile, before=before,
                 after={"vat_id": compact, "vat_status": status})
    return profile


@transaction.atomic
def billing_profile_confirm_vat(*, profile: BillingProfile, actor: User) -> BillingProfile:
    """Staff confirm a format-valid VAT id (e.g. after checking it in VIES)."""
    if not actor.is_provider_staff:
        raise PermissionDenied("Only provider staff confirm VAT ids.")
    profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.vat_status not in VALID_VAT_STATUSES:
        raise ApplicationError(f"The VAT id {profile.vat_id or '(none)'} is not valid; it cannot be confirmed.")
    profile.vat_status, profile.vat_confirmed_by = VatStatus.CONFIRMED, actor
    profile.save(update_fields=["vat_status", "vat_confirmed_by", "updated_at"])
    audit_record(actor=actor, action="billing.vat_id_confirmed", obj=profile, after={"vat_id": profile.vat_id})
    return profile


def profile_of(party: Customer | Reseller) -> BillingProfile | None:
    lookup = {"customer": party} if isinstance(party, Customer) else {"reseller": party}
    return BillingProfile.objects.filter(**lookup).first()


# -- rules -----------------------------------------------------------------------------------------------------


def _has_valid_eu_vat(profile: BillingProfile | None, country: str) -> bool:
    return bool(
        profile is not None
        and profile.is_business
        and profile.vat_status in VALID_VAT_STATUSES
        and profile.vat_id[:2] == _vat_prefix(country)
    )


def tax_scope(issuer_country: str, customer_country: str, profile: BillingProfile | None) -> str | None:
    """The scope of the applicable rule, or None for EU reverse charge (which needs no rule)."""
    if issuer_country == customer_country:
        return TaxScope.DOMESTIC
    if issuer_country in EU_MEMBER_STATES and customer_country in EU_MEMBER_STATES:
        return None if _has_valid_eu_vat(profile, customer_country) else TaxScope.EU_CONSUMER
    return TaxScope.EXPORT


def tax_decision(
    *, issuer_country: str, party: Customer | Reseller, on: dt.date, profile: BillingProfile | None = None
) -> TaxDecision:
    """The rate for `party` invoiced by an issuer in `issuer_country` on `on`; `TaxRuleMissing` names the party."""
    issuer_country, customer_country = issuer_country.upper(), party.country.upper()
    profile = profile if profile is not None else profile_of(party)
    scope = tax_scope(issuer_country, customer_country, profile)
    if scope is None:
        return TaxDecision(rate=Decimal(0), name="Reverse charge", legal_mention=REVERSE_CHARGE_MENTION,
                           reverse_charge=True)
    rule = (
        TaxRule.objects.filter(
            Q(customer_country=customer_country) | Q(customer_country=""),
            Q(effective_to__isnull=True) | Q(effective_to__gt=on),
            issuer_country=issuer_country,
            scope=scope,
            effective_from__lte=on,
        )
        .order_by("-customer_country", "-effective_from")
        .first()
    )
    if rule is None:
        raise TaxRuleMissing(
            f"No tax rule for {party} ({customer_country}, {TaxScope(scope).label.lower()}) from an issuer in "
            f"{issuer_country} on {on.isoformat()}: add one before finalising.",
            code="tax_rule_missing",
        )
    return TaxDecision(rate=rule.rate, name=rule.name, legal_mention=rule.legal_mention)


# -- amounts ---------------------------------------------------------------------------------------------------


def tax_amount(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def tax_summary(lines: Iterable[tuple[Decimal, Decimal, str]]) -> list[dict[str, str]]:
    """Tax per rate on the totals, from (amount, rate, tax name) per line: [{"rate", "name", "base", "tax"}]."""
    bases: dict[tuple[Decimal, str], Decimal] = {}
    for amount, rate, name in lines:
        bases[(rate, name)] = bases.get((rate, name), Decimal(0)) + amount
    return [
        {"rate": str(rate), "name": name, "base": str(base), "tax": str(tax_amount(base, rate))}
        for (rate, name), base in sorted(bases.items())
    ]
