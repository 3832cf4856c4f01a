from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Catalog update",
                url_name="catalog:runs",
                description="Sync Microsoft's catalog and price list, import a price-list file, change reports.",
                permission="catalog.view_catalogsyncrun",
            )
        )
        register_tool(
            Tool(
                title="Published catalog",
                url_name="catalog:marketplaces",
                description="What each marketplace sells, markup rules and price preview.",
                permission="catalog.view_offer",
            )
        )
