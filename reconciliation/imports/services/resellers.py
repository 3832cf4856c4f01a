"""Indirect resellers in an import: who they are in Partner Center, and which BSS reseller gets their customers.

The preview reads the provider's indirect resellers and stores one row per partner id (matched to a BSS reseller
by partner id, or to be created); staff may map one by hand; the import resolves it for each new customer
(matched, mapped, or created then as a light reseller under the provider).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F

from bss.choices import ResellerKind
from bss.exceptions import ApplicationError
from bss.models import Reseller, User
from bss.partner_center import pc_error_message
from bss.services.accounts import reseller_create
from bss.services.audit import audit_record
from partnercenter import errors as pc_errors
from reconciliation.imports.choices import Outcome, ResellerAction, RowObject
from reconciliation.imports.models import ImportItem, ImportReseller, ImportResultRow, ImportRun
from reconciliation.imports.services.report import result_row
from reconciliation.imports.services.runs import run_lock_ready


@dataclass(frozen=True)
class ResellerInfo:
    tenant_id: str
    name: str
    mpn_id: str
    location: str


def indirect_resellers(client: Any, run: ImportRun) -> tuple[dict[str, ResellerInfo], list[str]]:
    """The provider's indirect resellers by partner id (App+User); a warning instead if we cannot read them."""
    try:
        resellers = client.customers.list_indirect_resellers()
    except pc_errors.AppUserAuthRequiredError:
        return {}, [
            "No App+User refresh token on this instance: indirect resellers are identified by the partner id on "
            "their customers' subscriptions only, and new resellers are named after their partner id."
        ]
    except (pc_errors.PermissionDeniedError, pc_errors.BadRequestError, pc_errors.NotFoundError) as exc:
        return {}, [f"The list of indirect resellers could not be read ({pc_error_message(exc)})."]
    infos: dict[str, ResellerInfo] = {}
    for r in resellers:
        if r.mpn_id:
            infos[r.mpn_id] = ResellerInfo(r.id or "", r.name or "", r.mpn_id, r.location or "")
    return infos, []


def resellers_store(run: ImportRun, partner_ids: set[str], infos: dict[str, ResellerInfo]) -> None:
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


@transaction.atomic
def import_reseller_map(
    *, actor: User | None, run: ImportRun, partner_id: str, reseller: Reseller | None
) -> ImportReseller:
    """Map an unknown indirect reseller to an existing BSS reseller by hand (None: create a light reseller)."""
    locked = run_lock_ready(run.pk, refusal="Resellers can be mapped only while the preview is ready.")
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


def reseller_for(run: ImportRun, item: ImportItem, provider: Reseller, rows: list[ImportResultRow]) -> Reseller:
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
            result_row(
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
