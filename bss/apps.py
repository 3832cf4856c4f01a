from django.apps import AppConfig


class BssConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "bss"
    verbose_name = "BSS core"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Microsoft Cloud Services",
                url_name="backoffice:cloud_services",
                description="Partner Center instances, credentials, test connection, annual billing switches.",
                permission="bss.view_partnercenterinstance",
            )
        )
