"""What every step shares: its `Step` (executor, settler, effect), the `Outcome` of one execution, the recording of
Partner Center calls for the attempt row, and small readers of the operation's context."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from bss.models import MicrosoftTenant, Order, Subscription
from partnercenter.client import PartnerCenterClient
from partnercenter.types import UserCredentials
from provisioning.models import ProvisioningOperation

_SECRET_KEYS = {"password", "user_credentials", "usercredentials", "refresh_token", "access_token", "secret"}


class PermanentFailure(Exception):
    """Partner Center answered, but the step cannot succeed as it stands (line errors, failed order...)."""

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass
class Outcome:
    """What one execution found. `wait` (seconds) means "not ready yet, look again later"; `secret` is never stored
    in `result`/`response`; `data` carries typed objects to the effect and is not persisted."""

    result: dict[str, Any] = field(default_factory=dict)
    response: dict[str, Any] = field(default_factory=dict)
    wait: float | None = None
    message: str = ""
    secret: UserCredentials | None = None
    data: Any = None


Handler = Callable[[PartnerCenterClient, ProvisioningOperation], Outcome]
Effect = Callable[[ProvisioningOperation, Outcome], None]


@dataclass(frozen=True)
class Step:
    """One kind of operation: `execute` calls Partner Center; `settle` reads back a write whose outcome is unknown
    (timeout, connection dropped; without one the step re-executes); `apply` is the business effect of a confirmed
    step, run in the transaction that records it (None: nothing to apply)."""

    execute: Handler
    settle: Handler | None = None
    apply: Effect | None = None


# --- one record per HTTP call, from the client's own log line (status, duration, correlation id) -------------------

_calls: ContextVar[list[dict[str, Any]] | None] = ContextVar("provisioning_pc_calls", default=None)


class _CallRecorder(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        calls = _calls.get()
        fields = vars(record)  # the client logs each call with its facts as `extra` fields (pc_*)
        if calls is None or "pc_method" not in fields:
            return
        calls.append(
            {
                "method": fields["pc_method"],
                "path": fields.get("pc_path"),
                "status": fields.get("pc_status"),
                "duration_ms": fields.get("pc_duration_ms"),
                "correlation_id": fields.get("pc_correlation_id"),
                "request_id": fields.get("pc_request_id"),
                "attempt": fields.get("pc_attempt"),
            }
        )


_recorder = _CallRecorder(level=logging.DEBUG)
_pc_logger = logging.getLogger("partnercenter")
if _recorder not in _pc_logger.handlers:
    _pc_logger.addHandler(_recorder)
    if _pc_logger.level == logging.NOTSET or _pc_logger.level > logging.INFO:
        _pc_logger.setLevel(logging.INFO)


@contextmanager
def recording_calls() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


# --- helpers ---------------------------------------------------------------------------------------------------------


def sanitize(value: Any, depth: int = 0) -> Any:
    """JSON-safe copy of a typed result, without secrets, bounded in size."""
    if depth > 6:
        return "..."
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {
            str(k): sanitize(v, depth + 1)
            for k, v in value.items()
            if str(k).lower() not in _SECRET_KEYS and v not in (None, (), [], {})
        }
    if isinstance(value, list | tuple):
        return [sanitize(v, depth + 1) for v in value[:50]]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, str):
        return value[:2000]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return str(value)[:500]


def tenant_of(op: ProvisioningOperation) -> MicrosoftTenant:
    """The customer tenant the step works for (its Partner Center id: `customer_id_of`)."""
    if op.tenant_id is None:
        raise PermanentFailure("This step has no customer tenant.", code="tenant_required")
    return MicrosoftTenant.objects.get(pk=op.tenant_id)


def customer_id_of(op: ProvisioningOperation) -> str:
    """The Partner Center customer id of the step's tenant, once the tenant is linked."""
    customer_id = tenant_of(op).pc_customer_id
    if not customer_id:
        raise PermanentFailure("The customer's tenant has no Partner Center id yet.", code="tenant_not_ready")
    return customer_id


def order_of(op: ProvisioningOperation) -> Order:
    if op.order is None:
        raise PermanentFailure("This step belongs to no order.", code="order_required")
    return op.order


def subscription_of(op: ProvisioningOperation) -> Subscription:
    if op.subscription is None:
        raise PermanentFailure("This step has no subscription.", code="subscription_required")
    return op.subscription


def previous_step(op: ProvisioningOperation, kind: str) -> ProvisioningOperation:
    found = ProvisioningOperation.objects.filter(order=order_of(op), kind=kind).order_by("-sequence").first()
    if found is None or not found.result:
        raise PermanentFailure(f"The {kind.replace('_', ' ')} step of this order has no result.", code="missing_step")
    return found


def order_wait_seconds(op: ProvisioningOperation) -> float:
    # Partner Center orders usually complete within seconds to minutes; poll quickly first, then less often.
    return float(min(60, 2 ** min(op.attempt_count, 6)))
