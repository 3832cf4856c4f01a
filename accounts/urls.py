"""Account pages under the "security" namespace: the sign-in steps and the account security page under /accounts/,
and /admin/login/ (the admin signs in through the two-step flow). config/urls.py mounts these together with the
back office's security tools (backoffice/security, backoffice/audit), which share the namespace."""

from django.urls import path

from accounts import views

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
]
