from django.db import transaction

from bss.models import Marketplace, User
from bss.services.audit import audit_record


@transaction.atomic
def marketplace_set_annual_billing(*, actor: User | None, marketplace: Marketplace, enabled: bool) -> Marketplace:
    """The BSS "annual" billing cycle switch of a marketplace; existing subscriptions are not touched."""
    locked = Marketplace.objects.select_for_update(of=("self",)).get(pk=marketplace.pk)
    before = locked.annual_billing_enabled
    locked.annual_billing_enabled = enabled
    locked.save(update_fields=["annual_billing_enabled", "updated_at"])
    audit_record(
        actor=actor,
        action="marketplace.annual_billing",
        obj=locked,
        before={"annual_billing_enabled": before},
        after={"annual_billing_enabled": enabled},
    )
    return locked
