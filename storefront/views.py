"""Storefront pages: customers and workspaces, catalog, cart, checkout wizard, orders.

Thin views: a form validates, a selector reads (scoped to the user; a foreign object is a 404), a service acts.
Service errors (`ApplicationError`) are shown with their message and the form is re-rendered with what the user
typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from bss import selectors as bss_selectors
from bss.choices import OrderStatus, UserRole
from bss.exceptions import ApplicationError
from bss.http import AuthenticatedHttpRequest
from bss.models import Marketplace
from bss.request_context import client_ip
from bss.selectors_gdap import gdap_for_tenants
from bss.services.order_validation import customer_address_problem
from catalog import lifecycle as catalog_lifecycle
from catalog.offers import store_offer_get
from provisioning.services import orders as provisioning_services
from storefront import selectors, services, wizard
from storefront.access import storefront_user_required
from storefront.forms import (
    MCA_AGREEMENT_LINK,
    CartAddForm,
    CartQuantityForm,
    CatalogFilterForm,
    CustomerChoiceForm,
    ExistingTenantForm,
    MCAForm,
    NewCustomerForm,
    domain_prefix_problem,
    normalise_domain_prefix,
)
from storefront.models import Cart
from storefront.selectors import CartSummary

MARKETPLACE_SESSION_KEY = "storefront.marketplace"
LIVE_STATUSES = (OrderStatus.PENDING, OrderStatus.AWAITING_RELATIONSHIP, OrderStatus.PROVISIONING)


# -- helpers ------------------------------------------------------------------------------------------------
def _page(request: AuthenticatedHttpRequest, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("cart_count", selectors.cart_line_count(user=request.user))
    return render(request, template, context, status=status)


def _current_marketplace(request: AuthenticatedHttpRequest) -> Marketplace | None:
    """The marketplace the user shops in: `?m=<slug>` (remembered in the session), else the remembered one, else
    the first one open to the user. A slug the user may not use is a 404."""
    slug = request.POST.get("m") or request.GET.get("m")
    if slug:
        marketplace = selectors.marketplace_get_for_user(user=request.user, slug=slug)
        request.session[MARKETPLACE_SESSION_KEY] = marketplace.slug
        return marketplace
    available = selectors.marketplace_list_for_user(user=request.user)
    remembered = request.session.get(MARKETPLACE_SESSION_KEY)
    if remembered:
        found = available.filter(slug=remembered).first()
        if found is not None:
            return found
    return available.first()


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


# -- customers and workspaces (existing pages) --------------------------------------------------------------
@storefront_user_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.user.role == UserRole.CUSTOMER:
        return redirect("storefront:workspace", customer_id=request.user.customer_id)
    search = request.GET.get("q", "").strip()
    customers = bss_selectors.customer_list_for_user(user=request.user, search=search).annotate(
        subscription_count=Count("subscriptions", distinct=True)
    )[:200]
    return _page(request, "storefront/home.html", {"customers": customers, "q": search})


@storefront_user_required
def workspace(request: AuthenticatedHttpRequest, customer_id: int) -> HttpResponse:
    customer = bss_selectors.customer_get_for_user(user=request.user, customer_id=customer_id)
    tenants = list(bss_selectors.tenant_list_for_user(user=request.user).filter(customer=customer))
    gdap = gdap_for_tenants(t.pk for t in tenants)
    context = {
        "customer": customer,
        "tenants": [(t, gdap[t.pk]) for t in tenants],
        "subscriptions": bss_selectors.subscription_list_for_user(user=request.user).filter(customer=customer),
        "orders": bss_selectors.order_list_for_user(user=request.user).filter(customer=customer)[:20],
    }
    return _page(request, "storefront/workspace.html", context)


# -- catalog ------------------------------------------------------------------------------------------------
@storefront_user_required
@require_GET
def catalog(request: AuthenticatedHttpRequest) -> HttpResponse:
    marketplace = _current_marketplace(request)
    context: dict[str, Any] = {
        "marketplace": marketplace,
        "marketplaces": list(selectors.marketplace_list_for_user(user=request.user)),
    }
    if marketplace is not None:
        everything = selectors.store_offer_list(marketplace=marketplace)
        families, terms, cycles = selectors.store_offer_facets(offers=everything)
        filters = CatalogFilterForm(request.GET or None, families=families, terms=terms, cycles=cycles)
        values = filters.cleaned_data if filters.is_valid() else {}
        offers = selectors.store_offer_filter(
            offers=everything,
            search=values.get("q", ""),
            family=values.get("family", ""),
            term=values.get("term", ""),
            billing_cycle=values.get("billing", ""),
        )
        preferred = f"{values.get('term') or ''}:{values.get('billing') or ''}"
        context.update(
            filters=filters,
            offers=offers,
            entries=catalog_lifecycle.catalog_entries(marketplace=marketplace, offers=offers),
            filtered=any(values.get(k) for k in ("q", "family", "term", "billing")),
            annual_billing=selectors.annual_billing_allowed(marketplace=marketplace),
            preferred_plan=preferred if ":" in preferred.strip(":") else "",
        )
    return _page(request, "storefront/catalog.html", context)


# -- cart ---------------------------------------------------------------------------------------------------
@storefront_user_required
@require_GET
def cart(request: AuthenticatedHttpRequest) -> HttpResponse:
    marketplace = _current_marketplace(request)
    summary = (
        selectors.cart_summary(marketplace=marketplace, cart=selectors.cart_get_for_user(user=request.user,
                                                                                        marketplace=marketplace))
        if marketplace
        else None
    )
    return _page(
        request,
        "storefront/cart.html",
        {
            "marketplace": marketplace,
            "marketplaces": list(selectors.marketplace_list_for_user(user=request.user)),
            "lines": summary.lines if summary else [],
            "problems": summary.problems if summary else [],
            "totals": summary.totals if summary else None,
            "currency": marketplace.currency if marketplace else "",
        },
    )


@storefront_user_required
@require_POST
def cart_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    marketplace = _current_marketplace(request)
    if marketplace is None:
        return redirect("storefront:catalog")
    back = _safe_next(request, reverse("storefront:catalog"))
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(back)
    term, cycle = form.cleaned_data["plan"]
    try:
        line = services.cart_add_line(
            user=request.user,
            marketplace=marketplace,
            offer_id=form.cleaned_data["offer"],
            term_duration=term,
            billing_cycle=cycle,
            quantity=form.cleaned_data["quantity"],
            promotion_id=form.cleaned_data.get("promotion") or "",
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    offer = store_offer_get(marketplace=marketplace, offer_id=line.offer_id)
    messages.success(
        request, f"Added {form.cleaned_data['quantity']} x {offer.name} to your cart (now {line.quantity})."
    )
    return redirect(back)


@storefront_user_required
@require_POST
def cart_update(request: AuthenticatedHttpRequest, line_id: int) -> HttpResponse:
    line = selectors.cart_line_get_for_user(user=request.user, line_id=line_id)
    form = CartQuantityForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors["quantity"]))
        return redirect("storefront:cart")
    try:
        services.cart_update_line(line=line, quantity=form.cleaned_data["quantity"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Quantity updated.")
    return redirect(f"{reverse('storefront:cart')}?m={line.cart.marketplace.slug}")


@storefront_user_required
@require_POST
def cart_remove(request: AuthenticatedHttpRequest, line_id: int) -> HttpResponse:
    line = selectors.cart_line_get_for_user(user=request.user, line_id=line_id)
    services.cart_remove_line(line=line)
    messages.success(request, "Line removed.")
    return redirect(f"{reverse('storefront:cart')}?m={line.cart.marketplace.slug}")


@storefront_user_required
@require_POST
def cart_clear(request: AuthenticatedHttpRequest) -> HttpResponse:
    marketplace = _current_marketplace(request)
    cart_obj = selectors.cart_get_for_user(user=request.user, marketplace=marketplace) if marketplace else None
    if cart_obj is not None:
        services.cart_clear(cart=cart_obj)
        messages.success(request, "Your cart is empty.")
    return redirect("storefront:cart")


# -- checkout -----------------------------------------------------------------------------------------------
@dataclass
class _Checkout:
    """What every checkout step needs: the marketplace, the cart priced now, the wizard state."""

    request: AuthenticatedHttpRequest
    marketplace: Marketplace
    cart: Cart
    summary: CartSummary
    state: wizard.Checkout
    role: str

    def customers(self) -> list[tuple[int, str]]:
        return [
            (c.pk, c.company_name)
            for c in selectors.checkout_customer_list(user=self.request.user, marketplace=self.marketplace)
        ]

    def customer(self) -> Any:
        if self.state.kind != wizard.EXISTING_CUSTOMER or not self.state.customer_id:
            return None
        return selectors.checkout_customer_get(
            user=self.request.user, marketplace=self.marketplace, customer_id=self.state.customer_id
        )

    def customer_name(self) -> str:
        customer = self.customer()
        return customer.company_name if customer else self.state.details.get("company_name", "the customer")

    def render(self, step: str, template: str, context: dict[str, Any], status: int = 200) -> HttpResponse:
        context.update(
            marketplace=self.marketplace,
            summary=self.summary,
            steps=self.state.steps(),
            step=step,
            done_steps=self.state.done_steps,
        )
        return _page(self.request, template, context, status=status)


def _checkout(request: AuthenticatedHttpRequest) -> _Checkout | HttpResponse:
    """The checkout in progress, or where to send the user when there is nothing (orderable) to check out."""
    marketplace = _current_marketplace(request)
    cart = selectors.cart_get_for_user(user=request.user, marketplace=marketplace) if marketplace else None
    summary = selectors.cart_summary(marketplace=marketplace, cart=cart) if marketplace else None
    if marketplace is None or cart is None or summary is None or not summary.lines:
        messages.info(request, "Your cart is empty: add something from the catalog first.")
        return redirect("storefront:catalog")
    if summary.problems:
        messages.error(request, "Some lines of your cart cannot be ordered; fix them first.")
        return redirect("storefront:cart")
    return _Checkout(
        request=request, marketplace=marketplace, cart=cart, summary=summary,
        state=wizard.Checkout(request.session, marketplace), role=wizard.role_for(request.user),
    )


@storefront_user_required
@require_http_methods(["GET", "POST"])
def checkout_customer(request: AuthenticatedHttpRequest) -> HttpResponse:
    co = _checkout(request)
    if isinstance(co, HttpResponse):
        return co
    if request.user.role == UserRole.CUSTOMER:
        # A customer user orders for its own organisation only, once its Microsoft tenant is in place.
        if not any(pk == request.user.customer_id for pk, _ in co.customers()):
            messages.error(request, "Your Microsoft tenant is not ready for orders yet (it is being set up, or your "
                                    "organisation has none in this marketplace). Please contact your reseller.")
            return redirect("storefront:cart")
        co.state.set_customer(kind=wizard.EXISTING_CUSTOMER, customer_id=request.user.customer_id)
        return redirect("storefront:checkout_mca")
    customers = co.customers()
    initial = {"kind": co.state.kind or CustomerChoiceForm.NEW, "customer": co.state.customer_id}
    form = CustomerChoiceForm(request.POST or None, initial=initial, customers=customers)
    if request.method == "POST" and form.is_valid():
        co.state.set_customer(kind=form.cleaned_data["kind"], customer_id=form.cleaned_data.get("customer"))
        return redirect("storefront:checkout_mca" if co.state.kind == wizard.EXISTING_CUSTOMER
                        else "storefront:checkout_details")
    return co.render("customer", "storefront/checkout/customer.html", {"form": form},
                     status=400 if form.is_bound else 200)


@storefront_user_required
@require_http_methods(["GET", "POST"])
def checkout_details(request: AuthenticatedHttpRequest) -> HttpResponse:
    co = _checkout(request)
    if isinstance(co, HttpResponse):
        return co
    if co.state.kind not in (wizard.NEW, wizard.EXISTING_TENANT):
        return redirect("storefront:checkout_customer")
    form_class = NewCustomerForm if co.state.kind == wizard.NEW else ExistingTenantForm
    initial = co.state.details or {"country": co.marketplace.market}
    form = form_class(request.POST or None, initial=initial)
    domain_check = None
    if request.method == "POST":
        # Keep what was typed even when it does not validate yet: going back and forth loses nothing.
        co.state.set_details({k: v for k, v in request.POST.items() if k in form.fields}, complete=False)
        valid = form.is_valid()
        if co.state.kind == wizard.NEW and "domain_prefix" in form.cleaned_data:
            # Checked live against Partner Center even when other fields still need fixing.
            domain_check = _domain_check(co.marketplace, form.cleaned_data["domain_prefix"])
            if domain_check["blocking"]:
                form.add_error("domain_prefix", domain_check["message"])
                valid = False
        if valid:  # the core's rule for country (ISO code, a market sold in), address and phone, shown here
            data = form.cleaned_data
            problem = customer_address_problem(
                marketplace=co.marketplace, country=data["country"], state=data.get("state", ""),
                address_line1=data["address_line1"], contact_phone=data.get("contact_phone", ""),
            )
            if problem:
                form.add_error(problem[0], problem[1])
                valid = False
        if valid:
            co.state.set_details(form.cleaned_data, complete=True)
            return redirect("storefront:checkout_mca")
    return co.render(
        "details",
        "storefront/checkout/details.html",
        {"form": form, "kind": co.state.kind, "domain_check": domain_check},
        status=400 if form.is_bound else 200,
    )


def _domain_check(marketplace: Marketplace, prefix: str) -> dict[str, Any]:
    """Ask Partner Center (through provisioning) whether `<prefix>.onmicrosoft.com` is free.

    `blocking` is true only when the prefix is known to be unusable (malformed or taken); when Partner Center cannot
    be asked, the user may go on (the order is checked again when it is placed)."""
    result = provisioning_services.domain_prefix_check(instance=marketplace.instance, prefix=prefix)
    blocking = result.taken or (not result.available and not result.domain)
    return {
        "available": result.available,
        "blocking": blocking,
        "domain": result.domain or f"{prefix}.onmicrosoft.com",
        "message": result.message,
        "css": "ok" if result.available else "bad" if blocking else "",
    }


@storefront_user_required
@require_GET
def checkout_domain_check(request: AuthenticatedHttpRequest) -> JsonResponse:
    """JSON for the live check while typing; the check on submit stays authoritative."""
    marketplace = _current_marketplace(request)
    if marketplace is None:
        return JsonResponse({"available": False, "message": "No marketplace is open to you."}, status=404)
    prefix = normalise_domain_prefix(request.GET.get("prefix", ""))
    problem = domain_prefix_problem(prefix)
    if problem:
        return JsonResponse({"available": False, "prefix": prefix, "message": problem})
    result = _domain_check(marketplace, prefix)
    return JsonResponse({"available": result["available"], "prefix": prefix, "domain": result["domain"],
                         "message": result["message"]})


@storefront_user_required
@require_http_methods(["GET", "POST"])
def checkout_mca(request: AuthenticatedHttpRequest) -> HttpResponse:
    co = _checkout(request)
    if isinstance(co, HttpResponse):
        return co
    if not co.state.details_done:
        return redirect("storefront:checkout_details" if co.state.customer_done else "storefront:checkout_customer")
    customer = co.customer()
    on_record = selectors.mca_on_record(customer=customer) if customer else None
    back_url = reverse("storefront:checkout_customer" if co.state.kind == wizard.EXISTING_CUSTOMER
                       else "storefront:checkout_details")
    if request.user.role == UserRole.CUSTOMER:
        back_url = reverse("storefront:cart")
    context: dict[str, Any] = {
        "role": co.role,
        "customer_name": co.customer_name(),
        "agreement_link": MCA_AGREEMENT_LINK,
        "back_url": back_url,
        "on_record": on_record,
    }
    if on_record is not None:
        if request.method == "POST":
            co.state.set_mca({}, role=co.role, on_record=True)
            return redirect("storefront:checkout_review")
        return co.render("mca", "storefront/checkout/mca.html", context)
    form = MCAForm(request.POST or None, role=co.role, initial=_mca_initial(co, request))
    if request.method == "POST" and form.is_valid():
        co.state.set_mca(form.cleaned_data, role=co.role)
        return redirect("storefront:checkout_review")
    context["form"] = form
    return co.render("mca", "storefront/checkout/mca.html", context, status=400 if form.is_bound else 200)


def _mca_initial(co: _Checkout, request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """What was entered before, else the customer's contact (a customer user: itself)."""
    previous = co.state.mca
    if previous and not previous.get("on_record"):
        return {k: v for k, v in previous.items() if k.startswith("signatory_") or k == "accepted_on"}
    if request.user.role == UserRole.CUSTOMER:
        return {"signatory_first_name": request.user.first_name, "signatory_last_name": request.user.last_name,
                "signatory_email": request.user.email}
    d = co.state.details
    customer = co.customer()
    if customer is not None:
        d = {"contact_first_name": customer.contact_first_name, "contact_last_name": customer.contact_last_name,
             "contact_email": customer.contact_email, "contact_phone": customer.contact_phone}
    return {
        "signatory_first_name": d.get("contact_first_name", ""),
        "signatory_last_name": d.get("contact_last_name", ""),
        "signatory_email": d.get("contact_email", ""),
        "signatory_phone": d.get("contact_phone", ""),
        "accepted_on": timezone.localdate(),
    }


@storefront_user_required
@require_GET
def checkout_review(request: AuthenticatedHttpRequest) -> HttpResponse:
    co = _checkout(request)
    if isinstance(co, HttpResponse):
        return co
    if not co.state.mca_done:
        if co.state.details_done:
            messages.error(request, "The customer's acceptance of the Microsoft Customer Agreement must be on record "
                                    "before ordering.")
        return redirect("storefront:checkout_mca")
    customer = co.customer()
    tenant = customer.tenants.filter(instance=co.marketplace.instance).first() if customer else None
    edit_url = reverse("storefront:checkout_customer" if co.state.kind == wizard.EXISTING_CUSTOMER
                       else "storefront:checkout_details")
    return co.render(
        "review",
        "storefront/checkout/review.html",
        {
            "kind": co.state.kind,
            "details": co.state.details,
            "mca": co.state.mca,
            "customer_name": co.customer_name(),
            "tenant_domain": tenant.default_domain if tenant else "",
            "submission_key": co.state.submission_key(fingerprint=co.summary.fingerprint),
            "edit_url": edit_url,
            "back_url": reverse("storefront:checkout_mca"),
        },
    )


@storefront_user_required
@require_POST
def checkout_place(request: AuthenticatedHttpRequest) -> HttpResponse:
    key = request.POST.get("submission_key", "")[:64]
    # A repeated submission (double click, second tab) lands on the order the first one produced.
    already = selectors.order_by_submission_key(user=request.user, submission_key=key)
    if already is not None:
        return redirect("storefront:order_detail", order_id=already.pk)
    co = _checkout(request)
    if isinstance(co, HttpResponse):
        return co
    if not co.state.mca_done:
        messages.error(request, "The customer's acceptance of the Microsoft Customer Agreement must be on record "
                                "before ordering. Complete this step first.")
        return redirect("storefront:checkout_mca" if co.state.details_done else "storefront:checkout_customer")
    if not co.state.submission_key_matches(key, fingerprint=co.summary.fingerprint):
        messages.warning(request, "Your cart or the order details changed since you reviewed them. Please check "
                                  "them again and place the order.")
        return redirect("storefront:checkout_review")
    kwargs: dict[str, Any] = {}
    if co.state.kind == wizard.NEW:
        kwargs["new_customer"] = co.state.new_customer_input()
    elif co.state.kind == wizard.EXISTING_TENANT:
        kwargs["existing_tenant"] = co.state.existing_tenant_input()
        kwargs["new_customer"] = co.state.new_customer_input()
    else:
        kwargs["customer"] = co.customer()
    try:
        order = services.checkout_place(
            actor=request.user,
            marketplace=co.marketplace,
            reseller=selectors.reseller_for_order(user=request.user, marketplace=co.marketplace),
            cart=co.cart,
            submission_key=key,
            mca=co.state.mca_input(ip_address=client_ip(request), user_agent=request.headers.get("User-Agent", "")),
            **kwargs,
        )
    except ApplicationError as exc:
        raced = selectors.order_by_submission_key(user=request.user, submission_key=key)
        if raced is not None:  # the twin request won the race: same order
            return redirect("storefront:order_detail", order_id=raced.pk)
        messages.error(request, exc.message)
        return redirect(_step_for_error(exc, co))
    co.state.clear()
    messages.success(request, "Thank you: your order has been placed.")
    return redirect("storefront:order_detail", order_id=order.pk)


def _step_for_error(exc: ApplicationError, co: _Checkout) -> str:
    """The step where the user can fix what the service refused (everything typed is still there)."""
    code = exc.code
    if code in {"domain_taken", "invalid_domain_prefix", "invalid_customer_details"} and co.state.kind != (
        wizard.EXISTING_CUSTOMER
    ):
        return reverse("storefront:checkout_details")
    if "mca" in code or "agreement" in code:
        return reverse("storefront:checkout_mca")
    if code in {"quantity_out_of_range", "billing_cycle_not_allowed", "offer_unavailable", "repeat_order_refused",
                "cart_invalid", "checkout_invalid", "order_empty", "cart_empty", "currency_mismatch"} or (
        code.startswith("promotion_")
    ):
        return reverse("storefront:cart")
    return reverse("storefront:checkout_review")
