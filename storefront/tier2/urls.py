"""Tier-2 routes, mounted at the site root by bss/urls.py: /m/<slug>/ (a tenant reseller's marketplace address),
/store/reseller/... (the tenant reseller admin's price list and change report) (the provider's price to
each tenant reseller is a back-office tool: backoffice/tier2)."""

from django.urls import path

from storefront.tier2 import views

app_name = "tier2"

urlpatterns = [
    path("m/<slug:slug>/", views.marketplace_entry, name="marketplace_entry"),
    path("m/<slug:slug>/logo", views.marketplace_logo, name="marketplace_logo"),
    path("store/reseller/price-list/", views.price_list, name="price_list"),
    path("store/reseller/price-list/markup/", views.default_markup, name="default_markup"),
    path("store/reseller/price-list/skus/<int:sku_id>/", views.sku_action, name="sku_action"),
    path("store/reseller/changes/", views.changes, name="changes"),
]
