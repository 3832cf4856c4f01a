from bss.models.accounts import Customer, Marketplace, MicrosoftTenant, Reseller, User
from bss.models.audit import AuditEvent
from bss.models.gdap import GdapRelationship, GdapRoleTemplate
from bss.models.instances import PartnerCenterInstance
from bss.models.mca import MCAAcceptance
from bss.models.orders import Order, OrderLine
from bss.models.renewals import NextTermInstruction
from bss.models.subscriptions import AzureEntitlement, LicenseLedgerEntry, Subscription

__all__ = [
    "AuditEvent",
    "AzureEntitlement",
    "Customer",
    "GdapRelationship",
    "GdapRoleTemplate",
    "LicenseLedgerEntry",
    "MCAAcceptance",
    "Marketplace",
    "MicrosoftTenant",
    "NextTermInstruction",
    "Order",
    "OrderLine",
    "PartnerCenterInstance",
    "Reseller",
    "Subscription",
    "User",
]
