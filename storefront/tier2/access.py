"""Who may use the tier-2 pages. Anyone without the right is told "not found" (anonymous users: the login page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from bss.selectors import tenant_admin_marketplace, tenant_marketplace_for_member, tenant_marketplaces

__all__ = ["tenant_admin_marketplace", "tenant_admin_required", "tenant_marketplace_for_member", "tenant_marketplaces"]


def tenant_admin_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Gate of the reseller admin pages: passes the managed marketplace as ``marketplace``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        marketplace = tenant_admin_marketplace(request.user)
        return view(request, *args, marketplace=marketplace, **kwargs)

    return wrapper
