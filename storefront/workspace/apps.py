from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "storefront.workspace"
    label = "workspace"
    verbose_name = "Customer workspaces"
    default_auto_field = "django.db.models.BigAutoField"
