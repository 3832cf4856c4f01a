from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Connects the "finalised invoice → e-mail its PDF" receiver in every process (web and worker), not only in
        # those that happened to import the tasks module.
        from billing import delivery_tasks  # noqa: F401
