"""Gapless document numbers per issuer, series and year.

`next_number` must be called inside the transaction that finalises the document: it locks the series' counter row
(select_for_update), so two finalisations of the same issuer and year queue on that row, and a transaction that
rolls back gives its number back with it — no gaps, no duplicates.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from billing.choices import NumberSeries
from billing.models import Issuer, NumberCounter


def _locked_counter(issuer: Issuer, series: str, year: int) -> NumberCounter:
    counters = NumberCounter.objects.select_for_update()
    counter = counters.filter(issuer=issuer, series=series, year=year).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            NumberCounter.objects.create(issuer=issuer, series=series, year=year)
    except IntegrityError:
        pass  # created meanwhile by another finalisation: lock that one
    return counters.get(issuer=issuer, series=series, year=year)


def next_number(*, issuer: Issuer, series: str, year: int) -> str:
    """The next number of the series, e.g. INV-2026-000042 (call within the finalising transaction)."""
    return next_numbers(issuer=issuer, series=series, year=year, count=1)[0]


def next_numbers(*, issuer: Issuer, series: str, year: int, count: int) -> list[str]:
    """The next `count` numbers of the series, consecutive, in one counter update (a batch of documents finalised
    in one transaction: the numbers come back with it if it rolls back)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number must run inside the transaction that finalises the document")
    if count <= 0:
        return []
    counter = _locked_counter(issuer, series, year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    prefix = issuer.credit_note_prefix if series == NumberSeries.CREDIT_NOTE else issuer.number_prefix
    return [f"{prefix}-{year}-{n:06d}" for n in range(first, counter.last_number + 1)]
