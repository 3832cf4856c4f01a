"""Back-office security tools, mounted under /backoffice/security/ in the "security" namespace (config/urls.py)."""

from django.urls import path

from backoffice.audit import views as audit
from backoffice.security import views

urlpatterns = [
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
    path("audit/<int:event_id>/", audit.audit_event, name="audit_event"),
    path("signin/", views.signin_security, name="signin_security"),
    path("signin/locks/<int:lockout_id>/unlock/", views.lockout_unlock, name="lockout_unlock"),
    path("users/<int:user_id>/reset-mfa/", views.user_mfa_reset, name="user_mfa_reset"),
    path("mfa-policy/", views.reseller_policies, name="reseller_policies"),
    path("mfa-policy/<int:reseller_id>/", views.reseller_policy_set, name="reseller_policy_set"),
]
