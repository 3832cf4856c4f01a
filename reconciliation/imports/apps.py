from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reconciliation.imports"
    label = "imports"
    verbose_name = "Import of Office 365 customers"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Import Office 365 Customers",
                url_name="imports:home",
                description="Bring existing Partner Center customers, tenants and subscriptions into the BSS "
                "(CSP direct and indirect), with a preview and a result report.",
                permission="imports.run_import",
            )
        )
