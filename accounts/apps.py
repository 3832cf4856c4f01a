from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in, second factor, password reset and account security pages for every role."""

    name = "accounts"
    verbose_name = "Accounts"
