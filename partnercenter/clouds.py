"""Partner Center instances ("clouds"): where to log in, which API host to call, which audience to ask for.

Hosts follow Microsoft's "Partner Center REST URLs" page and the Partner Center PowerShell environment table.
The US Government and 21Vianet authorities come from the PowerShell module, not from a documentation page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = [
    "CHINA_21VIANET",
    "GERMANY",
    "GLOBAL",
    "PRESETS",
    "US_GOVERNMENT",
    "CloudInstance",
    "custom",
    "get_cloud",
]


@dataclass(frozen=True, slots=True)
class CloudInstance:
    """Endpoints of one Partner Center instance.

    ``authority_host`` is an origin (``https://login.microsoftonline.com``); the tenant is appended per partner.
    ``price_sheet_base_url`` is the Partner API host (price sheets, offer matrix); ``None`` where Microsoft
    documents none.
    """

    name: str
    authority_host: str
    api_base_url: str
    token_audience: str
    price_sheet_base_url: str | None
    price_sheet_audience: str | None
    admin_portal_url: str
    azure_portal_url: str
    retired: bool = False
    # Microsoft-hosted authorities are validated by MSAL; a local simulator or proxy is not.
    is_microsoft_authority: bool = True
    # Microsoft Graph, the second audience (partner billing exports, GDAP). ``graph_base_url`` is the service
    # root without a version; ``graph_billing_exports`` says whether the partner billing (reconciliation)
    # exports exist in this cloud: Microsoft documents them for the global service only.
    graph_base_url: str | None = None
    graph_audience: str | None = None
    graph_billing_exports: bool = False

    def authority(self, tenant_id: str) -> str:
        return f"{self.authority_host.rstrip('/')}/{tenant_id}"

    @property
    def app_only_scope(self) -> str:
        return f"{self.token_audience.rstrip('/')}/.default"

    @property
    def app_user_scope(self) -> str:
        return f"{self.token_audience.rstrip('/')}/user_impersonation"

    @property
    def graph_scope(self) -> str | None:
        """``<graph>/.default``: the app's consented Graph permissions (``PartnerBilling.Read.All``)."""
        if self.graph_audience is None:
            return None
        return f"{self.graph_audience.rstrip('/')}/.default"

    @property
    def graph_api_url(self) -> str | None:
        """The Graph v1.0 root calls are relative to."""
        return f"{self.graph_base_url.rstrip('/')}/v1.0" if self.graph_base_url else None

    @property
    def price_sheet_scope(self) -> str | None:
        if self.price_sheet_audience is None:
            return None
        return f"{self.price_sheet_audience.rstrip('/')}/user_impersonation"


_PC_AUDIENCE = "https://api.partnercenter.microsoft.com"
_PARTNER_API = "https://api.partner.microsoft.com"
# Microsoft Graph service roots per national cloud ("Microsoft Graph national cloud deployments" page).
_GRAPH = "https://graph.microsoft.com"
_GRAPH_US_GOV = "https://graph.microsoft.us"  # L4 (GCC High); L5 (DoD) is https://dod-graph.microsoft.us
_GRAPH_CHINA = "https://microsoftgraph.chinacloudapi.cn"

GLOBAL = CloudInstance(
    name="global",
    authority_host="https://login.microsoftonline.com",
    api_base_url=_PC_AUDIENCE,
    token_audience=_PC_AUDIENCE,
    price_sheet_base_url=_PARTNER_API,
    price_sheet_audience=_PARTNER_API,
    admin_portal_url="https://admin.microsoft.com",
    azure_portal_url="https://portal.azure.com",
    graph_base_url=_GRAPH,
    graph_audience=_GRAPH,
    graph_billing_exports=True,
)

US_GOVERNMENT = CloudInstance(
    name="us_government",
    authority_host="https://login.microsoftonline.us",
    api_base_url=_PC_AUDIENCE,
    token_audience=_PC_AUDIENCE,
    price_sheet_base_url=_PARTNER_API,
    price_sheet_audience=_PARTNER_API,
    admin_portal_url="https://portal.office365.us",
    azure_portal_url="https://portal.azure.us",
    graph_base_url=_GRAPH_US_GOV,
    graph_audience=_GRAPH_US_GOV,
)

CHINA_21VIANET = CloudInstance(
    name="china_21vianet",
    authority_host="https://login.chinacloudapi.cn",
    api_base_url="https://partner.partnercenterapi.microsoftonline.cn",
    token_audience="https://partner.partnercenterapi.microsoftonline.cn",
    # Price sheets come from the one Partner API host, with its own audience, in every cloud.
    price_sheet_base_url=_PARTNER_API,
    price_sheet_audience=_PARTNER_API,
    admin_portal_url="https://portal.partner.microsoftonline.cn",
    azure_portal_url="https://portal.azure.cn",
    graph_base_url=_GRAPH_CHINA,
    graph_audience=_GRAPH_CHINA,
)

# Microsoft Cloud Germany is retired; kept so historic configuration still resolves.
GERMANY = CloudInstance(
    name="germany",
    authority_host="https://login.microsoftonline.de",
    api_base_url=_PC_AUDIENCE,
    token_audience=_PC_AUDIENCE,
    price_sheet_base_url=_PARTNER_API,
    price_sheet_audience=_PARTNER_API,
    admin_portal_url="https://portal.office.de",
    azure_portal_url="https://portal.microsoftazure.de",
    retired=True,
    graph_base_url="https://graph.microsoft.de",
    graph_audience="https://graph.microsoft.de",
)

PRESETS: dict[str, CloudInstance] = {c.name: c for c in (GLOBAL, US_GOVERNMENT, CHINA_21VIANET, GERMANY)}


def get_cloud(name: str) -> CloudInstance:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown Partner Center cloud {name!r}; choose one of {sorted(PRESETS)}") from None


def custom(
    *,
    api_base_url: str,
    authority_host: str,
    token_audience: str | None = None,
    price_sheet_base_url: str | None = None,
    price_sheet_audience: str | None = None,
    admin_portal_url: str | None = None,
    azure_portal_url: str | None = None,
    graph_base_url: str | None = None,
    graph_audience: str | None = None,
    name: str = "custom",
    base: CloudInstance = GLOBAL,
) -> CloudInstance:
    """Custom endpoints (a simulator, a proxy). Unspecified values come from ``base``.

    The audiences default to ``base``'s so tokens look like production ones (the price-sheet audience is the
    Partner API's, never the Partner Center API's); the authority is not validated.
    Graph defaults to ``api_base_url`` (the simulator serves both), with the billing exports available.
    """
    return replace(
        base,
        name=name,
        api_base_url=api_base_url.rstrip("/"),
        authority_host=authority_host.rstrip("/"),
        token_audience=token_audience or base.token_audience,
        price_sheet_base_url=(price_sheet_base_url or api_base_url).rstrip("/"),
        price_sheet_audience=price_sheet_audience or base.price_sheet_audience or _PARTNER_API,
        admin_portal_url=admin_portal_url or base.admin_portal_url,
        azure_portal_url=azure_portal_url or base.azure_portal_url,
        retired=False,
        is_microsoft_authority=False,
        graph_base_url=(graph_base_url or api_base_url).rstrip("/"),
        graph_audience=graph_audience or base.graph_audience or _GRAPH,
        graph_billing_exports=True,
    )
