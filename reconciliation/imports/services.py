"""Import of existing Partner Center customers (DESIGN.md section 3, flow 6).

A run has two background phases:
1. **Preview** (`import_preview_build`): pages through all customers of the instance (continuation tokens),
   reads each customer's subscriptions, classifies it against the BSS (new / already linked / conflict) and,
   for an indirect provider, finds the indirect reseller it belongs to. One commit per page.
2. **Import** (`import_run_execute`): for each selected customer, one transaction that creates or links the
   BSS records through the audited bss services. A Partner Center failure stops the run with what is done
   committed; resuming (or a new run) picks up exactly what is missing: nothing is duplicated, nothing that
   already exists in the BSS is changed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from bss.choices import CspModel, RelationshipStatus, ResellerKind
from bss.exceptions import ApplicationError, InvalidTransition
from bss.models import (
    Customer,
    LicenseLedgerEntry,
    Marketplace,
    MicrosoftTenant,
    PartnerCenterInstance,
    Reseller,
    Subscription,
    User,
)
from bss.partner_center import get_client
from bss.services.accounts import customer_create, reseller_create, tenant_create
from bss.services.audit import audit_record, snapshot
from bss.services.subscriptions import subscription_record_entitlements
from partnercenter import errors as pc_errors
from partnercenter.types import AzureEntitlement as PcAzureEntitlement
from partnercenter.types import Customer as PcCustomer
from partnercenter.types import Subscription as PcSubscription
from reconciliation.imports import selectors
from reconciliation.imports.choices import (
    RUN_TRANSITIONS,
    Classification,
    Outcome,
    ResellerAction,
    RowObject,
    RunStatus,
)
from reconciliation.imports.mapping import (
    SubscriptionValues,
    is_azure_plan,
    reseller_partner_id_for,
    subscription_summary,
    subscription_values,
)
from reconciliation.imports.models import ImportItem, ImportReseller, ImportResultRow, ImportRun
from reconciliation.imports.tasks import import_preview_build_task, import_run_execute_task

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 500
IMPORT_BATCH_SIZE = 25

# Errors that say "Partner Center (or our access to it) is failing", not "this customer has a problem": the run
# stops and is resumed later. Anything else is recorded against the one customer and the run goes on.
RUN_LEVEL_ERRORS: tuple[type[pc_errors.PartnerCenterError], ...] = (
    pc_errors.TransportError,
    pc_errors.ServerError,
    pc_errors.ThrottledError,
    pc_errors.AuthenticationError,
    pc_errors.TokenAcquisitionError,
    pc_errors.ConfigurationError,
    pc_errors.ResponseValidationError,
)


def _pc_message(exc: pc_errors.PartnerCenterError) -> str:
    parts = [exc.description or exc.message]
    if exc.http_status:
        parts.append(f"HTTP {exc.http_status}")
    if exc.code:
        parts.append(f"code {exc.code}")
    if exc.correlation_id:
        parts.append(f"correlation id {exc.correlation_id}")
    return ", ".join(str(p) for p in parts if p)[:480]


def _transition(run: ImportRun, to: str) -> None:
    if to not in RUN_TRANSITIONS.get(run.status, set()):
        raise InvalidTransition(
            f"An import run cannot go from {run.get_status_display()!r} to {RunStatus(to).label!r}.",
            extra={"from": run.status, "to": to},
        )
    run.status = to


def _locked_run(run_id: int) -> ImportRun:
    return ImportRun.objects.select_for_update(of=("self",)).select_related("instance", "started_by").get(pk=run_id)


# --- starting, retrying, selecting ---------------------------------------------------------------------------


@transaction.atomic
def import_preview_start(
    *, actor: User | None, instance: PartnerCenterInstance, page_size: int = MAX_PAGE_SIZE
) -> ImportRun:
    """Create a run and build its preview in the background."""
    if not instance.is_active:
        raise ApplicationError(f"Partner Center instance {instance.name} is inactive.", code="instance_inactive")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApplicationError(f"Page size must be between 1 and {MAX_PAGE_SIZE}.", code="invalid_page_size")
    try:
        with transaction.atomic():
            run = ImportRun.objects.create(
                instance=instance,
                status=RunStatus.PREVIEWING,
                stage="Waiting for a worker",
                page_size=page_size,
                started_by=actor if actor is not None and actor.pk else None,
            )
    except IntegrityError:
        raise ApplicationError(
            f"An import of {instance.name} is already running; wait for it to finish.", code="import_running"
        ) from None
    audit_record(
        actor=actor,
        action="import_run.preview_start",
        obj=run,
        after={"instance_id": instance.pk, "page_size": page_size},
    )
    transaction.on_commit(lambda: import_preview_build_task.delay(run.pk))
    return run


@transaction.atomic
def import_preview_retry(*, actor: User | None, run: ImportRun) -> ImportRun:
    locked = _locked_run(run.pk)
    _transition(locked, RunStatus.PREVIEWING)
    locked.error = ""
    locked.stage = "Waiting for a worker"
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "error", "stage"])
    except IntegrityError:
        raise ApplicationError("Another import of this instance is running.", code="import_running") from None
    audit_record(actor=actor, action="import_run.preview_retry", obj=locked)
    transaction.on_commit(lambda: import_preview_build_task.delay(locked.pk))
    return locked


@transaction.atomic
def import_items_select(
    *, actor: User | None, run: ImportRun, selected: bool, item_ids: Iterable[int] | None = None
) -> int:
    """Select (or unselect) some items, or all of them when `item_ids` is None. Conflicts are never selected."""
    locked = _locked_run(run.pk)
    if locked.status != RunStatus.READY:
        raise ApplicationError("The selection can change only while the preview is ready.", code="not_ready")
    items = locked.items.exclude(classification=Classification.CONFLICT)
    if item_ids is not None:
        items = items.filter(pk__in=list(item_ids))
    changed = items.exclude(selected=selected).update(selected=selected)
    locked.customers_selected = selectors.run_selected_count(run=locked)
    locked.save(update_fields=["customers_selected"])
    if changed:
        audit_record(
            actor=actor,
            action="import_run.select",
            obj=locked,
            after={"selected": selected, "changed": changed, "all": item_ids is None},
        )
    return changed


@transaction.atomic
def import_reseller_map(
    *, actor: User | None, run: ImportRun, partner_id: str, reseller: Reseller | None
) -> ImportReseller:
    """Map an unknown indirect reseller to an existing BSS reseller by hand (None: create a light reseller)."""
    locked = _locked_run(run.pk)
    if locked.status != RunStatus.READY:
        raise ApplicationError("Resellers can be mapped only while the preview is ready.", code="not_ready")
    row = ImportReseller.objects.select_for_update(of=("self",)).get(run=locked, partner_id=partner_id)
    if row.action == ResellerAction.MATCHED:
        raise ApplicationError(
            f"Partner ID {partner_id} already matches BSS reseller {row.reseller}.", code="reseller_matched"
        )
    before = {"action": row.action, "reseller_id": row.reseller_id}
    row.action = ResellerAction.MAPPED if reseller is not None else ResellerAction.CREATE
    row.reseller = reseller
    row.save(update_fields=["action", "reseller"])
    audit_record(
        actor=actor,
        action="import_run.reseller_map",
        obj=locked,
        before={"partner_id": partner_id, **before},
        after={"partner_id": partner_id, "action": row.action, "reseller_id": row.reseller_id},
    )
    return row


@transaction.atomic
def import_run_start(*, actor: User | None, run: ImportRun) -> ImportRun:
    """Start importing the selected customers of a ready preview."""
    locked = _locked_run(run.pk)
    if selectors.provider_marketplace_for(instance=locked.instance) is None:
        raise ApplicationError(
            f"{locked.instance.name} has no provider marketplace: imported customers need one. "
            "Create the provider's marketplace for this instance first.",
            code="no_provider_marketplace",
        )
    _transition(locked, RunStatus.IMPORTING)
    locked.customers_selected = selectors.run_selected_count(run=locked)
    locked.import_started_at = timezone.now()
    locked.stage = "Waiting for a worker"
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "customers_selected", "import_started_at", "stage"])
    except IntegrityError:
        raise ApplicationError("Another import of this instance is running.", code="import_running") from None
    audit_record(
        actor=actor, action="import_run.start", obj=locked, after={"customers_selected": locked.customers_selected}
    )
    transaction.on_commit(lambda: import_run_execute_task.delay(locked.pk))
    return locked


@transaction.atomic
def import_run_resume(*, actor: User | None, run: ImportRun) -> ImportRun:
    """Resume an interrupted import: only the customers it has not finished are processed."""
    locked = _locked_run(run.pk)
    _transition(locked, RunStatus.IMPORTING)
    locked.error = ""
    locked.finished_at = None
    locked.stage = "Resuming"
    try:
        with transaction.atomic():
            locked.save(update_fields=["status", "error", "finished_at", "stage"])
    except IntegrityError:
        raise ApplicationError("Another import of this instance is running.", code="import_running") from None
    audit_record(actor=actor, action="import_run.resume", obj=locked, after={"customers_done": locked.customers_done})
    transaction.on_commit(lambda: import_run_execute_task.delay(locked.pk))
    return locked


def import_run_fail(*, run_id: int, message: str) -> None:
    """Stop a run that is previewing or importing, keeping what is done (also called on unexpected errors)."""
    with transaction.atomic():
        run = _locked_run(run_id)
        target = {RunStatus.PREVIEWING: RunStatus.PREVIEW_FAILED, RunStatus.IMPORTING: RunStatus.IMPORT_FAILED}
        if run.status not in target:
            return
        before = run.status
        run.status = target[run.status]
        run.error = message[:4000]
        run.stage = "Stopped: " + message[:240]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "stage", "finished_at"])
        audit_record(
            actor=None,
            actor_label="import worker",
            action="import_run.fail",
            obj=run,
            before={"status": before},
            after={"status": run.status, "error": run.error},
        )


# --- preview -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ResellerInfo:
    tenant_id: str
    name: str
    mpn_id: str
    location: str


def _indirect_resellers(client: Any, run: ImportRun) -> tuple[dict[str, _ResellerInfo], list[str]]:
    """The provider's indirect resellers by partner id (App+User); a warning instead if we cannot read them."""
    try:
        resellers = client.customers.list_indirect_resellers()
    except pc_errors.AppUserAuthRequiredError:
        return {}, [
            "No App+User refresh token on this instance: indirect resellers are identified by the partner id on "
            "their customers' subscriptions only, and new resellers are named after their partner id."
        ]
    except (pc_errors.PermissionDeniedError, pc_errors.BadRequestError, pc_errors.NotFoundError) as exc:
        return {}, [f"The list of indirect resellers could not be read ({_pc_message(exc)})."]
    infos: dict[str, _ResellerInfo] = {}
    for r in resellers:
        if r.mpn_id:
            infos[r.mpn_id] = _ResellerInfo(r.id or "", r.name or "", r.mpn_id, r.location or "")
    return infos, []


def _classify_page(
    instance: PartnerCenterInstance, customers: list[PcCustomer]
) -> dict[str, tuple[str, str, Customer | None, bool]]:
    """(classification, note, linked customer, tenant already on this instance) per Partner Center customer id of
    one page: 3 queries."""
    ids = [c.id for c in customers]
    domains = {(c.domain or "").lower() for c in customers if c.domain}
    here = {
        t.pc_customer_id: t
        for t in MicrosoftTenant.objects.select_related("customer").filter(instance=instance, pc_customer_id__in=ids)
    }
    elsewhere: dict[str, MicrosoftTenant] = {}
    for t in (
        MicrosoftTenant.objects.select_related("customer", "instance")
        .filter(pc_customer_id__in=ids)
        .exclude(instance=instance)
        .order_by("pk")
    ):
        elsewhere.setdefault(t.pc_customer_id or "", t)
    by_domain = {
        t.default_domain: t
        for t in MicrosoftTenant.objects.select_related("customer").filter(
            instance=instance, default_domain__in=domains
        )
    }
    result: dict[str, tuple[str, str, Customer | None, bool]] = {}
    for c in customers:
        domain = (c.domain or "").lower()
        if c.id in here:
            t = here[c.id]
            result[c.id] = (Classification.LINKED, f"already linked to BSS customer {t.customer}", t.customer, True)
        elif domain and domain in by_domain:
            t = by_domain[domain]
            state = f"tenant id {t.pc_customer_id}" if t.pc_customer_id else "no Partner Center id yet (pending order?)"
            result[c.id] = (
                Classification.CONFLICT,
                f"BSS customer {t.customer} already has domain {domain} on this instance with {state}; resolve by hand",
                t.customer,
                False,
            )
        elif not domain:
            result[c.id] = (Classification.CONFLICT, "Partner Center gives no domain for this customer", None, False)
        elif c.id in elsewhere:
            t = elsewhere[c.id]
            result[c.id] = (
                Classification.LINKED,
                f"BSS customer {t.customer} has this tenant in {t.instance}; it will be linked to this instance",
                t.customer,
                False,
            )
        else:
            result[c.id] = (Classification.NEW, "", None, False)
    return result


def import_preview_build(*, run_id: int) -> None:
    """Page through the instance's customers and store one preview item per customer (commit per page)."""
    run = ImportRun.objects.select_related("instance").get(pk=run_id)
    if run.status != RunStatus.PREVIEWING:
        return
    instance = run.instance
    indirect = instance.csp_model == CspModel.INDIRECT_PROVIDER
    ImportRun.objects.filter(pk=run.pk).update(stage="Connecting to Partner Center", pages_read=0, customers_found=0)
    try:
        client = get_client(instance)
        reseller_infos, warnings = _indirect_resellers(client, run) if indirect else ({}, [])
        mpn_by_tenant = {info.tenant_id.lower(): mpn for mpn, info in reseller_infos.items() if info.tenant_id}
        position = 0
        pages = 0
        for page in client.customers.list_pages(page_size=run.page_size):
            customers = list(page.items)
            subs_by_customer = {c.id: client.subscriptions.list(customer_id=c.id) for c in customers}
            pages += 1
            position = _store_preview_page(
                run=run,
                customers=customers,
                subs_by_customer=subs_by_customer,
                start=position,
                indirect=indirect,
                reseller_infos=reseller_infos,
                mpn_by_tenant=mpn_by_tenant,
                pages=pages,
            )
    except pc_errors.PartnerCenterError as exc:
        import_run_fail(run_id=run.pk, message=f"Partner Center failed while building the preview: {_pc_message(exc)}")
        return
    with transaction.atomic():
        locked = _locked_run(run.pk)
        if locked.status != RunStatus.PREVIEWING:
            return
        # Rows of customers that disappeared from Partner Center since a failed attempt are dropped.
        locked.items.filter(position__gte=position).delete()
        _transition(locked, RunStatus.READY)
        locked.warnings = warnings
        locked.preview_finished_at = timezone.now()
        locked.customers_found = position
        locked.customers_selected = selectors.run_selected_count(run=locked)
        locked.stage = f"Preview ready: {position} customers in {pages} pages"
        locked.save(
            update_fields=[
                "status",
                "warnings",
                "preview_finished_at",
                "customers_found",
                "customers_selected",
                "stage",
            ]
        )


def _store_preview_page(
    *,
    run: ImportRun,
    customers: list[PcCustomer],
    subs_by_customer: dict[str, list[PcSubscription]],
    start: int,
    indirect: bool,
    reseller_infos: dict[str, _ResellerInfo],
    mpn_by_tenant: dict[str, str],
    pages: int,
) -> int:
    instance = run.instance
    with transaction.atomic():
        classes = _classify_page(instance, customers)
        all_sub_ids = [s.id for subs in subs_by_customer.values() for s in subs]
        in_bss = set(
            Subscription.objects.filter(pc_subscription_id__in=all_sub_ids).values_list("pc_subscription_id", flat=True)
        )
        items: list[ImportItem] = []
        partner_ids: set[str] = set()
        position = start
        for c in customers:
            subs = subs_by_customer.get(c.id, [])
            classification, note, linked, tenant_linked = classes[c.id]
            summaries = [{**subscription_summary(s), "in_bss": s.id in in_bss} for s in subs]
            reseller_pid = ""
            if indirect:
                reseller_pid, reseller_note = reseller_partner_id_for(
                    subscription_partner_ids=[s.partner_id for s in subs],
                    associated_partner_id=c.associated_partner_id,
                    mpn_by_tenant=mpn_by_tenant,
                    provider_partner_id=instance.partner_id,
                )
                note = "; ".join(n for n in (note, reseller_note) if n)
                if reseller_pid:
                    partner_ids.add(reseller_pid)
            new_subs = any(not s["in_bss"] and not s["skip_reason"] for s in summaries)
            # Selected by default: whatever would add something to the BSS.
            selected = classification == Classification.NEW or (
                classification == Classification.LINKED and (new_subs or not tenant_linked)
            )
            items.append(
                ImportItem(
                    run=run,
                    position=position,
                    pc_customer_id=c.id,
                    domain=(c.domain or "")[:255],
                    company_name=(c.company_name or c.domain or c.id)[:200],
                    reseller_partner_id=reseller_pid,
                    classification=classification,
                    note=note[:500],
                    linked_customer=linked,
                    tenant_linked=tenant_linked,
                    subscriptions=summaries,
                    selected=selected,
                )
            )
            position += 1
        ImportItem.objects.bulk_create(
            items,
            update_conflicts=True,
            unique_fields=["run", "pc_customer_id"],
            update_fields=[
                "position",
                "domain",
                "company_name",
                "reseller_partner_id",
                "classification",
                "note",
                "linked_customer",
                "tenant_linked",
                "subscriptions",
                "selected",
            ],
        )
        _store_resellers(run, partner_ids, reseller_infos)
        ImportRun.objects.filter(pk=run.pk).update(
            pages_read=pages, customers_found=position, stage=f"Reading customers: page {pages}, {position} so far"
        )
    return position


def _store_resellers(run: ImportRun, partner_ids: set[str], infos: dict[str, _ResellerInfo]) -> None:
    known = set(run.resellers.filter(partner_id__in=partner_ids).values_list("partner_id", flat=True))
    matches = {r.partner_id: r for r in Reseller.objects.filter(partner_id__in=partner_ids - known)}
    rows = []
    for pid in sorted(partner_ids - known):
        info = infos.get(pid)
        match = matches.get(pid)
        rows.append(
            ImportReseller(
                run=run,
                partner_id=pid,
                pc_tenant_id=info.tenant_id if info else "",
                pc_name=(info.name if info else "")[:200],
                pc_location=(info.location if info else "")[:64],
                action=ResellerAction.MATCHED if match else ResellerAction.CREATE,
                reseller=match,
            )
        )
    ImportReseller.objects.bulk_create(rows)


# --- import ------------------------------------------------------------------------------------------------


@transaction.atomic
def subscription_import(
    *, actor: User | None, customer: Customer, tenant: MicrosoftTenant, values: SubscriptionValues
) -> Subscription:
    """Record an existing Partner Center subscription in the BSS (audited; the ledger starts at its quantity)."""
    subscription = Subscription.objects.create(customer=customer, tenant=tenant, **asdict(values))
    LicenseLedgerEntry.objects.create(
        subscription=subscription,
        quantity_before=0,
        quantity_after=subscription.quantity,
        reason="import",
        actor=actor if actor is not None and actor.pk else None,
    )
    audit_record(
        actor=actor,
        action="subscription.import",
        obj=subscription,
        after=snapshot(
            subscription,
            [
                "customer_id",
                "tenant_id",
                "pc_subscription_id",
                "name",
                "quantity",
                "status",
                "billing_cycle",
                "term_duration",
                "auto_renew",
                "commitment_end_date",
                "pc_partner_id",
            ],
        ),
    )
    return subscription


class _Skip(Exception):
    """This customer is not imported, for a reason the report shows."""


@dataclass
class _Fetched:
    customer: PcCustomer | None
    subscriptions: list[PcSubscription]
    # Azure subscriptions of the Azure plans that are new to the BSS, by Partner Center subscription id.
    entitlements: dict[str, list[PcAzureEntitlement]]


def _fetch(client: Any, run: ImportRun, item: ImportItem) -> _Fetched:
    """Fresh Partner Center data for one item. The customer's profile is read only if we may create it."""
    exists = MicrosoftTenant.objects.filter(pc_customer_id=item.pc_customer_id).exists()
    customer = None if exists else client.customers.get(customer_id=item.pc_customer_id)
    subscriptions = list(client.subscriptions.list(customer_id=item.pc_customer_id))
    known = set(
        Subscription.objects.filter(pc_subscription_id__in=[s.id for s in subscriptions]).values_list(
            "pc_subscription_id", flat=True
        )
    )
    entitlements = {
        s.id: list(client.subscriptions.list_azure_entitlements(customer_id=item.pc_customer_id, subscription_id=s.id))
        for s in subscriptions
        if s.id not in known and is_azure_plan(s) and subscription_values(s).importable
    }
    return _Fetched(customer, subscriptions, entitlements)


def import_run_execute(*, run_id: int, batch_size: int = IMPORT_BATCH_SIZE) -> bool:
    """Import the next batch of selected customers of a run. True when more remain (the task chains itself)."""
    run = ImportRun.objects.select_related("instance", "started_by").get(pk=run_id)
    if run.status != RunStatus.IMPORTING:
        return False
    pending = list(
        run.items.filter(selected=True, outcome=Outcome.PENDING)
        .exclude(classification=Classification.CONFLICT)
        .order_by("position", "pk")[:batch_size]
    )
    if not pending:
        _finish(run)
        return False
    try:
        client = get_client(run.instance)
    except pc_errors.PartnerCenterError as exc:
        import_run_fail(run_id=run.pk, message=f"Partner Center client unavailable: {_pc_message(exc)}")
        return False
    for item in pending:
        ImportRun.objects.filter(pk=run.pk).update(stage=f"Importing {item.company_name} ({item.domain})")
        try:
            fetched = _fetch(client, run, item)
        except RUN_LEVEL_ERRORS as exc:
            import_run_fail(
                run_id=run.pk,
                message=f"Partner Center failed while importing {item.company_name} ({item.pc_customer_id}): "
                f"{_pc_message(exc)}. What was imported is kept; resume to continue.",
            )
            return False
        except pc_errors.PartnerCenterError as exc:
            _item_finish(run, item, Outcome.FAILED, f"Partner Center: {_pc_message(exc)}")
            continue
        try:
            _import_item(run, item, fetched)
        except _Skip as exc:
            _item_finish(run, item, Outcome.SKIPPED, str(exc))
        except (ApplicationError, IntegrityError) as exc:
            logger.warning("import run %s: customer %s failed: %s", run.pk, item.pc_customer_id, exc)
            _item_finish(run, item, Outcome.FAILED, getattr(exc, "message", None) or str(exc))
    return True


def _item_finish(run: ImportRun, item: ImportItem, outcome: str, reason: str, customer: Customer | None = None) -> None:
    """Record a customer's outcome (once) with its report row and the run's counters."""
    with transaction.atomic():
        locked = ImportItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if locked.outcome:
            return
        _item_set_outcome(run, locked, outcome, reason, customer, counts_as_done=locked.selected)


def _item_set_outcome(
    run: ImportRun, item: ImportItem, outcome: str, reason: str, customer: Customer | None, *, counts_as_done: bool
) -> None:
    item.outcome = outcome
    item.reason = reason[:500]
    item.customer = customer or item.customer
    item.processed_at = timezone.now()
    item.save(update_fields=["outcome", "reason", "customer", "processed_at"])
    ImportResultRow.objects.create(
        run=run,
        item=item,
        object_type=RowObject.CUSTOMER,
        pc_id=item.pc_customer_id,
        name=item.company_name,
        outcome=outcome,
        reason=item.reason,
        bss_id=item.customer.pk if item.customer else None,
    )
    counter = {
        Outcome.CREATED: "created_count",
        Outcome.LINKED: "linked_count",
        Outcome.SKIPPED: "skipped_count",
        Outcome.FAILED: "failed_count",
    }[Outcome(outcome)]
    updates: dict[str, Any] = {counter: F(counter) + 1}
    if counts_as_done:
        updates["customers_done"] = F("customers_done") + 1
    ImportRun.objects.filter(pk=run.pk).update(**updates)


def _import_item(run: ImportRun, item: ImportItem, fetched: _Fetched) -> None:
    """Create or link one customer and its subscriptions, in one transaction."""
    instance = run.instance
    actor = run.started_by
    with transaction.atomic():
        item = ImportItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
        if item.outcome:
            return  # redelivered task: already done
        rows: list[ImportResultRow] = []
        tenant = (
            MicrosoftTenant.objects.select_related("customer")
            .filter(instance=instance, pc_customer_id=item.pc_customer_id)
            .first()
        )
        if tenant is not None:
            customer = tenant.customer
            outcome = Outcome.LINKED
            reason = f"already linked to BSS customer {customer}"
            tenant_existed = True
        else:
            tenant_existed = False
            domain = item.domain.lower()
            clash = MicrosoftTenant.objects.select_related("customer").filter(instance=instance, default_domain=domain)
            if not domain or clash.exists():
                owner = clash.first()
                raise _Skip(
                    f"conflict: BSS customer {owner.customer if owner else '?'} already has domain {domain} on this "
                    "instance; resolve by hand"
                )
            other = (
                MicrosoftTenant.objects.select_related("customer")
                .filter(pc_customer_id=item.pc_customer_id)
                .order_by("pk")
                .first()
            )
            if other is not None:
                customer = other.customer
                outcome = Outcome.LINKED
                reason = f"existing BSS customer {customer} linked to this instance"
            else:
                customer, reason = _create_customer(run, item, fetched.customer, rows)
                outcome = Outcome.CREATED
            tenant = tenant_create(
                actor=actor,
                customer=customer,
                instance=instance,
                default_domain=domain,
                pc_customer_id=item.pc_customer_id,
                relationship_status=RelationshipStatus.ACTIVE,
            )
            rows.append(_row(run, item, RowObject.TENANT, item.pc_customer_id, domain, Outcome.CREATED, "", tenant.pk))
        created_subs = _import_subscriptions(run, item, customer, tenant, fetched, rows, actor)
        if tenant_existed and not created_subs:
            outcome, reason = Outcome.SKIPPED, "already in the BSS: nothing new"
        elif tenant_existed:
            reason = f"{reason}; {created_subs} new subscription(s) added"
        _item_set_outcome(run, item, outcome, reason, customer, counts_as_done=True)
        ImportResultRow.objects.bulk_create(rows)  # after the customer's own row: the report reads top-down
        if created_subs:
            ImportRun.objects.filter(pk=run.pk).update(subscriptions_created=F("subscriptions_created") + created_subs)


def _row(
    run: ImportRun, item: ImportItem, kind: str, pc_id: str, name: str, outcome: str, reason: str, bss_id: int | None
) -> ImportResultRow:
    return ImportResultRow(
        run=run,
        item=item,
        object_type=kind,
        pc_id=pc_id[:64],
        name=name[:255],
        outcome=outcome,
        reason=reason[:500],
        bss_id=bss_id,
    )


def _import_subscriptions(
    run: ImportRun,
    item: ImportItem,
    customer: Customer,
    tenant: MicrosoftTenant,
    fetched: _Fetched,
    rows: list[ImportResultRow],
    actor: User | None,
) -> int:
    subs = fetched.subscriptions
    existing = {
        s.pc_subscription_id: s
        for s in Subscription.objects.select_related("customer").filter(pc_subscription_id__in=[s.id for s in subs])
    }
    created = 0
    for sub in subs:
        mapped = subscription_values(sub)
        label = sub.friendly_name or sub.offer_name or sub.id
        if sub.id in existing:
            owner = existing[sub.id].customer
            if owner.pk != customer.pk:
                rows.append(
                    _row(
                        run,
                        item,
                        RowObject.SUBSCRIPTION,
                        sub.id,
                        label,
                        Outcome.SKIPPED,
                        f"conflict: already in the BSS under customer {owner}",
                        existing[sub.id].pk,
                    )
                )
            continue  # already imported: nothing to report again
        if mapped.values is None:
            rows.append(
                _row(run, item, RowObject.SUBSCRIPTION, sub.id, label, Outcome.SKIPPED, mapped.skip_reason, None)
            )
            continue
        subscription = subscription_import(actor=actor, customer=customer, tenant=tenant, values=mapped.values)
        if fetched.entitlements.get(sub.id):
            subscription_record_entitlements(subscription=subscription, entitlements=fetched.entitlements[sub.id])
        rows.append(
            _row(
                run,
                item,
                RowObject.SUBSCRIPTION,
                sub.id,
                subscription.name,
                Outcome.CREATED,
                f"{subscription.quantity} x, {subscription.status}",
                subscription.pk,
            )
        )
        created += 1
    return created


def _create_customer(
    run: ImportRun, item: ImportItem, pc_customer: PcCustomer | None, rows: list[ImportResultRow]
) -> tuple[Customer, str]:
    instance = run.instance
    provider_marketplace = selectors.provider_marketplace_for(instance=instance)
    if provider_marketplace is None:
        raise ApplicationError(f"{instance.name} has no provider marketplace.", code="no_provider_marketplace")
    provider = provider_marketplace.owner
    reseller = _reseller_for(run, item, provider, rows) if item.reseller_partner_id else provider
    marketplace: Marketplace = provider_marketplace
    if reseller.pk != provider.pk:
        marketplace = selectors.reseller_marketplace_for(reseller=reseller, instance=instance) or provider_marketplace
    fields = _customer_fields(pc_customer)
    customer = customer_create(
        actor=run.started_by,
        reseller=reseller,
        marketplace=marketplace,
        company_name=(pc_customer.company_name if pc_customer else None) or item.company_name,
        **fields,
    )
    return customer, f"new customer of {reseller} in marketplace {marketplace}"


def _customer_fields(pc_customer: PcCustomer | None) -> dict[str, str]:
    if pc_customer is None:
        return {}
    billing = pc_customer.billing_profile
    company = pc_customer.company_profile
    address = (billing.default_address if billing else None) or (company.address if company else None)
    fields: dict[str, str] = {}
    if address is not None:
        country = (address.country or "").strip().upper()
        if len(country) == 2:
            fields["country"] = country
        fields.update(
            contact_first_name=(address.first_name or "")[:100],
            contact_last_name=(address.last_name or "")[:100],
            contact_phone=(address.phone_number or "")[:40],
            address_line1=(address.address_line1 or "")[:200],
            city=(address.city or "")[:100],
            state=(address.state or "")[:100],
            postal_code=(address.postal_code or "")[:20],
        )
    if billing is not None:
        if billing.first_name:
            fields["contact_first_name"] = billing.first_name[:100]
        if billing.last_name:
            fields["contact_last_name"] = billing.last_name[:100]
        if billing.email and len(billing.email) <= 254:
            fields["contact_email"] = billing.email
        if billing.culture and len(billing.culture) <= 10:
            fields["culture"] = billing.culture
    return fields


def _reseller_for(run: ImportRun, item: ImportItem, provider: Reseller, rows: list[ImportResultRow]) -> Reseller:
    """The BSS reseller of an indirect reseller's customer: matched, mapped, or created now as a light reseller."""
    mapping = (
        ImportReseller.objects.select_for_update(of=("self",))
        .filter(run=run, partner_id=item.reseller_partner_id)
        .first()
    )
    if mapping is not None and mapping.reseller is not None:
        return mapping.reseller
    existing = Reseller.objects.filter(partner_id=item.reseller_partner_id).first()
    if existing is None:
        name = (mapping.pc_name if mapping else "") or f"Indirect reseller {item.reseller_partner_id}"
        location = (mapping.pc_location if mapping else "").strip().upper()
        existing = reseller_create(
            actor=run.started_by,
            name=name,
            kind=ResellerKind.LIGHT,
            parent=provider,
            partner_id=item.reseller_partner_id,
            country=location if len(location) == 2 else provider.country,
        )
        rows.append(
            _row(
                run,
                item,
                RowObject.RESELLER,
                item.reseller_partner_id,
                name,
                Outcome.CREATED,
                "light reseller under the provider",
                existing.pk,
            )
        )
        ImportRun.objects.filter(pk=run.pk).update(resellers_created=F("resellers_created") + 1)
    if mapping is not None:
        mapping.reseller = existing
        mapping.save(update_fields=["reseller"])
    return existing


def _finish(run: ImportRun) -> None:
    """Report the customers the run did not import (not selected, conflicts) and close the run."""
    with transaction.atomic():
        locked = _locked_run(run.pk)
        if locked.status != RunStatus.IMPORTING:
            return
        leftovers = locked.items.filter(outcome=Outcome.PENDING).order_by("position", "pk")
        for item in leftovers.iterator(chunk_size=500):
            if item.classification == Classification.CONFLICT:
                reason = f"conflict: {item.note}"
            elif item.classification == Classification.LINKED and item.tenant_linked and not _has_new(item):
                reason = "already in the BSS: nothing new"
            else:
                reason = "not selected for import"
            _item_set_outcome(locked, item, Outcome.SKIPPED, reason, item.linked_customer, counts_as_done=False)
        locked.refresh_from_db()
        _transition(locked, RunStatus.COMPLETED)
        locked.finished_at = timezone.now()
        locked.stage = (
            f"Done: {locked.created_count} created, {locked.linked_count} linked, "
            f"{locked.skipped_count} skipped, {locked.failed_count} failed"
        )
        locked.save(update_fields=["status", "finished_at", "stage"])
        audit_record(
            actor=locked.started_by,
            action="import_run.complete",
            obj=locked,
            after={
                "created": locked.created_count,
                "linked": locked.linked_count,
                "skipped": locked.skipped_count,
                "failed": locked.failed_count,
                "subscriptions_created": locked.subscriptions_created,
            },
        )


def _has_new(item: ImportItem) -> bool:
    return any(not s.get("in_bss") and not s.get("skip_reason") for s in item.subscriptions or [])


# --- report ------------------------------------------------------------------------------------------------

REPORT_COLUMNS = ["object", "partner_center_id", "name", "outcome", "reason", "bss_id", "customer", "domain"]


def _csv_safe(value: object) -> str:
    """Neutralise spreadsheet formulas in values that came from Partner Center or users."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def import_report_rows(*, run: ImportRun) -> Iterator[list[str]]:
    yield REPORT_COLUMNS
    for row in selectors.run_rows(run=run).iterator(chunk_size=1000):
        item = row.item
        yield [
            _csv_safe(v)
            for v in (
                row.object_type,
                row.pc_id,
                row.name,
                row.outcome,
                row.reason,
                row.bss_id if row.bss_id is not None else "",
                item.company_name if item else "",
                item.domain if item else "",
            )
        ]
