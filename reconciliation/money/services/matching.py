"""The three-way match of a billing period: each of Microsoft's lines with the BSS subscription and our invoice line,
set-based in the database (`reconciliation.money.services.sql`), never a Python loop per line.

Outcomes per line: matched; amount variance with its cause (timing, promotion, price change, FX, rounding, other) and
size; leakage ("Microsoft charged, we did not invoice", the sum at stake); "we invoiced, Microsoft did not charge";
unknown subscription (not in the BSS). A difference within the tolerance (setting `MONEY_MATCH_TOLERANCE`, per line,
in the billing currency) is a match.

A re-run replaces the period's open rows and leaves accepted or billed ones alone (same key), so a re-run after the
fixes finds nothing new."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Count, Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone

from bss.models import PartnerCenterInstance, User
from reconciliation.money.choices import FINDING_OUTCOMES, Cause, Outcome, Resolution
from reconciliation.money.models import ChargeMatch, MatchRun, MicrosoftChargeLine
from reconciliation.money.services import sql

_PREVIOUS = "prev:"


def match_tolerance() -> Decimal:
    return Decimal(str(getattr(settings, "MONEY_MATCH_TOLERANCE", "0.00")))


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def subscriptions_resolve(*, instance: PartnerCenterInstance, year: int, month: int) -> None:
    """Point the period's lines at the BSS subscription: by Partner Center subscription id, then by customer tenant
    and order (with product and SKU, as an order may hold several subscriptions). Three UPDATE statements that
    write only the lines whose subscription changed."""
    with connection.cursor() as cursor:
        for statement, params in sql.resolve_statements(instance.pk, year, month):
            cursor.execute(statement, params)


def _pair(cursor: CursorWrapper, instance: PartnerCenterInstance, year: int, month: int) -> None:
    """The run's work tables: Microsoft's lines and ours in scope, and their pairs (each analysed on PostgreSQL so
    the statements after them hash-join a million rows instead of looping)."""
    postgres = connection.vendor == "postgresql"
    steps: tuple[tuple[str, str, sql.Params], ...] = (
        (sql.MS_TABLE, sql.MS_SELECT, sql.ms_params(instance.pk, year, month)),
        (sql.OURS_TABLE, sql.OURS_SELECT, sql.ours_params(instance.pk, year, month)),
        (sql.PAIRS_TABLE, sql.PAIRS_BY_REFERENCE, []),
        (sql.PAIRS_TABLE, sql.PAIRS_IN_ORDER, []))
    for table, statement, params in steps:
        cursor.execute(statement, params)
        if postgres:
            cursor.execute(f"ANALYZE {table}")


def _drop_work_tables(cursor: CursorWrapper) -> None:
    for table in sql.TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def _timing(instance: PartnerCenterInstance, year: int, month: int) -> None:
    """A charge Microsoft made this period that we invoiced the period before (and Microsoft did not charge then):
    one variance with cause timing, instead of a leakage now and a not-charged then."""
    prev_year, prev_month = _previous(year, month)
    earlier = ChargeMatch.objects.filter(
        instance=instance, year=prev_year, month=prev_month, outcome=Outcome.NOT_CHARGED,
        resolution=Resolution.OPEN, subscription=OuterRef("subscription"), charge_type=OuterRef("charge_type"),
        charge_start=OuterRef("charge_start"), charge_end=OuterRef("charge_end"),
    ).order_by("pk")
    leaks = ChargeMatch.objects.filter(
        instance=instance, year=year, month=month, outcome=Outcome.LEAKAGE, resolution=Resolution.OPEN)
    # Found by an earlier run of this period (that run settled the month before: its row is gone).
    known = ChargeMatch.objects.filter(
        instance=instance, year=year, month=month, key=Concat(Value(_PREVIOUS), OuterRef("key")), cause=Cause.TIMING)
    leaks.filter(Exists(known)).update(
        outcome=Outcome.VARIANCE, cause=Cause.TIMING, invoice_line=Subquery(known.values("invoice_line")[:1]),
        our_amount=Subquery(known.values("our_amount")[:1]),
    )
    leaks.filter(Exists(earlier)).update(
        outcome=Outcome.VARIANCE, cause=Cause.TIMING, invoice_line=Subquery(earlier.values("invoice_line")[:1]),
        our_amount=Subquery(earlier.values("our_amount")[:1]),
    )
    shifted = ChargeMatch.objects.filter(instance=instance, year=year, month=month, cause=Cause.TIMING)
    shifted.update(difference=F("microsoft_amount") - F("our_amount"))
    ChargeMatch.objects.filter(
        instance=instance, year=prev_year, month=prev_month, outcome=Outcome.NOT_CHARGED, resolution=Resolution.OPEN,
        invoice_line__in=shifted.values("invoice_line"),
    ).delete()


def _set_aside_open(instance: PartnerCenterInstance, year: int, month: int) -> None:
    """The period's open rows step aside (key prefixed) while the run writes the new ones; settled rows stay."""
    ChargeMatch.objects.filter(instance=instance, year=year, month=month, resolution=Resolution.OPEN).update(
        key=Concat(Value(_PREVIOUS), F("key")))


def _count_new_and_drop_previous(instance: PartnerCenterInstance, year: int, month: int) -> tuple[int, int]:
    """(open findings, open findings the previous run did not have); then the set-aside rows go."""
    period = ChargeMatch.objects.filter(instance=instance, year=year, month=month)
    found = period.filter(resolution=Resolution.OPEN, outcome__in=FINDING_OUTCOMES).exclude(
        key__startswith=_PREVIOUS)
    before = ChargeMatch.objects.filter(
        instance=instance, key=Concat(Value(_PREVIOUS), OuterRef("key")), outcome__in=FINDING_OUTCOMES)
    counts = (found.count(), found.exclude(Exists(before)).count())
    period.filter(key__startswith=_PREVIOUS).delete()
    return counts


@transaction.atomic
def match_run(*, instance: PartnerCenterInstance, year: int, month: int, actor: User | None = None) -> MatchRun:
    """Match the period's imported lines (all of it or nothing: one transaction). Returns the run with its counts:
    lines per outcome, `findings` open and `new` (open findings the previous run did not have)."""
    tolerance = match_tolerance()
    run = MatchRun.objects.create(instance=instance, year=year, month=month, tolerance=tolerance,
                                  requested_by=actor if actor is not None and actor.pk else None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Every statement of the run reads the whole period: hash joins in memory, never a nested loop over
            # a million lines because some statistics are stale (for this transaction only).
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Fresh statistics after a bulk import, or the planner takes a million lines for one.
            cursor.execute(f"ANALYZE {MicrosoftChargeLine._meta.db_table}")
    subscriptions_resolve(instance=instance, year=year, month=month)
    _set_aside_open(instance, year, month)
    with connection.cursor() as cursor:
        _drop_work_tables(cursor)
        try:
            _pair(cursor, instance, year, month)
            cursor.execute(sql.MICROSOFT_SIDE,
                           sql.microsoft_side_params(instance.pk, year, month, run.pk, str(tolerance)))
            cursor.execute(sql.OUR_SIDE, sql.our_side_params(instance.pk, year, month, run.pk))
        finally:
            _drop_work_tables(cursor)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {ChargeMatch._meta.db_table}")  # the statements after this read what it wrote
    _timing(instance, year, month)
    findings, new = _count_new_and_drop_previous(instance, year, month)
    rows = ChargeMatch.objects.filter(instance=instance, year=year, month=month)
    counts = {row["outcome"]: row["n"] for row in rows.values("outcome").annotate(n=Count("pk")).order_by()}
    counts["findings"], counts["new"] = findings, new
    run.counts = counts
    run.finished_at = timezone.now()
    run.save(update_fields=["counts", "finished_at", "updated_at"])
    return run
