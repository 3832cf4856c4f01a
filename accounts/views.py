"""Sign-in (password, then second factor), MFA enrolment and account security pages, password change/reset —
for every role (staff, reseller and customer users). The back-office security tools live in backoffice/security
and backoffice/audit.

Views validate input, call one service, and render; they never write models themselves."""

from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import CodeForm, EnrolForm, PasswordStepForm
from accounts.middleware import mfa_exempt
from bss.choices import UserRole
from bss.exceptions import NotFound
from bss.http import AuthenticatedHttpRequest
from bss.models import User
from bss.request_context import client_ip
from bss.security import selectors, services, session
from bss.security.tasks import password_reset_send_task

BAD_CREDENTIALS = "Please enter a correct username and password. Both fields may be case-sensitive."


def _next_url(request: HttpRequest, default: str = "") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


# --- Sign-in ----------------------------------------------------------------------------------------------------


@mfa_exempt
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step 1: username and password. Locked accounts/IPs are refused before the password is even checked."""
    next_url = _next_url(request)
    if request.method == "GET" and request.user.is_authenticated:
        return redirect(next_url)
    form = PasswordStepForm(request.POST or None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]

        def check_password() -> User:
            user = authenticate(request, username=username, password=password)
            if user is None:
                raise services.CredentialsRejected(BAD_CREDENTIALS)
            return user

        try:
            user = services.login_attempt(
                username=username, ip_address=client_ip(request), reason="password", check=check_password
            )
        except services.SignInLocked as exc:
            error, status = exc.message, 429
        except services.CredentialsRejected:
            error = BAD_CREDENTIALS
        else:
            return _after_password(request, user, next_url)
    context = {"form": form, "next": next_url, "error": error}
    return render(request, "registration/login.html", context, status=status)


def _after_password(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    backend = user.backend  # set by authenticate()
    device = selectors.totp_device_confirmed(user)
    if device is not None or selectors.mfa_required_for(user):
        session.pending_start(request, user=user, backend=backend, next_url=next_url)
        return redirect("security:login_verify" if device is not None else "security:login_enrol")
    session.signin_complete(request, user=user, backend=backend, mfa=False, device_id=None)
    return redirect(next_url)


@mfa_exempt
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step 2: the code from the authenticator app, or a recovery code."""
    pending = session.pending_get(request)
    if pending is None:
        messages.info(request, "Your sign-in took too long or was not started. Please sign in again.")
        return redirect("login")
    user, data = pending
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = _second_factor_attempt(request, user, form.cleaned_data["code"])
        except services.SignInLocked as exc:
            session.pending_clear(request)
            messages.error(request, exc.message)
            return redirect("login")
        except services.InvalidSecondFactor as exc:
            form.add_error("code", exc.message)
        else:
            session.signin_complete(request, user=user, backend=data["backend"], mfa=True, device_id=result.device_id)
            _warn_recovery_code_used(request, result)
            return redirect(data["next"])
    return render(request, "security/code_prompt.html", {"form": form, "during_signin": True, "who": user})


def _second_factor_attempt(request: HttpRequest, user: User, code: str) -> services.SecondFactorResult:
    """Check a code under the sign-in limits (wrong codes count like wrong passwords)."""
    return services.login_attempt(
        username=user.get_username(),
        ip_address=client_ip(request),
        reason="mfa",
        check=lambda: services.mfa_verify(user=user, code=code),
    )


def _warn_recovery_code_used(request: HttpRequest, result: services.SecondFactorResult) -> None:
    if result.method == "recovery_code":
        messages.warning(
            request,
            f"You signed in with a recovery code; {result.recovery_codes_left} left. "
            "Create new codes on your Account security page if you are running low.",
        )


@mfa_exempt
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Step 2 for a user who must use MFA and has no authenticator yet: set one up, then be signed in."""
    pending = session.pending_get(request)
    if pending is None:
        messages.info(request, "Your sign-in took too long or was not started. Please sign in again.")
        return redirect("login")
    user, data = pending
    if selectors.totp_device_confirmed(user) is not None:
        return redirect("security:login_verify")
    return _enrol(request, user, next_url=data["next"], backend=data["backend"])


def _enrol(request: HttpRequest, user: User, *, next_url: str, backend: str | None) -> HttpResponse:
    device = services.totp_enrolment_start(user=user)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.totp_enrolment_confirm(user=user, code=form.cleaned_data["code"])
        except services.InvalidSecondFactor as exc:
            form.add_error("code", exc.message)
        else:
            if backend is not None:
                session.signin_complete(request, user=user, backend=backend, mfa=True, device_id=device.pk)
            else:
                session.stamp_set(request, mfa=True, device_id=device.pk)
            return _show_recovery_codes(request, codes, next_url=next_url, first_time=True)
    uri = services.totp_provisioning_uri(device=device)
    context = {
        "form": form,
        "secret": device.secret,
        "otpauth_uri": uri,
        "qr_svg": segno.make(uri, error="m").svg_inline(scale=5, dark="#1d2430"),
        "required": selectors.mfa_required_for(user),
        "during_signin": backend is not None,
    }
    return render(request, "security/mfa_enrol.html", context)


def _show_recovery_codes(request: HttpRequest, codes: list[str], *, next_url: str, first_time: bool) -> HttpResponse:
    response = render(
        request, "security/recovery_codes.html", {"codes": codes, "next": next_url, "first_time": first_time}
    )
    response["Cache-Control"] = "no-store"
    return response


logout_view = mfa_exempt(auth_views.LogoutView.as_view())


def admin_login_redirect(request: HttpRequest) -> HttpResponse:
    """The admin has no login page of its own: it would skip the second factor. A signed-in user lands here only
    when the admin refused them (not staff): 404, never back to the sign-in page, which would send them to the
    admin again, forever."""
    if request.user.is_authenticated:
        raise Http404("Not found")
    return HttpResponseRedirect(reverse("login") + "?" + urlencode({"next": request.GET.get("next", "/admin/")}))


# --- Signed-in account pages ------------------------------------------------------------------------------------


@mfa_exempt
@login_required
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Step-up for a session that has not passed the second factor (e.g. the user enrolled in another session)."""
    next_url = _next_url(request)
    if selectors.totp_device_confirmed(request.user) is None:
        return redirect(next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = _second_factor_attempt(request, request.user, form.cleaned_data["code"])
        except services.SignInLocked as exc:
            logout(request)
            messages.error(request, exc.message)
            return redirect("login")
        except services.InvalidSecondFactor as exc:
            form.add_error("code", exc.message)
        else:
            session.stamp_set(request, mfa=True, device_id=result.device_id)
            _warn_recovery_code_used(request, result)
            return redirect(next_url)
    return render(request, "security/code_prompt.html", {"form": form, "during_signin": False, "next": next_url})


@mfa_exempt
@login_required
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Set up an authenticator while signed in (required for staff before anything else; optional for others)."""
    if selectors.totp_device_confirmed(request.user) is not None:
        return redirect("security:account")
    return _enrol(request, request.user, next_url=_next_url(request, reverse("security:account")), backend=None)


@login_required
@never_cache
@require_GET
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    context: dict[str, Any] = {
        "device": selectors.totp_device_confirmed(user),
        "required": selectors.mfa_required_for(user),
        "codes_left": selectors.recovery_codes_remaining(user),
        "code_form": CodeForm(),
        "reseller_admin": user.role == UserRole.RESELLER and user.is_reseller_admin and user.reseller_id,
    }
    if context["reseller_admin"] and user.reseller is not None:
        context["reseller_mfa_required"] = selectors.reseller_mfa_required(user.reseller)
    return render(request, "security/account.html", context)


def _confirm_with_code(request: AuthenticatedHttpRequest) -> services.SecondFactorResult | None:
    """Sensitive account changes need a fresh code; wrong codes count towards the lock like at sign-in."""
    form = CodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter a code from your authenticator app.")
        return None
    try:
        return _second_factor_attempt(request, request.user, form.cleaned_data["code"])
    except services.SignInLocked as exc:
        logout(request)
        messages.error(request, exc.message)
    except services.InvalidSecondFactor as exc:
        messages.error(request, exc.message)
    except services.MFAStateError as exc:
        messages.error(request, exc.message)
    return None


@login_required
@sensitive_post_parameters("code")
@never_cache
@require_POST
def recovery_codes_regenerate(request: AuthenticatedHttpRequest) -> HttpResponse:
    if _confirm_with_code(request) is None:
        return redirect("security:account")
    codes = services.recovery_codes_regenerate(user=request.user)
    return _show_recovery_codes(request, codes, next_url=reverse("security:account"), first_time=False)


@login_required
@sensitive_post_parameters("code")
@require_POST
def mfa_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    if selectors.mfa_required_for(request.user):
        messages.error(request, "Multi-factor authentication is required for your account and cannot be turned off.")
        return redirect("security:account")
    if _confirm_with_code(request) is None:
        return redirect("security:account")
    services.mfa_reset(user=request.user, actor=request.user)
    session.stamp_set(request, mfa=False, device_id=None)
    messages.success(request, "Multi-factor authentication is off for your account.")
    return redirect("security:account")


@login_required
@require_POST
def reseller_policy_require(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A reseller administrator may require MFA for all of the reseller's users (only provider staff can lift it)."""
    user = request.user
    if not (user.role == UserRole.RESELLER and user.is_reseller_admin and user.reseller is not None):
        raise NotFound("Not found.")
    services.reseller_mfa_policy_set(reseller=user.reseller, mfa_required=True, actor=user)
    messages.success(request, "Every user of your organisation must now sign in with an authenticator app.")
    return redirect("security:account")


@method_decorator(require_http_methods(["GET", "POST"]), name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    request: AuthenticatedHttpRequest  # the view requires a signed-in user (login_required on dispatch)

    def form_valid(self, form: Any) -> HttpResponse:
        services.user_password_set(
            user=form.user, raw_password=form.cleaned_data["new_password1"], actor=self.request.user, reason="changed"
        )
        update_session_auth_hash(self.request, form.user)
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(auth_views.PasswordResetView):
    """Hands every request to a worker (bss.security.tasks), which looks the address up and sends within the limits:
    the page does the same work, and answers the same, whether or not an account uses the address."""

    def form_valid(self, form: Any) -> HttpResponse:
        password_reset_send_task.delay(
            email=form.cleaned_data["email"],
            ip_address=client_ip(self.request),
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    post_reset_login = False  # the second factor is still asked at the next sign-in

    def form_valid(self, form: Any) -> HttpResponse:
        services.user_password_set(
            user=form.user, raw_password=form.cleaned_data["new_password1"], actor=None, reason="reset"
        )
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        return HttpResponseRedirect(self.get_success_url())
