"""BSS Setup > Tools: the back office's tools, one static list. Each tool names its page and the Django permission
(app_label.codename) a staff member needs; the page itself checks the same permission (backoffice.access)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    title: str
    url_name: str
    description: str
    # Django permission ("app_label.codename") a staff member needs to open the tool; empty = any staff.
    permission: str = ""


TOOLS: tuple[Tool, ...] = (
    Tool(
        title="Microsoft Cloud Services",
        url_name="backoffice:cloud_services",
        description="Partner Center instances, credentials, test connection, annual billing switches.",
        permission="bss.view_partnercenterinstance",
    ),
    Tool(
        title="Audit log",
        url_name="security:audit_log",
        description="Every state change: who, what, when, before/after, from which IP. Search and CSV export.",
        permission="bss.view_auditevent",
    ),
    Tool(
        title="Sign-in security",
        url_name="security:signin_security",
        description="Locked sign-ins, MFA status of users, MFA reset and unlock.",
        permission="security.view_loginlockout",
    ),
    Tool(
        title="Reseller MFA policy",
        url_name="security:reseller_policies",
        description="Which resellers require multi-factor authentication for their users.",
        permission="security.view_resellermfapolicy",
    ),
    Tool(
        title="Catalog update",
        url_name="catalog:runs",
        description="Sync Microsoft's catalog and price list, import a price-list file, change reports.",
        permission="catalog.view_catalogsyncrun",
    ),
    Tool(
        title="Published catalog",
        url_name="catalog:marketplaces",
        description="What each marketplace sells, markup rules and price preview.",
        permission="catalog.view_offer",
    ),
    Tool(
        title="Provisioning operations",
        url_name="provisioning:operation_list",
        description="Every Partner Center write and wait: status, attempts, errors; retry a failed step.",
        permission="provisioning.view_provisioningoperation",
    ),
    Tool(
        title="MCA log",
        url_name="provisioning:mca_log",
        description="Microsoft Customer Agreement acceptances: who, role, when, IP, template; CSV export.",
        permission="bss.view_mcaacceptance",
    ),
    Tool(
        title="Subscriptions Validation/Reconciliation",
        url_name="reconciliation:home",
        description="Compare every BSS subscription with Partner Center, review the differences and fix "
        "them (adopt, push, link, import, accept), alone or in bulk.",
        permission="reconciliation.view_reconciliationrun",
    ),
    Tool(
        title="Azure usage",
        url_name="usage:home",
        description="Azure plan daily-rated usage per customer, Azure subscription and meter category: imports, "
        "chart, forecast, CSV; budgets and alerts.",
        permission="usage.view_usageimport",
    ),
    Tool(
        title="Renewal planner",
        url_name="renewals:planner",
        description="Renewals due in the next days: seats, price at renewal, changes at renewal (set in bulk), "
        "reminders sent; CSV export.",
        permission="bss.view_subscription",
    ),
    Tool(
        title="Import Office 365 Customers",
        url_name="imports:home",
        description="Bring existing Partner Center customers, tenants and subscriptions into the BSS "
        "(CSP direct and indirect), with a preview and a result report.",
        permission="imports.run_import",
    ),
    Tool(
        title="Billing",
        url_name="billing:home",
        description="Issuers, billing day, tax rules, invoice runs (preview, finalise), invoices, credit notes, "
        "unbilled charges; CSV/Excel, accounting export and margin report.",
        permission="billing.view_invoice",
    ),
    Tool(
        title="GDAP relationships",
        url_name="gdap:list",
        description="Customers' delegated admin relationships: status, roles, end date, access; role templates; "
        "filters (status, expiring within N days, template) and CSV export.",
        permission="bss.view_gdaprelationship",
    ),
    Tool(
        title="Microsoft invoices and margin reconciliation",
        url_name="money:home",
        description="Microsoft's invoices per instance (import, progress), their three-way reconciliation with "
        "our invoices (margin, leakage, variances by cause, drill-down, accept or bill it), a monthly chart and "
        "the unbilled preview of the open month.",
        permission="money.view_microsoftinvoice",
    ),
)


def tools_for(user: object) -> list[Tool]:
    has_perm = getattr(user, "has_perm", lambda perm: False)
    return sorted(
        (tool for tool in TOOLS if not tool.permission or has_perm(tool.permission)),
        key=lambda tool: tool.title,
    )
