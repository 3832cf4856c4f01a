"""Tier-2 pages: a tenant reseller's marketplace address and branding, its price list and change report, and the
provider's wholesale rule for each tenant reseller (back office).

Thin views: access helpers fetch what the user may see (anything else is a 404), `catalog.services` and
`catalog.resellerprices.services` act, templates in `templates/tier2/` render.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bss.exceptions import ApplicationError, NotFound
from bss.http import AuthenticatedHttpRequest
from bss.models import Marketplace
from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.choices import MarkupKind
from catalog.models import MarkupRule
from catalog.pricing import Markup
from catalog.resellerprices import selectors as price_selectors
from storefront import selectors as storefront_selectors
from storefront.tier2.access import tenant_admin_required, tenant_marketplace_for_member, tenant_marketplaces
from storefront.tier2.context_processors import MARKETPLACE_SESSION_KEY, brand_of
from storefront.tier2.forms import PercentForm, SinceForm, SkuActionForm

CHANGES_DEFAULT_DAYS = 35


def _page(request: AuthenticatedHttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("cart_count", storefront_selectors.cart_line_count(user=request.user))
    return render(request, template, context, status=status)


# -- the marketplace's address ------------------------------------------------------------------------------
@require_GET
def marketplace_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """/m/<slug>/: the branded entry page with sign-in; members go on to the storefront in this marketplace,
    anyone else signed in gets 404."""
    if not request.user.is_authenticated:
        marketplace = tenant_marketplaces().filter(slug=slug).first()
        if marketplace is None:
            raise NotFound("Marketplace not found.")
        login_url = f"{reverse('login')}?next={request.path}"
        return render(request, "tier2/entry.html", {"marketplace": marketplace, "tier2_brand": brand_of(marketplace),
                                                    "login_url": login_url})
    marketplace = tenant_marketplace_for_member(user=request.user, slug=slug)
    request.session[MARKETPLACE_SESSION_KEY] = marketplace.slug
    return redirect("storefront:home")


@require_GET
def marketplace_logo(request: HttpRequest, slug: str) -> FileResponse:
    """The marketplace's logo (public, like its address)."""
    marketplace = tenant_marketplaces().filter(slug=slug).first()
    if marketplace is None or not marketplace.logo:
        raise NotFound("No logo.")
    return FileResponse(marketplace.logo.open("rb"))


# -- the tenant reseller admin's price list ------------------------------------------------------------------
@tenant_admin_required
@require_GET
def price_list(request: AuthenticatedHttpRequest, *, marketplace: Marketplace) -> HttpResponse:
    search = request.GET.get("q", "").strip()
    preview_form = PercentForm({"percent": request.GET["preview"]}) if request.GET.get("preview") else None
    preview = (
        Markup(kind=MarkupKind.PERCENT_OVER_COST, percent=preview_form.cleaned_data["percent"])
        if preview_form is not None and preview_form.is_valid() else None
    )
    rules = price_selectors.markup_rules(marketplace)
    default_rule = rules.get(None)
    context = {
        "marketplace": marketplace,
        "rows": price_selectors.price_list_for_marketplace(marketplace, search=search, preview=preview),
        "default_rule": default_rule,
        "default_form": PercentForm(initial={"percent": default_rule.percent if default_rule else None}),
        "preview": preview,
        "q": search,
        "annual_billing": catalog_selectors.annual_billing_allowed(marketplace),
    }
    return _page(request, "tier2/price_list.html", context)


@tenant_admin_required
@require_POST
def default_markup(request: AuthenticatedHttpRequest, *, marketplace: Marketplace) -> HttpResponse:
    if request.POST.get("action") == "clear":
        rule = MarkupRule.objects.filter(marketplace=marketplace, sku__isnull=True).first()
        if rule is not None:
            catalog_services.markup_rule_delete(rule=rule, actor=request.user)
        messages.success(request, "Without a default markup, products sell at Microsoft's estimated retail price.")
        return redirect("tier2:price_list")
    form = PercentForm(request.POST)
    if form.is_valid():
        try:
            catalog_services.markup_rule_set(marketplace=marketplace, kind=MarkupKind.PERCENT_OVER_COST,
                                             percent=form.cleaned_data["percent"], actor=request.user,
                                             allow_below_cost=form.cleaned_data["allow_below_cost"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Default markup set to {form.cleaned_data['percent']}% over your cost.")
    else:
        messages.error(request, "Give a percentage between -100 and 1000.")
    return redirect("tier2:price_list")


@tenant_admin_required
@require_POST
def sku_action(request: AuthenticatedHttpRequest, sku_id: int, *, marketplace: Marketplace) -> HttpResponse:
    sku = catalog_selectors.sku_list_for_marketplace(marketplace).filter(pk=sku_id).first()
    if sku is None:
        raise NotFound("Product not found.")
    form = SkuActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("tier2:price_list")
    data = form.cleaned_data
    try:
        if data["action"] in ("publish", "unpublish"):
            catalog_services.offer_publish(marketplace=marketplace, sku=sku, published=data["action"] == "publish",
                                           actor=request.user)
            messages.success(request, f"{sku.title} is {'now' if data['action'] == 'publish' else 'no longer'} sold.")
        elif data["action"] == "markup":
            catalog_services.markup_rule_set(marketplace=marketplace, sku=sku, kind=data["kind"],
                                             percent=data.get("percent"),
                                             fixed_monthly_price=data.get("fixed_monthly_price"), actor=request.user,
                                             allow_below_cost=data["allow_below_cost"])
            messages.success(request, f"Markup of {sku.title} saved.")
        else:
            rule = MarkupRule.objects.filter(marketplace=marketplace, sku=sku).first()
            if rule is not None:
                catalog_services.markup_rule_delete(rule=rule, actor=request.user)
            messages.success(request, f"{sku.title} follows the default markup.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('tier2:price_list')}?q={sku.product.product_id}")


@tenant_admin_required
@require_GET
def changes(request: AuthenticatedHttpRequest, *, marketplace: Marketplace) -> HttpResponse:
    form = SinceForm(request.GET or None)
    since_date = form.cleaned_data.get("since") if form.is_valid() else None
    since_date = since_date or (timezone.localdate() - dt.timedelta(days=CHANGES_DEFAULT_DAYS))
    since = dt.datetime.combine(since_date, dt.time.min, tzinfo=dt.UTC)
    items = price_selectors.reseller_changes_since(marketplace, since=since)
    context = {
        "marketplace": marketplace,
        "since": since_date,
        "items": items,
        "counts": {kind: sum(1 for i in items if i.kind == kind) for kind in ("added", "discontinued", "repriced")},
    }
    return _page(request, "tier2/changes.html", context)
