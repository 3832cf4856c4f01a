"""Branding of a tenant reseller's marketplace for the storefront pages (name, logo, colour)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from bss.choices import ResellerKind, UserRole
from bss.models import Marketplace, User
from bss.selectors import user_is_provider_staff
from storefront.tier2.access import tenant_marketplaces

#: The storefront remembers the marketplace being shopped in under this session key (storefront.views).
MARKETPLACE_SESSION_KEY = "storefront.marketplace"


def branded_marketplace(request: HttpRequest) -> Marketplace | None:
    """The tenant reseller marketplace the signed-in user shops in, if any."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_active):
        return None
    marketplaces = tenant_marketplaces()
    if user.role == UserRole.RESELLER and user.reseller_id:
        return marketplaces.filter(owner_id=user.reseller_id).order_by("pk").first()
    if user.role == UserRole.CUSTOMER and user.customer_id:
        return marketplaces.filter(customers__pk=user.customer_id).first()
    if user_is_provider_staff(user):
        slug = request.session.get(MARKETPLACE_SESSION_KEY) if hasattr(request, "session") else None
        return marketplaces.filter(slug=slug).first() if slug else None
    return None


def brand_of(marketplace: Marketplace) -> dict[str, object]:
    return {
        "name": marketplace.name,
        "slug": marketplace.slug,
        "color": marketplace.primary_color,
        "logo_url": reverse("tier2:marketplace_logo", args=[marketplace.slug]) if marketplace.logo else "",
        "entry_url": reverse("tier2:marketplace_entry", args=[marketplace.slug]),
    }


def branding(request: HttpRequest) -> dict[str, object]:
    """``tier2_brand`` for the storefront pages (/store/..., /m/...) of a tenant reseller's marketplace;
    ``tier2_is_admin`` to show the reseller admin's price-list pages in the navigation."""
    path = getattr(request, "path", "")
    if not (path.startswith("/store/") or path.startswith("/m/")):
        return {}
    marketplace = branded_marketplace(request)
    if marketplace is None:
        return {}
    user = request.user
    is_admin = bool(isinstance(user, User) and user.role == UserRole.RESELLER and user.is_reseller_admin
                    and marketplace.owner.kind == ResellerKind.TENANT and marketplace.owner_id == user.reseller_id)
    try:
        brand = brand_of(marketplace)
    except NoReverseMatch:  # tier-2 routes not mounted (bss/urls.py): plain storefront
        return {}
    return {"tier2_brand": brand, "tier2_is_admin": is_admin}
