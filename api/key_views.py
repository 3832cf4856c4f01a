"""Storefront page where a reseller's admins create and revoke API keys (a new key is shown once)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api.keys import api_key_create, api_key_revoke
from api.models import ApiKey
from bss.choices import UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Reseller


def _admin_reseller(request: AuthenticatedHttpRequest) -> Reseller:
    """The reseller whose keys the signed-in reseller admin manages (404 for anyone else)."""
    user = request.user
    if user.role != UserRole.RESELLER or not user.is_reseller_admin or user.reseller is None:
        raise Http404("Not found")
    return user.reseller


@login_required
def api_keys(request: AuthenticatedHttpRequest) -> HttpResponse:
    reseller = _admin_reseller(request)
    new_key = None
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            key, new_key = api_key_create(actor=request.user, reseller=reseller, name=name)
            messages.success(request, f"API key “{key.name}” created. Copy it now: it will not be shown again.")
            name = ""
        except ApplicationError as exc:
            messages.error(request, exc.message)
    keys = ApiKey.objects.filter(reseller=reseller).select_related("created_by", "revoked_by")
    return render(request, "api/keys.html", {"keys": keys, "new_key": new_key, "name": name})


@require_POST
@login_required
def api_key_revoke_view(request: AuthenticatedHttpRequest, key_id: int) -> HttpResponse:
    reseller = _admin_reseller(request)
    key = ApiKey.objects.filter(pk=key_id, reseller=reseller).first()
    if key is None:
        raise Http404("Not found")
    api_key_revoke(actor=request.user, key=key)
    messages.success(request, f"API key “{key.name}” revoked; requests using it are refused from now on.")
    return redirect("api_keys")
