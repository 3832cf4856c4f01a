"""Back office: the provider's price to a tenant reseller (its wholesale price rules)."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from backoffice.access import staff_required
from backoffice.tier2.forms import WholesaleForm
from bss import selectors as bss_selectors
from bss.choices import ResellerKind
from bss.exceptions import ApplicationError, NotFound
from bss.http import AuthenticatedHttpRequest
from catalog import selectors as catalog_selectors
from catalog.models import Sku
from catalog.resellerprices import selectors as price_selectors
from catalog.resellerprices import services as price_services
from catalog.resellerprices.models import ResellerPriceRule
from catalog.resellerprices.wholesale import wholesale_for_reseller


@staff_required("bss.change_reseller")
@require_http_methods(["GET", "POST"])
def wholesale(request: AuthenticatedHttpRequest, reseller_id: int) -> HttpResponse:
    reseller = bss_selectors.reseller_list_for_user(user=request.user).filter(
        pk=reseller_id, kind=ResellerKind.TENANT
    ).first()
    if reseller is None:
        raise NotFound("Reseller not found.")
    marketplace = bss_selectors.tenant_marketplaces().filter(owner=reseller).order_by("pk").first()
    form = WholesaleForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("delete"):
            rule = ResellerPriceRule.objects.filter(reseller=reseller, pk=request.POST["delete"]).first()
            if rule is None:
                raise NotFound("Rule not found.")
            price_services.reseller_price_rule_delete(actor=request.user, rule=rule)
            messages.success(request, "Rule removed.")
            return redirect("backoffice_tier2:wholesale", reseller_id=reseller.pk)
        if form.is_valid():
            sku = None
            ref = form.cleaned_data["sku"].strip()
            if ref:
                product_id, _, sku_code = ref.partition(":")
                skus = catalog_selectors.sku_list_for_marketplace(marketplace) if marketplace else Sku.objects.none()
                sku = skus.filter(product__product_id__iexact=product_id, sku_id__iexact=sku_code).first()
                if sku is None:
                    form.add_error("sku", "No such SKU in the reseller's catalog (productId:skuId).")
            if form.is_valid():
                try:
                    price_services.reseller_price_rule_set(actor=request.user, reseller=reseller, sku=sku,
                                                           percent=form.cleaned_data["percent"],
                                                           allow_below_cost=form.cleaned_data["allow_below_cost"])
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, "Price to the reseller saved; its price list follows at once.")
                    return redirect("backoffice_tier2:wholesale", reseller_id=reseller.pk)
    context = {
        "reseller": reseller,
        "marketplace": marketplace,
        "wholesale": wholesale_for_reseller(reseller),
        "rules": price_selectors.wholesale_rule_list(reseller_id=reseller.pk),
        "form": form,
    }
    return render(request, "tier2/wholesale.html", context)
