from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation"
    verbose_name = "Subscriptions validation/reconciliation"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Subscriptions Validation/Reconciliation",
                url_name="reconciliation:home",
                description="Compare every BSS subscription with Partner Center, review the differences and fix "
                "them (adopt, push, link, import, accept), alone or in bulk.",
                permission="reconciliation.view_reconciliationrun",
            )
        )
