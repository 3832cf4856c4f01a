"""Create or update the standard provider-staff groups and their permissions (idempotent; audited).

Each group gets exactly the permissions listed here (extra permissions added by hand are removed on the next
run; give individuals extra permissions on the user instead). Run after `migrate` on every deployment.
"""

from typing import Any

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db.models import Q

from bss.security.services import staff_group_sync

OUR_APPS = ["bss", "catalog", "provisioning", "reconciliation", "storefront", "security"]

# Permission sets: "app.codename", or "app.*" (every permission of the app), or "app.view_*" (all read access).
STAFF_GROUPS: dict[str, list[str]] = {
    "Back-office administrator": [f"{app}.*" for app in OUR_APPS],
    "Support": [
        *(f"{app}.view_*" for app in OUR_APPS),
        "security.unlock_login",
        "security.reset_mfa",
    ],
    "Finance": [
        "bss.view_*",
        "catalog.view_*",
        "reconciliation.view_*",
        "security.export_auditlog",
    ],
    "Auditor": [
        "bss.view_*",
        "security.view_*",
        "security.export_auditlog",
    ],
}


def resolve(patterns: list[str]) -> list[Permission]:
    query = Q(pk__in=[])
    for pattern in patterns:
        app_label, codename = pattern.split(".", 1)
        if codename == "*":
            query |= Q(content_type__app_label=app_label)
        elif codename.endswith("*"):
            query |= Q(content_type__app_label=app_label, codename__startswith=codename[:-1])
        else:
            query |= Q(content_type__app_label=app_label, codename=codename)
    return list(Permission.objects.filter(query).select_related("content_type").order_by("pk"))


class Command(BaseCommand):
    help = "Create/update the provider staff groups (Back-office administrator, Support, Finance, Auditor)."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, patterns in STAFF_GROUPS.items():
            group, added, removed = staff_group_sync(name=name, permissions=resolve(patterns))
            self.stdout.write(
                f"{group.name}: {group.permissions.count()} permissions (+{len(added)} / -{len(removed)})"
            )
