from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Account and secret security: MFA, sign-in throttling, audit log viewer, staff roles."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "bss.security"
    label = "security"
    verbose_name = "Security"
