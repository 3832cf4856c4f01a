from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from bss import views
from bss.api import key_views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    # Two-step sign-in (password, then authenticator code), password reset, account security, audit log viewer.
    path("accounts/", include("bss.security.auth_urls")),
    path("", include("bss.security.urls")),
    path("admin/", admin.site.urls),
    path("backoffice/", include("bss.backoffice.urls")),
    path("backoffice/reconciliation/", include("reconciliation.urls")),
    path("backoffice/provisioning/", include("provisioning.urls")),
    path("backoffice/import/", include("reconciliation.imports.urls")),
    path("backoffice/catalog/", include("catalog.urls")),
    path("store/workspace/", include("storefront.workspace.urls")),
    path("store/", include("storefront.urls")),
    path("store/api-keys/", key_views.api_keys, name="api_keys"),
    path("store/api-keys/<int:key_id>/revoke/", key_views.api_key_revoke_view, name="api_key_revoke"),
    path("", include("storefront.tier2.urls")),  # tier-2: /m/<slug>/, /store/reseller/, /backoffice/tier2/
    path("api/v1/", include("bss.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "bss.views.not_found"
