"""audit_record(): the single way to write an AuditEvent."""

from typing import Any

from django.db import models

from bss import request_context
from bss.models import AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Record a state change. Call it inside the transaction that makes the change."""
    context = request_context.current()
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        before=_jsonable(before),
        after=_jsonable(after),
        ip_address=context.ip_address,
        request_id=context.request_id,
    )


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audit-friendly values of some fields of a model instance."""
    return {name: getattr(obj, name) for name in fields}


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        key: value if isinstance(value, str | int | float | bool | type(None)) else str(value)
        for key, value in values.items()
    }
