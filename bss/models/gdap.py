"""Granular delegated admin privileges (GDAP): the role templates staff choose from (least privilege), and the
relationships Microsoft holds with each customer tenant, as last read from Microsoft Graph."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from bss.models.base import TimestampedModel

GLOBAL_ADMINISTRATOR_ROLE_ID = "62e90394-69f5-4237-9190-012177145e10"
APPROVAL_URL = "https://admin.microsoft.com/AdminPortal/Home#/partners/invitation/granularAdminRelationships/{id}"


class GdapStatus(models.TextChoices):
    CREATED = "created", "Created"
    APPROVAL_PENDING = "approvalPending", "Waiting for the customer's approval"
    APPROVED = "approved", "Approved"
    ACTIVATING = "activating", "Activating"
    ACTIVE = "active", "Active"
    EXPIRING = "expiring", "Expiring"
    EXPIRED = "expired", "Expired"
    TERMINATION_REQUESTED = "terminationRequested", "Termination requested"
    TERMINATING = "terminating", "Terminating"
    TERMINATED = "terminated", "Terminated"
    UNKNOWN = "unknownFutureValue", "Unknown"


GDAP_LIVE_STATUSES = (GdapStatus.ACTIVE, GdapStatus.EXPIRING)
GDAP_FINAL_STATUSES = (GdapStatus.EXPIRED, GdapStatus.TERMINATED)


class GdapRoleTemplate(TimestampedModel):
    """A set of Entra built-in roles (role template ids) requested from customers, with the relationship's
    duration and auto-extend, and the partner's security groups that receive the roles once the customer approves.
    At most one template per instance is the default (used for new customers)."""

    instance = models.ForeignKey("bss.PartnerCenterInstance", on_delete=models.CASCADE, related_name="gdap_templates")
    name = models.CharField(max_length=40)
    description = models.CharField(max_length=200, blank=True)
    role_ids = models.JSONField(default=list, help_text="Entra role template ids (GUIDs)")
    duration_days = models.PositiveIntegerField(default=730, help_text="1 to 730 days")
    auto_extend = models.BooleanField(default=True, help_text="Renew by 180 days at the end (not with Global Admin)")
    security_group_ids = models.JSONField(
        default=list, blank=True, help_text="Object ids of security groups in the partner tenant given the roles"
    )
    is_default = models.BooleanField(default=False)

    class Meta:
        ordering = ["instance", "name"]
        constraints = [
            models.UniqueConstraint(name="bss_gdaproletemplate_instance_name_unique", fields=["instance", "name"]),
            models.UniqueConstraint(
                name="bss_gdaproletemplate_one_default_per_instance", fields=["instance"], condition=Q(is_default=True)
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GdapRelationship(TimestampedModel):
    """One delegated admin relationship with a customer tenant, as Microsoft last reported it."""

    tenant = models.ForeignKey("bss.MicrosoftTenant", on_delete=models.PROTECT, related_name="gdap_relationships")
    template = models.ForeignKey(
        GdapRoleTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="relationships"
    )
    pc_relationship_id = models.CharField(max_length=80, unique=True, help_text="Microsoft Graph relationship id")
    display_name = models.CharField(max_length=50)
    status = models.CharField(max_length=24, choices=GdapStatus.choices, default=GdapStatus.CREATED, db_index=True)
    role_ids = models.JSONField(default=list)
    duration_days = models.PositiveIntegerField(default=730)
    auto_extend = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True, db_index=True)
    etag = models.CharField(max_length=200, blank=True)
    access_assignments = models.JSONField(
        default=list, blank=True, help_text="[{id, security_group_id, status}] as created in Microsoft Graph"
    )
    notices_sent = models.JSONField(default=list, blank=True, help_text="Expiry notices sent: days before the end")
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["end_at", "id"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def approval_url(self) -> str:
        return APPROVAL_URL.format(id=self.pc_relationship_id)

    @property
    def is_live(self) -> bool:
        return self.status in GDAP_LIVE_STATUSES

    @property
    def role_names(self) -> list[str]:
        return [ROLE_NAMES.get(r.lower(), r) for r in self.role_ids]


# Least-privilege starting points (Entra built-in role template ids), seeded for every instance.
HELPDESK_ADMINISTRATOR = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
SERVICE_SUPPORT_ADMINISTRATOR = "f023fd81-a637-4b56-95fd-791ac0226033"
DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
LICENSE_ADMINISTRATOR = "4d6ac14f-3453-41d0-bef9-a3e0c569773a"
SECURITY_READER = "5d6b6bb7-de71-4623-b4af-96380a352509"
DEFAULT_TEMPLATES: tuple[dict[str, object], ...] = (
    {
        "name": "Helpdesk",
        "description": "Password resets, service requests and reading the directory.",
        "role_ids": [HELPDESK_ADMINISTRATOR, SERVICE_SUPPORT_ADMINISTRATOR, DIRECTORY_READERS],
    },
    {
        "name": "Licence management",
        "description": "Assigning and removing licences; reading the directory.",
        "role_ids": [LICENSE_ADMINISTRATOR, DIRECTORY_READERS],
    },
    {
        "name": "Security reader",
        "description": "Read-only access to security information and reports.",
        "role_ids": [SECURITY_READER, DIRECTORY_READERS],
    },
)

# Names of the Entra built-in roles people read (role template id -> name).
ROLE_NAMES = {
    "62e90394-69f5-4237-9190-012177145e10": "Global Administrator",
    "729827e3-9c14-49f7-bb1b-9608f156bbb8": "Helpdesk Administrator",
    "f023fd81-a637-4b56-95fd-791ac0226033": "Service Support Administrator",
    "88d8e3e3-8f55-4a1e-953a-9b9898b8876b": "Directory Readers",
    "4d6ac14f-3453-41d0-bef9-a3e0c569773a": "License Administrator",
    "5d6b6bb7-de71-4623-b4af-96380a352509": "Security Reader",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "29232cdf-9323-42fd-ade2-1d097af3e4de": "Exchange Administrator",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c": "SharePoint Administrator",
    "69091246-20e8-4a56-aa4d-066075b2a7a8": "Teams Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "f2ef992c-3afb-46b9-b7cf-a126ee74c451": "Global Reader",
}
