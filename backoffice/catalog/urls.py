"""Back-office routes of the catalog app, mounted at /backoffice/catalog/ (BSS Setup > Tools)."""

from django.urls import path

from backoffice.catalog import views

app_name = "catalog"

urlpatterns = [
    # Catalog update: syncs, price-list imports and their change reports.
    path("runs/", views.run_list, name="runs"),
    path("runs/sync/", views.sync_start, name="sync_start"),
    path("runs/import/", views.pricesheet_upload, name="pricesheet_upload"),
    path("runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_id>/progress.json", views.run_progress, name="run_progress"),
    path("runs/<int:run_id>/confirm/", views.run_confirm, name="run_confirm"),
    path("runs/<int:run_id>/discard/", views.run_discard, name="run_discard"),
    path("products/<int:product_id>/", views.product_detail, name="product_detail"),
    # Published catalog: what each marketplace sells and at what price.
    path("marketplaces/", views.marketplace_list, name="marketplaces"),
    path("marketplaces/<int:marketplace_id>/", views.marketplace_detail, name="marketplace_detail"),
    path("marketplaces/<int:marketplace_id>/markup/", views.default_markup_view, name="default_markup"),
    path("marketplaces/<int:marketplace_id>/settings/", views.catalog_settings_view, name="catalog_settings"),
    path("marketplaces/<int:marketplace_id>/skus/<int:sku_id>/", views.sku_pricing, name="sku_pricing"),
    path("marketplaces/<int:marketplace_id>/skus/<int:sku_id>/publish/", views.offer_publish_view,
         name="offer_publish"),
    path("marketplaces/<int:marketplace_id>/skus/<int:sku_id>/markup/", views.sku_markup_view, name="sku_markup"),
]
