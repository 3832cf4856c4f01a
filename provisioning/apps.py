from django.apps import AppConfig


class ProvisioningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "provisioning"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Provisioning operations",
                url_name="provisioning:operation_list",
                description="Every Partner Center write and wait: status, attempts, errors; retry a failed step.",
                permission="provisioning.view_provisioningoperation",
            )
        )
        register_tool(
            Tool(
                title="MCA log",
                url_name="provisioning:mca_log",
                description="Microsoft Customer Agreement acceptances: who, role, when, IP, template; CSV export.",
                permission="bss.view_mcaacceptance",
            )
        )
