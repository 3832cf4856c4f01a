"""Who may use the tier-2 pages. Anyone without the right is told "not found" (anonymous users: the login page)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from bss.choices import ResellerKind, UserRole
from bss.exceptions import NotFound
from bss.models import Marketplace, User
from bss.selectors import user_is_provider_staff


def tenant_marketplaces() -> QuerySet[Marketplace]:
    return Marketplace.objects.select_related("owner", "instance").filter(
        is_active=True, owner__kind=ResellerKind.TENANT, owner__is_active=True
    )


def user_belongs_to_marketplace(user: User, marketplace: Marketplace) -> bool:
    """A user of the owning reseller, or a user of one of its customers who shops in this marketplace."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.role == UserRole.RESELLER:
        return user.reseller_id == marketplace.owner_id
    if user.role == UserRole.CUSTOMER and user.customer_id:
        customer = user.customer
        return customer.reseller_id == marketplace.owner_id and customer.marketplace_id == marketplace.pk
    return False


def tenant_marketplace_for_member(*, user: User, slug: str) -> Marketplace:
    """The tenant reseller's marketplace at /m/<slug>/ for one of its members (provider staff may open any)."""
    marketplace = tenant_marketplaces().filter(slug=slug).first()
    if marketplace is None or not (user_is_provider_staff(user) or user_belongs_to_marketplace(user, marketplace)):
        raise NotFound("Marketplace not found.")
    return marketplace


def tenant_admin_marketplace(user: User) -> Marketplace:
    """The marketplace a tenant reseller's admin user manages."""
    if not (user.is_authenticated and user.is_active and user.role == UserRole.RESELLER and user.is_reseller_admin):
        raise NotFound("Not found.")
    marketplace = tenant_marketplaces().filter(owner_id=user.reseller_id).order_by("pk").first()
    if marketplace is None:
        raise NotFound("Not found.")
    return marketplace


def tenant_admin_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Gate of the reseller admin pages: passes the managed marketplace as ``marketplace``."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        marketplace = tenant_admin_marketplace(request.user)
        return view(request, *args, marketplace=marketplace, **kwargs)

    return wrapper
