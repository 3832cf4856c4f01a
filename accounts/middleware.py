"""MFA enforcement for every page after sign-in.

For a session stamped by the sign-in flow (`session.py`):
- a user with an authenticator who has not passed it in this session goes to the step-up page;
- a user who must use MFA (staff; reseller users under their reseller's policy) and has no authenticator goes
  to enrolment, and can use nothing else until done;
- a session that passed MFA with an authenticator that has since been reset or replaced is ended.

A session without a stamp was not created by the sign-in flow: in production (`MFA_STRICT_SESSIONS`, on when
DEBUG is off) it is treated as "signed in without a second factor", so the rules above apply to it too. In
development and tests the setting is off, so `client.force_login()` keeps working.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from bss.security import session
from bss.security.selectors import mfa_required_for, totp_device_confirmed

ViewFunc = Callable[..., HttpResponse]


def mfa_exempt(view: ViewFunc) -> ViewFunc:
    """Mark a view reachable by a signed-in user who has not completed MFA (sign-out, enrolment, step-up)."""
    view.mfa_exempt = True  # type: ignore[attr-defined]
    return view


class MFAEnforcementMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: ViewFunc, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or getattr(view_func, "mfa_exempt", False):
            return None
        stamp = session.stamp_get(request)
        if stamp is None:
            if not settings.MFA_STRICT_SESSIONS:
                return None
            stamp = {"mfa": False, "device": None}
        device = totp_device_confirmed(user)
        if stamp.get("mfa") and (device is None or device.pk != stamp.get("device")):
            logout(request)
            messages.warning(request, "Your multi-factor authentication was reset. Please sign in again.")
            return self._deny(request, "login", "mfa_reset", "Multi-factor authentication was reset; sign in again.")
        if device is not None and not stamp.get("mfa"):
            return self._deny(request, "security:verify", "mfa_required", "Confirm your sign-in with your code.")
        if device is None and mfa_required_for(user):
            return self._deny(
                request, "security:mfa_enrol", "mfa_enrolment_required", "Set up multi-factor authentication first."
            )
        return None

    @staticmethod
    def _deny(request: HttpRequest, url_name: str, code: str, message: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message, "extra": {}}, status=403)
        url = reverse(url_name)
        if url_name != "login" and request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
