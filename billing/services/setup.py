"""The billing set-up staff change in the back office: an issuer's settings (address, VAT id, billing day, number
prefixes, time zone) and tax rules (a new rate from a date; a rate ended). Audited; the models' rules (billing day
1-28, no overlapping tax rules) are checked here and refused as ApplicationError."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import Issuer, TaxRule
from bss.exceptions import ApplicationError
from bss.models import User
from bss.services.audit import audit_record, snapshot

ISSUER_FIELDS = ("name", "address", "country", "vat_id", "time_zone", "billing_day", "number_prefix",
                 "credit_note_prefix")
TAX_RULE_FIELDS = ("issuer_country", "customer_country", "scope", "name", "rate", "legal_mention", "effective_from",
                   "effective_to")


def _refuse(exc: ValidationError) -> ApplicationError:
    return ApplicationError(" ".join(exc.messages), code="invalid", extra={"fields": getattr(exc, "message_dict", {})})


@transaction.atomic
def issuer_update(*, issuer: Issuer, actor: User, **changes: Any) -> Issuer:
    unknown = set(changes) - set(ISSUER_FIELDS)
    if unknown:
        raise ApplicationError(f"Not an issuer setting: {', '.join(sorted(unknown))}.", code="invalid")
    issuer = Issuer.objects.select_for_update().get(pk=issuer.pk)
    before = snapshot(issuer, list(changes))
    for name, value in changes.items():
        setattr(issuer, name, value)
    issuer.country = issuer.country.upper()
    try:
        issuer.full_clean()
    except ValidationError as exc:
        raise _refuse(exc) from exc
    issuer.save()
    audit_record(actor=actor, action="billing.issuer_update", obj=issuer, before=before,
                 after=snapshot(issuer, list(changes)))
    return issuer


@transaction.atomic
def tax_rule_create(*, actor: User, **fields: Any) -> TaxRule:
    rule = TaxRule(**{name: fields[name] for name in TAX_RULE_FIELDS if name in fields})
    try:
        rule.full_clean()
    except ValidationError as exc:
        raise _refuse(exc) from exc
    rule.save()
    audit_record(actor=actor, action="billing.tax_rule_create", obj=rule, after=snapshot(rule, list(TAX_RULE_FIELDS)))
    return rule


@transaction.atomic
def tax_rule_end(*, rule: TaxRule, on: dt.date, actor: User) -> TaxRule:
    """The rule is no longer in force from `on` (exclusive end), e.g. before a new rate starts."""
    rule = TaxRule.objects.select_for_update().get(pk=rule.pk)
    if on <= rule.effective_from:
        raise ApplicationError(f"{rule} starts on {rule.effective_from}: end it after that day.", code="invalid")
    before = {"effective_to": rule.effective_to}
    rule.effective_to = on
    rule.save(update_fields=["effective_to", "updated_at"])
    audit_record(actor=actor, action="billing.tax_rule_end", obj=rule, before=before, after={"effective_to": on})
    return rule
