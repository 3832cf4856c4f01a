"""Every URL of the product, in one place: which door (page, API) is mounted where."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import accounts.urls
import backoffice.security.urls
from api import key_views
from config import views

# The account pages and the back office's security tools share one URL namespace ("security").
security_patterns: tuple[list[URLPattern | URLResolver], str] = (
    [*accounts.urls.urlpatterns, path("backoffice/security/", include(backoffice.security.urls.urlpatterns))],
    "security",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    # Two-step sign-in (password, then authenticator code), password reset, account security, audit log viewer.
    path("accounts/", include("accounts.auth_urls")),
    path("", include(security_patterns)),
    path("admin/", admin.site.urls),
    path("backoffice/", include("backoffice.urls")),
    path("backoffice/reconciliation/", include("backoffice.reconciliation.urls")),
    path("backoffice/provisioning/", include("backoffice.provisioning.urls")),
    path("backoffice/import/", include("backoffice.imports.urls")),
    path("backoffice/catalog/", include("backoffice.catalog.urls")),
    path("backoffice/tier2/", include("backoffice.tier2.urls")),
    path("backoffice/billing/", include("backoffice.billing.urls")),
    path("backoffice/gdap/", include("backoffice.gdap.urls")),
    path("backoffice/renewals/", include("backoffice.renewals.urls")),
    path("backoffice/money/", include("backoffice.money.urls")),
    path("backoffice/usage/", include("backoffice.usage.urls")),
    path("store/workspace/usage/", include("storefront.workspace.usage_urls")),
    path("store/workspace/", include("storefront.workspace.urls")),
    path("store/invoices/", include("storefront.invoices.urls")),
    path("store/", include("storefront.urls")),
    path("store/api-keys/", key_views.api_keys, name="api_keys"),
    path("store/api-keys/<int:key_id>/revoke/", key_views.api_key_revoke_view, name="api_key_revoke"),
    path("", include("storefront.tier2.urls")),  # tier-2: /m/<slug>/, /store/reseller/
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "config.views.not_found"
