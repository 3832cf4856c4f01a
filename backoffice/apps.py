from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The staff's pages: BSS Setup > Tools and the lists behind the dashboard. No models of its own."""

    name = "backoffice"
    verbose_name = "Back office"
