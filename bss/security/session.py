"""Session state of the two-step sign-in.

Between the password and the second factor the user is *not* logged in: the session only holds a short-lived
"pending" record. `login()` runs once every required factor has been checked, and the session is then stamped
with how the user signed in (with or without a second factor, and with which authenticator). The MFA middleware
enforces MFA on stamped sessions; see `middleware.py` for sessions that carry no stamp.
"""

import time
from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest

from bss.models import User
from bss.security import services

PENDING_KEY = "security.pending"
STAMP_KEY = "security.signin"
PENDING_TTL_SECONDS = 300


def pending_start(request: HttpRequest, *, user: User, backend: str, next_url: str) -> None:
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user_id": user.pk, "backend": backend, "at": time.time(), "next": next_url}


def pending_get(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    """The user who passed the password step in this session, if that was under PENDING_TTL_SECONDS ago."""
    data = request.session.get(PENDING_KEY)
    if not data or time.time() - data.get("at", 0) > PENDING_TTL_SECONDS:
        pending_clear(request)
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    if user is None:
        pending_clear(request)
        return None
    return user, data


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_KEY, None)


def signin_complete(request: HttpRequest, *, user: User, backend: str, mfa: bool, device_id: int | None) -> None:
    """Log the user in (new session key), stamp how, and record the sign-in."""
    pending_clear(request)
    login(request, user, backend=backend)
    stamp_set(request, mfa=mfa, device_id=device_id)
    services.login_success_record(user=user, mfa=mfa)


def stamp_get(request: HttpRequest) -> dict[str, Any] | None:
    return request.session.get(STAMP_KEY)


def stamp_set(request: HttpRequest, *, mfa: bool, device_id: int | None) -> None:
    request.session[STAMP_KEY] = {"mfa": mfa, "device": device_id, "at": int(time.time())}
