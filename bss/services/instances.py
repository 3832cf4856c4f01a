"""Write paths for Partner Center instances. Secrets are write-only: set or replaced, never read back out."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from bss.choices import Cloud
from bss.models import PartnerCenterInstance, User
from bss.services.audit import audit_record, snapshot
from bss.services.gdap import gdap_templates_seed
from partnercenter import clouds

# Fields an admin edits on the Microsoft Cloud Services page (secrets are handled separately).
INSTANCE_FIELDS = [
    "name",
    "cloud",
    "api_base_url",
    "login_authority_url",
    "price_sheet_base_url",
    "partner_tenant_id",
    "partner_id",
    "csp_model",
    "application_id",
    "default_market",
    "default_currency",
    "markets",
    "annual_provisioning_enabled",
    "is_retired",
    "is_active",
]


def _secret_state(instance: PartnerCenterInstance) -> dict[str, str]:
    # Audit rows say whether a secret is set, never its value.
    return {
        "application_secret": "set" if instance.application_secret else "not set",
        "refresh_token": "set" if instance.refresh_token else "not set",
    }


def _apply_secrets(
    instance: PartnerCenterInstance, *, application_secret: str | None, refresh_token: str | None
) -> bool:
    changed = False
    if application_secret is not None:
        instance.application_secret = application_secret
        changed = True
    if refresh_token is not None:
        instance.refresh_token = refresh_token
        changed = True
    if changed:
        instance.secrets_changed_at = timezone.now()
    return changed


def _retired_cloud_stays_read_only(instance: PartnerCenterInstance) -> None:
    """A retired cloud's preset (Microsoft Cloud Germany) makes a read-only instance: its history stays, and it
    takes no orders (orders refuse an instance that does not accept orders)."""
    if instance.cloud != Cloud.CUSTOM and clouds.get_cloud(instance.cloud).retired:
        instance.is_retired = True


@transaction.atomic
def instance_create(
    *,
    actor: User | None,
    application_secret: str | None = None,
    refresh_token: str | None = None,
    **fields: Any,
) -> PartnerCenterInstance:
    instance = PartnerCenterInstance(**fields)
    _apply_secrets(instance, application_secret=application_secret, refresh_token=refresh_token)
    _retired_cloud_stays_read_only(instance)
    instance.full_clean()
    instance.save()
    gdap_templates_seed(instance=instance)  # the least-privilege GDAP role templates, none of them the default
    audit_record(
        actor=actor,
        action="partner_center_instance.create",
        obj=instance,
        after={**snapshot(instance, INSTANCE_FIELDS), **_secret_state(instance)},
    )
    return instance


@transaction.atomic
def instance_update(
    *,
    actor: User | None,
    instance: PartnerCenterInstance,
    application_secret: str | None = None,
    refresh_token: str | None = None,
    **fields: Any,
) -> PartnerCenterInstance:
    """Update settings; a secret passed as None keeps the stored one, "" clears it."""
    locked = PartnerCenterInstance.objects.select_for_update(of=("self",)).get(pk=instance.pk)
    before = {**snapshot(locked, INSTANCE_FIELDS), **_secret_state(locked)}
    for name, value in fields.items():
        if name not in INSTANCE_FIELDS:
            raise ValueError(f"{name} is not an editable instance field")
        setattr(locked, name, value)
    secrets_changed = _apply_secrets(locked, application_secret=application_secret, refresh_token=refresh_token)
    _retired_cloud_stays_read_only(locked)
    locked.full_clean()
    update_fields = [*fields, "is_retired", "updated_at"]
    if secrets_changed:
        update_fields += ["application_secret", "refresh_token", "secrets_changed_at"]
    locked.save(update_fields=update_fields)
    after = {**snapshot(locked, INSTANCE_FIELDS), **_secret_state(locked)}
    if secrets_changed:
        after["secrets_changed_at"] = locked.secrets_changed_at
    audit_record(actor=actor, action="partner_center_instance.update", obj=locked, before=before, after=after)
    return locked


def instance_store_rotated_refresh_token(*, instance_id: int, refresh_token: str) -> None:
    """Called by the token provider when Entra ID rotates the App+User refresh token; keeps the newest one."""
    with transaction.atomic():
        instance = PartnerCenterInstance.objects.select_for_update(of=("self",)).get(pk=instance_id)
        instance.refresh_token = refresh_token
        # Not secrets_changed_at: that records an admin's change, and rotation happens on every redemption.
        instance.save(update_fields=["refresh_token"])
        audit_record(
            actor=None,
            action="partner_center_instance.refresh_token_rotated",
            obj=instance,
            actor_label="partner center token provider",
        )
