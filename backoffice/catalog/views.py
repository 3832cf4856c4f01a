"""BSS Setup > Tools > Catalog update and Published catalog (back office, provider staff with the catalog
permissions; everyone else gets 404 and nothing changes). Views validate with a form, call one service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.catalog.forms import (
    CatalogSettingsForm,
    MarkupForm,
    PriceSheetUploadForm,
    SkuFilterForm,
    SyncStartForm,
    instance_markets,
    sellable_instances,
)
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Marketplace, Subscription
from catalog import selectors, services
from catalog.choices import ChangeKind, Lifecycle, MarkupKind
from catalog.models import (
    CatalogChange,
    CatalogSyncRun,
    MarketplaceCatalogSettings,
    MarkupRule,
    Offer,
    Price,
    Product,
    Sku,
)
from catalog.pricing import Markup, margin, margin_percent

VIEW_RUNS = "catalog.view_catalogsyncrun"
START_RUNS = "catalog.add_catalogsyncrun"
VIEW_OFFERS = "catalog.view_offer"
CHANGE_OFFERS = "catalog.change_offer"
REPORT_PAGE_SIZE = 100
#: Subscription statuses that still hold a discontinued item (same as the change report's count).
HELD_STATUSES = ("active", "suspended", "pending")
SKU_PAGE_SIZE = 50


def _error_text(form: Any) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# --- Catalog update ------------------------------------------------------------------------------------


def _runs_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    runs = selectors.run_list(limit=50)
    for run in runs:
        if run.is_active:  # the worker reports progress through the cache, not the row
            live = selectors.run_progress(run)
            run.stage, run.rows_read = live["stage"], live["rows_read"]
    targets = [(instance, instance_markets(instance)) for instance in sellable_instances()]
    return {
        "runs": runs,
        "targets": targets,
        "sync_form": forms.get("sync_form") or SyncStartForm(),
        "upload_form": forms.get("upload_form") or PriceSheetUploadForm(),
        "can_start": request.user.has_perm(START_RUNS),
        "any_active": any(run.is_active for run in runs),
    }


@staff_required(VIEW_RUNS)
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "catalog/runs.html", _runs_context(request))


@require_POST
@staff_required(START_RUNS)
def sync_start(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SyncStartForm(request.POST)
    if form.is_valid():
        try:
            run = services.catalog_sync_request(instance=form.cleaned_data["instance"],
                                                market=form.cleaned_data["market"], actor=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Catalog sync #{run.pk} of {run.instance.name} / {run.market} queued.")
            return redirect("catalog:run_detail", run_id=run.pk)
    messages.error(request, _error_text(form))
    return render(request, "catalog/runs.html", _runs_context(request, sync_form=form), status=400)


@require_POST
@staff_required(START_RUNS)
def pricesheet_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PriceSheetUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.pricesheet_import_request(
                instance=form.cleaned_data["instance"], market=form.cleaned_data["market"], upload=upload,
                file_name=upload.name, actor=request.user,
            )
        except ApplicationError as exc:
            form.add_error("file" if exc.code == "catalog_file_unreadable" else None, exc.message)
        else:
            messages.success(request, f"Price list {upload.name} stored (read as {run.file_encoding}); "
                                      f"import #{run.pk} queued.")
            return redirect("catalog:run_detail", run_id=run.pk)
    messages.error(request, _error_text(form))
    return render(request, "catalog/runs.html", _runs_context(request, upload_form=form), status=400)


def _progress(run: CatalogSyncRun) -> dict[str, Any]:
    live = selectors.run_progress(run)
    stage = live["stage"]
    return {
        "id": run.pk,
        "status": run.status,
        "status_label": run.get_status_display(),
        "stage": stage,
        "stage_label": CatalogSyncRun(stage=stage).get_stage_display(),
        "rows_read": live["rows_read"],
        "active": run.is_active,
    }


@staff_required(VIEW_RUNS)
def run_progress(request: AuthenticatedHttpRequest, run_id: int) -> JsonResponse:
    run = get_object_or_404(CatalogSyncRun, pk=run_id)
    return JsonResponse(_progress(run))


@staff_required(VIEW_RUNS)
def run_detail(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(CatalogSyncRun.objects.select_related("instance", "requested_by"), pk=run_id)
    counts = {ChangeKind.ADDED: run.added_count, ChangeKind.DISCONTINUED: run.discontinued_count,
              ChangeKind.REPRICED: run.repriced_count}
    kind = request.GET.get("kind") or next((k for k, n in counts.items() if n), ChangeKind.ADDED)
    if kind not in ChangeKind.values:
        raise Http404("Not found")
    changes = (
        CatalogChange.objects.filter(run=run, kind=kind)
        .select_related("product", "sku")
        .order_by("product__title", "sku__sku_id", "term_duration", "billing_cycle", "currency", "pk")
    )
    page = Paginator(changes, REPORT_PAGE_SIZE).get_page(request.GET.get("page"))
    held = (
        CatalogChange.objects.filter(run=run, kind=ChangeKind.DISCONTINUED, affected_subscriptions__gt=0)
        .select_related("product", "sku")
        .order_by("product__title", "sku__sku_id")
    )
    held_subscriptions = _held_subscriptions(
        run.instance_id, [(c.product.product_id, c.sku.sku_id if c.sku else None) for c in held[:100]]
    )
    context = {
        "run": run,
        "held_subscriptions": held_subscriptions,
        "progress": _progress(run),
        "tabs": [(k.value, k.label, counts[k]) for k in ChangeKind],
        "kind": kind,
        "kind_label": ChangeKind(kind).label,
        "page": page,
        "held": held,
        "held_total": sum(c.affected_subscriptions for c in held),
        "can_decide": request.user.has_perm(START_RUNS),
    }
    return render(request, "catalog/run_detail.html", context)


@require_POST
@staff_required(START_RUNS)
def run_confirm(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(CatalogSyncRun, pk=run_id)
    try:
        services.catalog_run_confirm(run=run, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Run #{run.pk} confirmed: its changes are being applied.")
    return redirect("catalog:run_detail", run_id=run.pk)


@require_POST
@staff_required(START_RUNS)
def run_discard(request: AuthenticatedHttpRequest, run_id: int) -> HttpResponse:
    run = get_object_or_404(CatalogSyncRun, pk=run_id)
    try:
        services.catalog_run_discard(run=run, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Run #{run.pk} discarded: nothing of it was applied.")
    return redirect("catalog:run_detail", run_id=run.pk)


def _can_view_catalog(request: HttpRequest) -> None:
    if not (request.user.has_perm(VIEW_RUNS) or request.user.has_perm(VIEW_OFFERS)):
        raise Http404("Not found")


@staff_required()
def product_detail(request: AuthenticatedHttpRequest, product_id: int) -> HttpResponse:
    _can_view_catalog(request)
    product = get_object_or_404(Product.objects.select_related("instance"), pk=product_id)
    skus = list(product.skus.order_by("sku_id").prefetch_related("availabilities"))
    prices = (
        Price.objects.filter(sku__product=product, is_current=True)
        .select_related("sku")
        .order_by("sku__sku_id", "currency", "term_duration", "billing_cycle", "tier_min")
    )
    changes = (
        CatalogChange.objects.filter(product=product)
        .select_related("run", "sku")
        .order_by("-run__created_at", "kind", "sku__sku_id")[:100]
    )
    held = _held_subscriptions(product.instance_id, [
        (product.product_id, None if product.lifecycle != Lifecycle.ACTIVE else sku.sku_id)
        for sku in skus if product.lifecycle != Lifecycle.ACTIVE or sku.lifecycle != Lifecycle.ACTIVE
    ])
    return render(request, "catalog/product_detail.html", {
        "product": product, "skus": skus, "prices": prices, "changes": changes, "held": held,
    })


def _held_subscriptions(instance_id: int, items: list[tuple[str, str | None]], limit: int = 200) -> list[Any]:
    """Subscriptions still running on discontinued items: (product id, SKU id or None for the whole product)."""
    if not items:
        return []
    match = Q()
    for product_code, sku_code in dict.fromkeys(items):
        match |= Q(pc_product_id=product_code) if sku_code is None else Q(pc_product_id=product_code,
                                                                             pc_sku_id=sku_code)
    return list(
        Subscription.objects.filter(match, tenant__instance_id=instance_id, status__in=HELD_STATUSES)
        .select_related("customer", "tenant")
        .order_by("customer__company_name", "name")[:limit]
    )


# --- Published catalog ---------------------------------------------------------------------------------


@staff_required(VIEW_OFFERS)
def marketplace_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    marketplaces = (
        Marketplace.objects.select_related("instance", "owner", "catalog_settings")
        .annotate(published=Count("offers", filter=Q(offers__is_published=True)))
        .order_by("name")
    )
    defaults = {r.marketplace_id: r for r in MarkupRule.objects.filter(sku__isnull=True)}
    rows = [(m, defaults.get(m.pk)) for m in marketplaces]
    return render(request, "catalog/marketplaces.html", {"rows": rows})


def _marketplace_context(request: HttpRequest, marketplace: Marketplace, **forms: Any) -> dict[str, Any]:
    filters = SkuFilterForm(request.GET or None)
    skus = selectors.sku_list_for_marketplace(marketplace)
    offers = {o.sku_id: o for o in Offer.objects.filter(marketplace=marketplace)}
    rules = {r.sku_id: r for r in MarkupRule.objects.filter(marketplace=marketplace)}
    if filters.is_valid():
        q, show = filters.cleaned_data["q"], filters.cleaned_data["show"]
        if q:
            skus = skus.filter(Q(title__icontains=q) | Q(product__title__icontains=q) | Q(sku_id__iexact=q)
                               | Q(product__product_id__iexact=q))
        published_ids = [sku_id for sku_id, o in offers.items() if o.is_published]
        if show == "published":
            skus = skus.filter(pk__in=published_ids)
        elif show == "unpublished":
            skus = skus.exclude(pk__in=published_ids).filter(lifecycle=Lifecycle.ACTIVE,
                                                               product__lifecycle=Lifecycle.ACTIVE)
        elif show == "discontinued":
            skus = skus.exclude(lifecycle=Lifecycle.ACTIVE, product__lifecycle=Lifecycle.ACTIVE)
    page = Paginator(skus, SKU_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(sku, offers.get(sku.pk), rules.get(sku.pk)) for sku in page]
    default_rule = rules.get(None)
    settings_row = MarketplaceCatalogSettings.objects.filter(marketplace=marketplace).first()
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "marketplace": marketplace,
        "filters": filters,
        "page": page,
        "rows": rows,
        "default_rule": default_rule,
        "default_form": forms.get("default_form") or MarkupForm(initial=_rule_initial(default_rule)),
        "settings_form": CatalogSettingsForm(
            initial={"auto_publish_new": bool(settings_row and settings_row.auto_publish_new)}
        ),
        "can_change": request.user.has_perm(CHANGE_OFFERS),
        "published_count": sum(1 for o in offers.values() if o.is_published),
        "query": query.urlencode(),
        "annual_allowed": selectors.annual_billing_allowed(marketplace),
    }


def _rule_initial(rule: MarkupRule | None) -> dict[str, Any]:
    if rule is None:
        return {"kind": MarkupKind.PERCENT_OVER_COST}
    return {"kind": rule.kind, "percent": rule.percent, "fixed_monthly_price": rule.fixed_monthly_price}


@staff_required(VIEW_OFFERS)
def marketplace_detail(request: AuthenticatedHttpRequest, marketplace_id: int) -> HttpResponse:
    marketplace = get_object_or_404(Marketplace.objects.select_related("instance"), pk=marketplace_id)
    return render(request, "catalog/marketplace_detail.html", _marketplace_context(request, marketplace))


def _back_to_list(request: HttpRequest, marketplace: Marketplace) -> HttpResponse:
    url = reverse("catalog:marketplace_detail", args=[marketplace.pk])
    query = request.POST.get("next_query", "")
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@staff_required(CHANGE_OFFERS)
def offer_publish_view(request: AuthenticatedHttpRequest, marketplace_id: int, sku_id: int) -> HttpResponse:
    marketplace = get_object_or_404(Marketplace, pk=marketplace_id)
    sku = get_object_or_404(Sku.objects.select_related("product"), pk=sku_id)
    publish = request.POST.get("publish") == "1"
    try:
        services.offer_publish(marketplace=marketplace, sku=sku, published=publish, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{sku.title} {'published in' if publish else 'withdrawn from'} {marketplace.name}.")
    return _back_to_list(request, marketplace)


@require_POST
@staff_required(CHANGE_OFFERS)
def default_markup_view(request: AuthenticatedHttpRequest, marketplace_id: int) -> HttpResponse:
    marketplace = get_object_or_404(Marketplace.objects.select_related("instance"), pk=marketplace_id)
    form = MarkupForm(request.POST)
    if form.is_valid():
        try:
            services.markup_rule_set(marketplace=marketplace, sku=None, actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Default markup of {marketplace.name} saved.")
            return redirect("catalog:marketplace_detail", marketplace_id=marketplace.pk)
    messages.error(request, _error_text(form))
    return render(request, "catalog/marketplace_detail.html",
                  _marketplace_context(request, marketplace, default_form=form), status=400)


@require_POST
@staff_required(CHANGE_OFFERS)
def catalog_settings_view(request: AuthenticatedHttpRequest, marketplace_id: int) -> HttpResponse:
    marketplace = get_object_or_404(Marketplace, pk=marketplace_id)
    form = CatalogSettingsForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    enabled = bool(form.cleaned_data.get("auto_publish_new"))
    services.marketplace_catalog_settings_set(marketplace=marketplace, auto_publish_new=enabled, actor=request.user)
    messages.success(request, f"Products added by a sync are {'now' if enabled else 'no longer'} published "
                              f"automatically in {marketplace.name}.")
    return redirect("catalog:marketplace_detail", marketplace_id=marketplace.pk)


def _preview_rows(marketplace: Marketplace, sku: Sku, markup: Markup | None) -> list[dict[str, Any]]:
    allow_annual = selectors.annual_billing_allowed(marketplace)
    rows = []
    for plan in selectors.plan_prices(sku=sku, currency=marketplace.currency, markup=markup, allow_annual=True):
        rows.append({
            "plan": plan,
            "margin": margin(cost=plan.cost, sale=plan.sale_price),
            "margin_percent": margin_percent(cost=plan.cost, sale=plan.sale_price),
            "offered": plan.billing_cycle != "annual" or allow_annual,
        })
    return rows


def _sku_context(request: HttpRequest, marketplace: Marketplace, sku: Sku, form: MarkupForm | None = None,
                 preview: Markup | None = None) -> dict[str, Any]:
    rules = {r.sku_id: r for r in MarkupRule.objects.filter(marketplace=marketplace)}
    sku_rule, default_rule = rules.get(sku.pk), rules.get(None)
    effective = selectors.markup_for(rules, sku.pk)
    offer = Offer.objects.filter(marketplace=marketplace, sku=sku).first()
    other_currencies = sorted(
        set(sku.prices.filter(is_current=True).exclude(currency=marketplace.currency)
            .values_list("currency", flat=True))
    )
    return {
        "marketplace": marketplace,
        "sku": sku,
        "offer": offer,
        "sku_rule": sku_rule,
        "default_rule": default_rule,
        "form": form or MarkupForm(initial=_rule_initial(sku_rule or default_rule)),
        "rows": _preview_rows(marketplace, sku, effective),
        "preview": preview,
        "preview_rows": _preview_rows(marketplace, sku, preview) if preview is not None else None,
        "can_change": request.user.has_perm(CHANGE_OFFERS),
        "other_currencies": other_currencies,
        "annual_allowed": selectors.annual_billing_allowed(marketplace),
    }


def _marketplace_sku(marketplace_id: int, sku_id: int) -> tuple[Marketplace, Sku]:
    marketplace = get_object_or_404(Marketplace.objects.select_related("instance"), pk=marketplace_id)
    sku = get_object_or_404(
        Sku.objects.select_related("product"), pk=sku_id, product__instance_id=marketplace.instance_id,
        product__market=marketplace.market,
    )
    return marketplace, sku


@staff_required(VIEW_OFFERS)
def sku_pricing(request: AuthenticatedHttpRequest, marketplace_id: int, sku_id: int) -> HttpResponse:
    """Price preview of one SKU in a marketplace: the rule in force, and (``?kind=...``) a proposed one."""
    marketplace, sku = _marketplace_sku(marketplace_id, sku_id)
    form, preview = None, None
    if "kind" in request.GET:
        form = MarkupForm(request.GET)
        if form.is_valid():
            kwargs = form.service_kwargs()
            preview = Markup(kind=kwargs["kind"], percent=kwargs["percent"],
                             fixed_monthly_price=kwargs["fixed_monthly_price"])
    return render(request, "catalog/sku_pricing.html", _sku_context(request, marketplace, sku, form, preview))


@require_POST
@staff_required(CHANGE_OFFERS)
def sku_markup_view(request: AuthenticatedHttpRequest, marketplace_id: int, sku_id: int) -> HttpResponse:
    marketplace, sku = _marketplace_sku(marketplace_id, sku_id)
    if request.POST.get("action") == "delete":
        rule = MarkupRule.objects.filter(marketplace=marketplace, sku=sku).first()
        if rule is not None:
            services.markup_rule_delete(rule=rule, actor=request.user)
            messages.success(request, f"{sku.title} now follows the marketplace's default markup.")
        return redirect("catalog:sku_pricing", marketplace_id=marketplace.pk, sku_id=sku.pk)
    form = MarkupForm(request.POST)
    if request.POST.get("action") == "preview":
        preview = None
        if form.is_valid():
            kwargs = form.service_kwargs()
            preview = Markup(kind=kwargs["kind"], percent=kwargs["percent"],
                             fixed_monthly_price=kwargs["fixed_monthly_price"])
        else:
            messages.error(request, _error_text(form))
        return render(request, "catalog/sku_pricing.html", _sku_context(request, marketplace, sku, form, preview),
                      status=200 if preview else 400)
    if form.is_valid():
        try:
            services.markup_rule_set(marketplace=marketplace, sku=sku, actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Markup of {sku.title} in {marketplace.name} saved.")
            return redirect("catalog:sku_pricing", marketplace_id=marketplace.pk, sku_id=sku.pk)
    messages.error(request, _error_text(form))
    return render(request, "catalog/sku_pricing.html", _sku_context(request, marketplace, sku, form), status=400)

