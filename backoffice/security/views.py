"""Back office: sign-in security (lockouts, MFA reset) and the reseller MFA policy."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from backoffice.access import staff_required
from bss.exceptions import ApplicationError, NotFound
from bss.http import AuthenticatedHttpRequest
from bss.security import selectors, services

# --- Back office: sign-in security and MFA policy ---------------------------------------------------------------


@staff_required("security.view_loginlockout")
@require_GET
def signin_security(request: AuthenticatedHttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    users = Paginator(selectors.user_security_list(search=search), 50).get_page(request.GET.get("page"))
    context = {
        "active": selectors.lockout_list_active(),
        "recent": selectors.lockout_list_recent()[:50],
        "users": users,
        "q": search,
        "can_unlock": request.user.has_perm("security.unlock_login"),
        "can_reset": request.user.has_perm("security.reset_mfa"),
    }
    return render(request, "security/signin_security.html", context)


@staff_required("security.unlock_login")
@require_POST
def lockout_unlock(request: AuthenticatedHttpRequest, lockout_id: int) -> HttpResponse:
    lockout = selectors.lockout_get(lockout_id=lockout_id)
    try:
        services.login_unlock(lockout=lockout, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Unlocked: {lockout}.")
    return redirect("security:signin_security")


@staff_required("security.reset_mfa")
@require_POST
def user_mfa_reset(request: AuthenticatedHttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(user_id=user_id)
    if target.is_superuser and not request.user.is_superuser:
        raise NotFound("User not found.")  # only a superuser may reset a superuser's second factor
    try:
        services.mfa_reset(user=target, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"MFA reset for {target.get_username()}: they will set up a new authenticator at next sign-in."
        )
    return redirect("security:signin_security")


@staff_required("security.view_resellermfapolicy")
@require_GET
def reseller_policies(request: AuthenticatedHttpRequest) -> HttpResponse:
    context = {
        "resellers": selectors.reseller_policy_list(),
        "can_change": request.user.has_perm("security.change_resellermfapolicy"),
    }
    return render(request, "security/reseller_policies.html", context)


@staff_required("security.change_resellermfapolicy")
@require_POST
def reseller_policy_set(request: AuthenticatedHttpRequest, reseller_id: int) -> HttpResponse:
    reseller = selectors.reseller_get(reseller_id=reseller_id)
    required = request.POST.get("mfa_required") == "1"
    services.reseller_mfa_policy_set(reseller=reseller, mfa_required=required, actor=request.user)
    messages.success(request, f"{reseller}: MFA {'required' if required else 'optional'}.")
    return redirect("security:reseller_policies")
