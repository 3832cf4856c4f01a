from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Account and secret security: MFA, sign-in throttling, audit log viewer, staff roles."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "bss.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from bss.backoffice.tools import Tool, register_tool

        register_tool(
            Tool(
                title="Audit log",
                url_name="security:audit_log",
                description="Every state change: who, what, when, before/after, from which IP. Search and CSV export.",
                permission="bss.view_auditevent",
            )
        )
        register_tool(
            Tool(
                title="Sign-in security",
                url_name="security:signin_security",
                description="Locked sign-ins, MFA status of users, MFA reset and unlock.",
                permission="security.view_loginlockout",
            )
        )
        register_tool(
            Tool(
                title="Reseller MFA policy",
                url_name="security:reseller_policies",
                description="Which resellers require multi-factor authentication for their users.",
                permission="security.view_resellermfapolicy",
            )
        )
