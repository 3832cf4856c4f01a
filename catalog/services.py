"""Catalog domain operations: sync/import runs, publishing, catalog settings (markup rules: `catalog.markups`,
re-exported here)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from bss.exceptions import ApplicationError
from bss.models import Marketplace, PartnerCenterInstance, User
from bss.services.audit import audit_record
from catalog import confirmation
from catalog.choices import ChangeKind, Lifecycle, RunSource, RunStage, RunStatus, family_for_title
from catalog.confirmation import ApiCatalog
from catalog.markups import markup_rule_delete, markup_rule_set  # noqa: F401 - re-exported: their home
from catalog.models import (
    Availability,
    CatalogChange,
    CatalogSyncRun,
    MarketplaceCatalogSettings,
    Offer,
    Product,
    Sku,
)
from catalog.pricesheet import diff, firstload
from catalog.pricesheet.format import SheetFormatError
from catalog.pricesheet.staging import PriceSheetError, Stager, tune_for_bulk
from catalog.pricesheet.upload import ENCODING_LABELS, detect_encoding, store_as_utf8
from partnercenter import errors as pc_errors

logger = logging.getLogger(__name__)

PROGRESS_KEY = "catalog:run-progress:{}"
API_VIEWS = ("OnlineServices", "MicrosoftAzure")

# --- run requests --------------------------------------------------------------------------------------


def _check_market(instance: PartnerCenterInstance, market: str) -> str:
    market = (market or "").upper()
    if len(market) != 2 or not market.isalpha():
        raise ApplicationError(f"{market!r} is not a market (ISO country code)", code="catalog_bad_market")
    return market


#: A queued/running run older than this is taken as abandoned (dead worker) and no longer blocks a new one.
ACTIVE_RUN_WINDOW = dt.timedelta(hours=6)


def active_run_for(instance: PartnerCenterInstance, market: str) -> CatalogSyncRun | None:
    """The queued or running run of this instance and market, if a recent one exists."""
    return (
        CatalogSyncRun.objects.filter(instance=instance, market=market,
                                      status__in=[RunStatus.PENDING, RunStatus.RUNNING],
                                      created_at__gte=timezone.now() - ACTIVE_RUN_WINDOW)
        .order_by("-created_at")
        .first()
    )


def _check_no_active_run(instance: PartnerCenterInstance, market: str) -> None:
    active = active_run_for(instance, market)
    if active is not None:
        raise ApplicationError(
            f"Run #{active.pk} for {instance.name} / {market} is still {active.get_status_display().lower()}; "
            "wait for it to finish.", code="catalog_run_active", extra={"run": active.pk},
        )


def _enqueue(run: CatalogSyncRun) -> None:
    from catalog.tasks import catalog_run_task

    transaction.on_commit(lambda: catalog_run_task.delay(run.pk))


@transaction.atomic
def catalog_sync_request(*, instance: PartnerCenterInstance, market: str, actor: User | None) -> CatalogSyncRun:
    """Queue a catalog sync from Partner Center for one instance and market.

    Raises ``ApplicationError`` (``catalog_run_active``) while another run of the same instance+market is queued or
    running.
    """
    market = _check_market(instance, market)
    PartnerCenterInstance.objects.select_for_update(of=("self",)).filter(pk=instance.pk).first()
    _check_no_active_run(instance, market)
    run = CatalogSyncRun.objects.create(instance=instance, market=market, source=RunSource.PARTNER_CENTER,
                                        requested_by=actor if actor and actor.pk else None)
    audit_record(actor=actor, action="catalog.sync_requested", obj=run, after={"market": market})
    _enqueue(run)
    return run


@transaction.atomic
def pricesheet_import_request(
    *, instance: PartnerCenterInstance, market: str, upload: IO[bytes], file_name: str, actor: User | None
) -> CatalogSyncRun:
    """Store an uploaded price list (the CSV Microsoft publishes) under MEDIA_ROOT and queue its import.

    The file is stored as UTF-8: read as UTF-8 (with or without BOM), UTF-16 (by its BOM) or else Windows-1252
    (``run.file_encoding`` says which). The worker reads the stored file and deletes it when the run ends. Refused
    (``catalog_file_unreadable``) when the file is not text, and (``catalog_run_active``) while another run of the
    same instance+market is queued or running.
    """
    market = _check_market(instance, market)
    try:
        encoding = detect_encoding(upload)
    except SheetFormatError as exc:
        raise ApplicationError(exc.message, code="catalog_file_unreadable") from None
    PartnerCenterInstance.objects.select_for_update(of=("self",)).filter(pk=instance.pk).first()
    _check_no_active_run(instance, market)
    folder = Path(settings.MEDIA_ROOT) / "catalog_imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    store_as_utf8(upload, path, encoding)
    run = CatalogSyncRun.objects.create(instance=instance, market=market, source=RunSource.FILE,
                                        file_name=file_name[:255], file_path=str(path),
                                        file_encoding=ENCODING_LABELS[encoding],
                                        requested_by=actor if actor and actor.pk else None)
    audit_record(actor=actor, action="catalog.import_requested", obj=run,
                 after={"market": market, "file": file_name, "encoding": run.file_encoding})
    _enqueue(run)
    return run


def pricesheet_import_file(
    *, instance: PartnerCenterInstance, market: str, path: str | Path, actor: User | None = None,
    allow_shortcut: bool = True,
) -> CatalogSyncRun:
    """Import a price-list file now (same pipeline as the queued import; used by commands and the bench)."""
    market = _check_market(instance, market)
    run = CatalogSyncRun.objects.create(instance=instance, market=market, source=RunSource.FILE,
                                        file_name=Path(path).name, file_path=str(path),
                                        requested_by=actor if actor and actor.pk else None)
    return catalog_run_execute(run_id=run.pk, allow_shortcut=allow_shortcut)


def catalog_sync_run(*, instance: PartnerCenterInstance, market: str, actor: User | None = None) -> CatalogSyncRun:
    """Sync now (synchronously) from Partner Center."""
    market = _check_market(instance, market)
    run = CatalogSyncRun.objects.create(instance=instance, market=market, source=RunSource.PARTNER_CENTER,
                                        requested_by=actor if actor and actor.pk else None)
    return catalog_run_execute(run_id=run.pk)


def _held_run(run: CatalogSyncRun, verb: str) -> CatalogSyncRun:
    run = CatalogSyncRun.objects.select_for_update(of=("self",)).select_related("instance").get(pk=run.pk)
    if run.status != RunStatus.AWAITING_CONFIRMATION:
        raise ApplicationError(f"Run #{run.pk} is {run.get_status_display().lower()}: there is nothing to {verb}.",
                               code="catalog_run_not_held")
    return run


@transaction.atomic
def catalog_run_confirm(*, run: CatalogSyncRun, actor: User | None) -> CatalogSyncRun:
    """Apply a run held for confirmation: exactly what it read (nothing is read again), queued for the worker.

    Refused (``catalog_run_not_held``) unless it awaits confirmation, (``catalog_run_stale``) when a later run of
    the instance+market has been applied since (its comparison no longer holds), and (``catalog_run_active``)
    while another run is queued or running.
    """
    run = _held_run(run, "apply")
    PartnerCenterInstance.objects.select_for_update(of=("self",)).filter(pk=run.instance_id).first()
    later = CatalogSyncRun.objects.filter(instance_id=run.instance_id, market=run.market,
                                          status=RunStatus.SUCCEEDED, finished_at__gt=run.finished_at)
    if later.exists():
        raise ApplicationError(f"A later run of {run.instance.name} / {run.market} has been applied since run "
                               f"#{run.pk} was read; discard it and start a new one.", code="catalog_run_stale")
    _check_no_active_run(run.instance, run.market)
    run.status, run.stage = RunStatus.PENDING, RunStage.QUEUED
    run.decided_by = actor if actor and actor.pk else None
    run.decided_at = timezone.now()
    run.save(update_fields=["status", "stage", "decided_by", "decided_at", "updated_at"])
    audit_record(actor=actor, action="catalog.run_confirmed", obj=run,
                 after={"discontinued": run.discontinued_count, "discontinued_products": run.discontinued_products,
                        "catalog_products": run.catalog_products, "repriced": run.repriced_count,
                        "catalog_prices": run.catalog_prices, "added": run.added_count})
    _enqueue(run)
    return run


@transaction.atomic
def catalog_run_discard(*, run: CatalogSyncRun, actor: User | None) -> CatalogSyncRun:
    """Drop a run held for confirmation: nothing of it is applied."""
    run = _held_run(run, "discard")
    confirmation.release(run)
    run.status = RunStatus.DISCARDED
    run.decided_by = actor if actor and actor.pk else None
    run.decided_at = timezone.now()
    run.save(update_fields=["status", "held_catalog", "decided_by", "decided_at", "updated_at"])
    audit_record(actor=actor, action="catalog.run_discarded", obj=run,
                 after={"discontinued": run.discontinued_count, "repriced": run.repriced_count})
    return run


# --- run execution -------------------------------------------------------------------------------------


def _read_api_catalog(client: Any, market: str) -> ApiCatalog:
    data = ApiCatalog()
    for view in API_VIEWS:
        for product in client.catalog.list_products(country=market, target_view=view):
            data.products.setdefault(product.id, product)
    for product_id in list(data.products):
        for sku in client.catalog.list_skus(product_id=product_id, country=market):
            data.skus[(product_id, sku.id)] = sku
            data.availabilities[(product_id, sku.id)] = client.catalog.list_availabilities(
                product_id=product_id, sku_id=sku.id, country=market
            )
    return data


def _set_progress(run: CatalogSyncRun, *, stage: str | None = None, rows: int | None = None, db: bool = False) -> None:
    if stage is not None:
        run.stage = stage
    if rows is not None:
        run.rows_read = rows
    cache.set(PROGRESS_KEY.format(run.pk), {"stage": run.stage, "rows_read": run.rows_read}, 3600)
    if db:
        CatalogSyncRun.objects.filter(pk=run.pk).update(stage=run.stage, rows_read=run.rows_read)


def _last_applied(run: CatalogSyncRun) -> CatalogSyncRun | None:
    return (
        CatalogSyncRun.objects.filter(instance_id=run.instance_id, market=run.market, status=RunStatus.SUCCEEDED)
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-id")
        .first()
    )


def _file_digest(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def catalog_run_execute(*, run_id: int, allow_shortcut: bool = True) -> CatalogSyncRun:
    """Execute a queued run: read, stage, validate, then apply the difference in one transaction.

    A failed run records why and applies nothing. Idempotent: a finished run is returned as it is.
    """
    run = CatalogSyncRun.objects.select_related("instance").get(pk=run_id)
    if run.status != RunStatus.PENDING:  # finished, running, or awaiting confirmation
        return run
    confirmed = run.decided_at is not None  # held, then confirmed: apply what it read then
    run.status = RunStatus.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at", "updated_at"])
    stager = Stager(market=run.market, progress=lambda rows: _set_progress(run, rows=rows))
    api_data: ApiCatalog | None = None
    previous = _last_applied(run)
    shortcut = direct = False
    try:
        if confirmed:
            _set_progress(run, stage=RunStage.APPLYING, db=True)
            api_data = confirmation.held_api_catalog(run)
            with transaction.atomic():
                stager.load_held(run.pk)
        elif run.source == RunSource.PARTNER_CENTER:
            from bss.partner_center import get_client

            client = get_client(run.instance)
            _set_progress(run, stage=RunStage.READING_CATALOG, db=True)
            api_data = _read_api_catalog(client, run.market)
            _set_progress(run, stage=RunStage.READING_PRICES, db=True)
            with transaction.atomic():
                stager.load_rows(client.price_sheets.iter_rows(market=run.market))
            run.content_digest = stager.hexdigest
        else:
            _set_progress(run, stage=RunStage.READING_PRICES, db=True)
            run.content_digest = _file_digest(run.file_path)
            if not (allow_shortcut and previous and previous.content_digest == run.content_digest):
                # An empty catalog has nothing to compare with: the first import streams straight in (in _apply).
                direct = firstload.is_first_import(run)
                if not direct:
                    with transaction.atomic():
                        stager.load_csv(run.file_path)
        shortcut = bool(not confirmed and allow_shortcut and previous is not None
                        and previous.content_digest == run.content_digest)
        if not direct:
            _set_progress(run, stage=RunStage.APPLYING, rows=stager.rows_read or previous_rows(previous, shortcut),
                          db=True)
        with transaction.atomic():
            _apply(run, api_data=api_data, previous=previous, shortcut=shortcut, direct=direct, stager=stager,
                   confirmed=confirmed)
    except (PriceSheetError, ApplicationError, pc_errors.PartnerCenterError, OSError) as exc:
        return _fail(run, _describe(exc))
    except Exception as exc:
        logger.exception("catalog run %s failed", run.pk)
        _fail(run, f"Unexpected error: {exc.__class__.__name__}: {exc}")
        raise
    finally:
        stager.drop()
        if run.source == RunSource.FILE and run.file_path.startswith(str(Path(settings.MEDIA_ROOT))):
            Path(run.file_path).unlink(missing_ok=True)
    return run


def previous_rows(previous: CatalogSyncRun | None, shortcut: bool) -> int:
    return previous.rows_read if (shortcut and previous is not None) else 0


def _describe(exc: Exception) -> str:
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, pc_errors.PartnerCenterError):
        return f"Partner Center: {exc}"
    return str(exc)


def _fail(run: CatalogSyncRun, message: str) -> CatalogSyncRun:
    with transaction.atomic():
        run.status = RunStatus.FAILED
        run.error = message
        run.finished_at = timezone.now()
        confirmation.release(run)
        run.save(update_fields=["status", "error", "finished_at", "updated_at", "content_digest", "held_catalog"])
        audit_record(actor=run.requested_by, action="catalog.run_failed", obj=run, after={"error": message},
                     actor_label="" if run.requested_by else "catalog sync")
    _set_progress(run)
    return run


def _apply(run: CatalogSyncRun, *, api_data: ApiCatalog | None, previous: CatalogSyncRun | None,
           shortcut: bool, direct: bool = False, stager: Stager | None = None, confirmed: bool = False) -> None:
    """Apply the run in the caller's transaction.

    ``direct``: a price-list file into an empty catalog, loaded here by ``pricesheet.firstload`` (no staging); it
    falls back to staging + diff when the catalog is no longer empty under the lock or the sheet repeats a key.

    A run that would discontinue or reprice more of the catalog than ``catalog.confirmation`` allows is computed
    under a savepoint, rolled back and held (status awaiting confirmation, counts set) unless ``confirmed``.
    """
    # One writer per instance at a time.
    PartnerCenterInstance.objects.select_for_update(of=("self",)).get(pk=run.instance_id)
    tune_for_bulk()
    now = timezone.now().replace(microsecond=0)
    if direct:
        written = None
        if firstload.is_first_import(run):
            written = firstload.load_first_import(run, run.file_path, lambda rows: _set_progress(run, rows=rows))
        if written is None:  # not empty any more, or a repeated price key: stage and diff after all
            direct = False
            stager = stager or Stager(market=run.market)
            stager.load_csv(run.file_path)
            run.rows_read = stager.rows_read
        else:
            run.prices_written = written
        _set_progress(run, stage=RunStage.APPLYING)
    # An identical price-list file changes nothing; an empty catalog (the direct load) has nothing to lose.
    savepoint = None
    if not confirmed and not direct and not (shortcut and api_data is None) and stager is not None:
        run.catalog_products, run.catalog_prices = confirmation.catalog_size(run)
        savepoint = transaction.savepoint()
    if api_data is not None:
        _apply_api_catalog(run, api_data, now)
    if shortcut and previous is not None:
        run.shortcut = True
        diff.carry_forward_seen(run, previous, now)
    elif not direct:
        diff.sheet_products_and_skus(run, now)
    if not direct:  # an empty catalog had nothing to discontinue; the direct load recorded what it added
        if not (shortcut and api_data is None):  # an identical price-list file creates nothing
            diff.record_added(run, now)
        diff.discontinue_unseen(run, now, skus=not shortcut)
    if not shortcut and not direct:
        run.prices_written = diff.apply_prices(run, now)
    counts = dict.fromkeys(ChangeKind.values, 0)
    counts.update(CatalogChange.objects.filter(run=run).order_by().values_list("kind").annotate(n=Count("id")))
    run.added_count = counts[ChangeKind.ADDED]
    run.discontinued_count = counts[ChangeKind.DISCONTINUED]
    run.repriced_count = counts[ChangeKind.REPRICED]
    run.discontinued_products = CatalogChange.objects.filter(run=run, kind=ChangeKind.DISCONTINUED,
                                                             sku__isnull=True).count()
    if savepoint is not None:
        if confirmation.limits_exceeded(run):
            assert stager is not None
            transaction.savepoint_rollback(savepoint)
            confirmation.hold(run, api_data=api_data, stager=stager, now=timezone.now())
            audit_record(actor=run.requested_by, action="catalog.run_held", obj=run,
                         after={"added": run.added_count, "discontinued": run.discontinued_count,
                                "discontinued_products": run.discontinued_products,
                                "catalog_products": run.catalog_products, "repriced": run.repriced_count,
                                "catalog_prices": run.catalog_prices},
                         actor_label="" if run.requested_by else "catalog sync")
            _set_progress(run)
            return
        transaction.savepoint_commit(savepoint)
    if confirmed:
        confirmation.release(run)
        run.error = ""
    _auto_publish(run, now)
    run.status = RunStatus.SUCCEEDED
    run.stage = RunStage.DONE
    run.finished_at = timezone.now()
    run.save()
    audit_record(
        actor=run.requested_by, action="catalog.run_applied", obj=run,
        after={"added": run.added_count, "discontinued": run.discontinued_count, "repriced": run.repriced_count,
               "prices_written": run.prices_written, "rows_read": run.rows_read, "shortcut": run.shortcut},
        actor_label="" if run.requested_by else "catalog sync",
    )
    _set_progress(run)


def _apply_api_catalog(run: CatalogSyncRun, data: ApiCatalog, now: dt.datetime) -> None:
    existing = {p.product_id: p for p in Product.objects.filter(instance_id=run.instance_id, market=run.market)}
    for product_id, pc_product in data.products.items():
        sku_keys = [k for k in data.skus if k[0] == product_id]
        purchasable = any(a.is_purchasable is not False for k in sku_keys for a in data.availabilities.get(k, []))
        if not purchasable:
            continue  # listed but no longer sold: left to the discontinuation step
        title = pc_product.title or product_id
        first_sku = data.skus[sku_keys[0]] if sku_keys else None
        values = {
            "title": title[:255], "description": pc_product.description or "",
            "product_type": pc_product.product_type_id or "", "family": family_for_title(title),
            "publisher": pc_product.publisher_name or "", "last_seen_at": now, "last_seen_run": run,
            "is_addon": bool(first_sku is not None and first_sku.is_addon),
        }
        product = existing.get(product_id)
        if product is None:
            product = Product.objects.create(instance_id=run.instance_id, market=run.market, product_id=product_id,
                                             first_seen_at=now, first_seen_run=run, lifecycle=Lifecycle.ACTIVE,
                                             **values)
        else:
            if product.lifecycle == Lifecycle.DISCONTINUED:
                CatalogChange.objects.create(run=run, kind=ChangeKind.ADDED, product=product)
                values.update(lifecycle=Lifecycle.ACTIVE, discontinued_at=None)
            for key, value in values.items():
                setattr(product, key, value)
            product.save()
        skus = {s.sku_id: s for s in product.skus.all()}
        segments = set()
        for sku_key in sku_keys:
            pc_sku = data.skus[sku_key]
            availabilities = data.availabilities.get(sku_key, [])
            sku_purchasable = any(a.is_purchasable is not False for a in availabilities)
            if not sku_purchasable:
                continue
            segment = next((a.segment for a in availabilities if a.segment), "") or ""
            segments.add(segment)
            dyn = dict(pc_sku.dynamic_attributes or {})
            sku_values = {
                "title": (pc_sku.title or title)[:255], "description": pc_sku.description or "",
                "min_quantity": pc_sku.minimum_quantity or 1, "max_quantity": pc_sku.maximum_quantity or 0,
                "is_trial": bool(pc_sku.is_trial), "segment": segment, "is_addon": bool(dyn.get("isAddon")),
                "prerequisite_skus": [str(p).replace("/", ":") for p in dyn.get("prerequisiteSkus") or []],
                "supported_billing_cycles": [str(c).lower() for c in pc_sku.supported_billing_cycles],
                "last_seen_at": now, "last_seen_run": run,
            }
            sku = skus.get(sku_key[1])
            if sku is None:
                sku = Sku.objects.create(product=product, sku_id=sku_key[1], first_seen_at=now, first_seen_run=run,
                                         **sku_values)
            else:
                if sku.lifecycle == Lifecycle.DISCONTINUED and product.lifecycle == Lifecycle.ACTIVE:
                    sku_values.update(lifecycle=Lifecycle.ACTIVE, discontinued_at=None)
                for k, v in sku_values.items():
                    setattr(sku, k, v)
                sku.save()
            _sync_availabilities(sku, availabilities, now)
        if segments and product.segment != sorted(segments)[0]:
            product.segment = sorted(segments)[0]
            product.save(update_fields=["segment"])


def _sync_availabilities(sku: Sku, availabilities: Iterable[Any], now: dt.datetime) -> None:
    seen = set()
    for av in availabilities:
        seen.add(av.id)
        terms = [
            {"id": t.id or "", "duration": t.duration or "", "billing_cycle": (t.billing_cycle or "").lower(),
             "description": t.description or ""}
            for t in av.terms
        ]
        Availability.objects.update_or_create(
            sku=sku, availability_id=av.id,
            defaults={"catalog_item_id": av.catalog_item_id or f"{sku.product.product_id}:{sku.sku_id}:{av.id}",
                      "segment": av.segment or "", "is_purchasable": av.is_purchasable is not False,
                      "terms": terms, "last_seen_at": now},
        )
    # availability ids can change over time: superseded ones are no longer purchasable
    Availability.objects.filter(sku=sku).exclude(availability_id__in=seen).update(is_purchasable=False)


def _auto_publish(run: CatalogSyncRun, now: dt.datetime) -> None:
    marketplaces = list(
        Marketplace.objects.filter(instance_id=run.instance_id, market=run.market,
                                   catalog_settings__auto_publish_new=True)
    )
    if not marketplaces:
        return
    added = CatalogChange.objects.filter(run=run, kind=ChangeKind.ADDED)
    sku_ids = set(Sku.objects.filter(product_id__in=added.filter(sku__isnull=True).values("product_id"))
                  .values_list("id", flat=True))
    sku_ids |= set(added.filter(sku__isnull=False).values_list("sku_id", flat=True))
    for marketplace in marketplaces:
        for sku_id in sku_ids:
            Offer.objects.update_or_create(marketplace=marketplace, sku_id=sku_id,
                                           defaults={"is_published": True, "published_at": now})
        audit_record(actor=None, action="catalog.auto_published", obj=marketplace,
                     after={"run": run.pk, "skus": len(sku_ids)}, actor_label="catalog sync")


def catalog_sync_due_runs(*, actor: User | None = None) -> list[CatalogSyncRun]:
    """The monthly schedule: one run per active instance and each of its markets."""
    runs = []
    for instance in PartnerCenterInstance.objects.filter(is_active=True, is_retired=False):
        markets = dict.fromkeys([instance.default_market, *[str(m).upper() for m in instance.markets or []]])
        for market in markets:
            try:
                runs.append(catalog_sync_request(instance=instance, market=market, actor=actor))
            except ApplicationError as exc:  # already queued/running (e.g. started by hand): skip it this time
                logger.info("catalog sync of %s/%s not queued: %s", instance.pk, market, exc.message)
    return runs


# --- selling -------------------------------------------------------------------------------------------


@transaction.atomic
def offer_publish(*, marketplace: Marketplace, sku: Sku, published: bool = True, actor: User | None) -> Offer:
    if sku.product.instance_id != marketplace.instance_id or sku.product.market != marketplace.market:
        raise ApplicationError("This SKU belongs to another Partner Center instance or market.",
                               code="catalog_offer_wrong_catalog")
    if published and not sku.is_sellable:
        raise ApplicationError("A discontinued SKU cannot be published.", code="catalog_offer_discontinued")
    offer, _ = Offer.objects.select_for_update(of=("self",)).get_or_create(marketplace=marketplace, sku=sku)
    before = {"is_published": offer.is_published}
    offer.is_published = published
    offer.published_at = timezone.now() if published else offer.published_at
    offer.save()
    audit_record(actor=actor, action="catalog.offer_publish" if published else "catalog.offer_unpublish",
                 obj=offer, before=before, after={"is_published": published})
    return offer


@transaction.atomic
def sku_new_subscription_per_order_set(*, sku: Sku, enabled: bool, actor: User | None) -> Sku:
    """The plan setting: every order of this SKU is a new subscription (Dynamics 365-style instances), or a second
    order of a plan the customer has is pointed to "Buy extra licences" (`bss.services.order_validation`)."""
    before = {"new_subscription_per_order": sku.new_subscription_per_order}
    sku.new_subscription_per_order = enabled
    sku.save(update_fields=["new_subscription_per_order", "updated_at"])
    audit_record(actor=actor, action="catalog.sku_plan_setting", obj=sku, before=before,
                 after={"new_subscription_per_order": enabled})
    return sku


@transaction.atomic
def marketplace_catalog_settings_set(
    *, marketplace: Marketplace, auto_publish_new: bool, actor: User | None
) -> MarketplaceCatalogSettings:
    settings_row, _ = MarketplaceCatalogSettings.objects.select_for_update(of=("self",)).get_or_create(
        marketplace=marketplace
    )
    before = {"auto_publish_new": settings_row.auto_publish_new}
    settings_row.auto_publish_new = auto_publish_new
    settings_row.save()
    audit_record(actor=actor, action="catalog.settings_set", obj=settings_row, before=before,
                 after={"auto_publish_new": auto_publish_new})
    return settings_row
