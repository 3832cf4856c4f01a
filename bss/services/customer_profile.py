"""customer_update(): the back office's edit of a customer's profile (company, contact, address), validated and
audited. The BSS record only: Partner Center's copy of the billing profile is not written from here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from bss.exceptions import ApplicationError
from bss.models import Customer, User
from bss.services.audit import audit_record, snapshot

#: ISO 3166-1 alpha-2: the officially assigned codes.
_ISO_CODES = (
    """AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY
    BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM
    JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE
    RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT
    TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"""
)
ISO_COUNTRIES = frozenset(_ISO_CODES.split())
#: Countries whose addresses need a state or province (as Partner Center's address validation has it).
STATE_REQUIRED = frozenset({"US", "CA", "AU", "BR", "IN"})
# An international or national number: digits, spaces, dots, hyphens, parentheses, an optional leading +.
_PHONE = re.compile(r"\+?[0-9][0-9 ().\-]{4,38}[0-9]")

FIELDS = [
    "company_name",
    "contact_first_name",
    "contact_last_name",
    "contact_email",
    "contact_phone",
    "address_line1",
    "city",
    "state",
    "postal_code",
    "country",
]


class InvalidCustomerProfile(ApplicationError):
    code = "invalid_customer_profile"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()), extra={"errors": errors})
        self.errors = errors


@dataclass(frozen=True)
class CustomerProfile:
    company_name: str
    contact_first_name: str = ""
    contact_last_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    address_line1: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""


def _clean(profile: CustomerProfile) -> dict[str, str]:
    values = {name: str(getattr(profile, name) or "").strip() for name in FIELDS}
    values["country"] = values["country"].upper()
    errors: dict[str, str] = {}
    if not values["company_name"]:
        errors["company_name"] = "The company name is required."
    if values["contact_email"]:
        try:
            validate_email(values["contact_email"])
        except ValidationError:
            errors["contact_email"] = "Enter a valid e-mail address."
    if values["contact_phone"] and not _PHONE.fullmatch(values["contact_phone"]):
        errors["contact_phone"] = "Enter a phone number of digits, e.g. +44 20 7946 0958."
    if values["country"] not in ISO_COUNTRIES:
        errors["country"] = "Enter an ISO 3166 two-letter country code, e.g. US, GB, DE."
    elif values["country"] in STATE_REQUIRED and not values["state"]:
        errors["state"] = f"A state or province is required for addresses in {values['country']}."
    for name in FIELDS:
        limit = getattr(Customer._meta.get_field(name), "max_length", None)
        if limit and len(values[name]) > limit and name not in errors:
            errors[name] = f"At most {limit} characters."
    if errors:
        raise InvalidCustomerProfile(errors)
    return values


@transaction.atomic
def customer_update(*, actor: User, customer: Customer, profile: CustomerProfile) -> Customer:
    """Validate and save `profile` on `customer`; audited (before and after of the changed fields). Raises
    InvalidCustomerProfile with one message per field."""
    values = _clean(profile)
    customer = Customer.objects.select_for_update(of=("self",)).get(pk=customer.pk)
    changed = [name for name in FIELDS if getattr(customer, name) != values[name]]
    if not changed:
        return customer
    before = snapshot(customer, changed)
    for name in changed:
        setattr(customer, name, values[name])
    customer.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action="customer.update", obj=customer, before=before, after=snapshot(customer, changed))
    return customer
