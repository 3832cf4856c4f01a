"""Security pages, mounted at the site root: the sign-in steps and account page under /accounts/, the back-office
tools under /backoffice/security/, and /admin/login/ (the admin signs in through the two-step flow)."""

from django.urls import path

from bss.security import views

app_name = "security"

urlpatterns = [
    path("accounts/login/verify/", views.login_verify, name="login_verify"),
    path("accounts/login/enrol/", views.login_enrol, name="login_enrol"),
    path("accounts/security/", views.account, name="account"),
    path("accounts/security/verify/", views.verify, name="verify"),
    path("accounts/security/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("accounts/security/recovery-codes/", views.recovery_codes_regenerate, name="recovery_codes"),
    path("accounts/security/disable/", views.mfa_disable, name="mfa_disable"),
    path("accounts/security/reseller-policy/", views.reseller_policy_require, name="reseller_policy_require"),
    path("admin/login/", views.admin_login_redirect, name="admin_login"),
    path("backoffice/security/audit/", views.audit_log, name="audit_log"),
    path("backoffice/security/audit/export.csv", views.audit_export, name="audit_export"),
    path("backoffice/security/audit/<int:event_id>/", views.audit_event, name="audit_event"),
    path("backoffice/security/signin/", views.signin_security, name="signin_security"),
    path("backoffice/security/signin/locks/<int:lockout_id>/unlock/", views.lockout_unlock, name="lockout_unlock"),
    path("backoffice/security/users/<int:user_id>/reset-mfa/", views.user_mfa_reset, name="user_mfa_reset"),
    path("backoffice/security/mfa-policy/", views.reseller_policies, name="reseller_policies"),
    path("backoffice/security/mfa-policy/<int:reseller_id>/", views.reseller_policy_set, name="reseller_policy_set"),
]
