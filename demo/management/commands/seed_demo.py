"""Demo data: a provider with two Partner Center instances on the simulator, two resellers, a few customers, and
the demo customer user's company with the tenant and subscriptions the simulator's seed gives it (Relecloud,
Tailspin's customer at the indirect provider), so every role has something to try.

Idempotent: a second run leaves existing rows alone (and adds the customer's workspace if it is missing)."""

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from bss.choices import Cloud, CspModel, RelationshipStatus, ResellerKind, UserRole
from bss.models import Customer, Marketplace, PartnerCenterInstance, Reseller, User
from bss.partner_center import build_client
from bss.services.accounts import customer_create, marketplace_create, reseller_create, tenant_create, user_create
from bss.services.instances import instance_create, instance_update
from bss.services.subscriptions import subscription_record_from_partner_center
from partnercenter.errors import PartnerCenterError

# The simulator's seeded partner accounts: an indirect provider on the global cloud, a direct partner on 21Vianet.
from partnercenter.simulator.seed import CHINA_TENANT, INDIRECT_TENANT, RESELLERS
from partnercenter.simulator.testing import Control

# The simulator accepts any client id/secret and refresh token for its seeded partners.
DEMO_INSTANCES: list[dict[str, Any]] = [
    {
        "name": "Fabrikam global cloud (simulator)",
        "cloud": Cloud.GLOBAL,
        "partner_tenant_id_option": "global_tenant",
        "partner_id": "4712002",
        "csp_model": CspModel.INDIRECT_PROVIDER,
        "default_market": "US",
        "default_currency": "USD",
        "markets": ["GB", "DE"],
        "annual_provisioning_enabled": True,
    },
    {
        "name": "Fabrikam 21Vianet (simulator)",
        "cloud": Cloud.CHINA_21VIANET,
        "partner_tenant_id_option": "china_tenant",
        "partner_id": "4712003",
        "csp_model": CspModel.DIRECT,
        "default_market": "CN",
        "default_currency": "CNY",
        "markets": [],
        "annual_provisioning_enabled": False,
    },
]

# The tenant reseller is not one of the simulator's seeded indirect resellers; run_demo registers it there.
TENANT_RESELLER_MPN = "5100002"
TENANT_RESELLER_TENANT_ID = "7d2e1f0a-4c8b-4d3e-8a71-2b3c4d5e6f21"

# The demo's customer user works for the simulator's seeded indirect customer (Relecloud, sold by Tailspin): its
# tenant and subscriptions are read from the simulator, so the workspace shows what Partner Center holds.
CUSTOMER_USER = "relecloud"
TAILSPIN_MPN = RESELLERS[0].mpn_id

DEMO_USERS = ["admin", "tailspin", "northwind", CUSTOMER_USER]


class Command(BaseCommand):
    help = "Create demo data (provider, instances on the simulator, resellers, customers, users)."

    def add_arguments(self, parser):
        parser.add_argument("--simulator-url", default="https://127.0.0.1:8765")
        parser.add_argument("--global-tenant", default=INDIRECT_TENANT, help="Partner tenant id (global cloud)")
        parser.add_argument("--china-tenant", default=CHINA_TENANT, help="Partner tenant id (21Vianet)")
        parser.add_argument(
            "--simulator-ca",
            default=str(Path(settings.VAR_DIR) / "simulator" / "ca.pem"),
            help="The simulator's CA certificate (run_demo writes it there)",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if Reseller.objects.filter(kind=ResellerKind.PROVIDER).exists():
            self.stdout.write("Demo data already present; leaving it as it is.")
            self._point_instances_at(options["simulator_url"])
            self._seed_customer_workspace(options["simulator_url"], options["simulator_ca"])
            return
        url = options["simulator_url"]
        instances = {}
        for spec in DEMO_INSTANCES:
            fields = {k: v for k, v in spec.items() if k != "partner_tenant_id_option"}
            instances[spec["cloud"]] = instance_create(
                actor=None,
                api_base_url=url,
                login_authority_url=url,
                price_sheet_base_url=url,
                partner_tenant_id=options[spec["partner_tenant_id_option"]],
                application_id="00000000-demo-app0-0000-000000000001",
                application_secret="demo-application-secret",
                refresh_token="demo-refresh-token",
                **fields,
            )
        global_instance = instances[Cloud.GLOBAL]

        provider = reseller_create(
            actor=None, name="Fabrikam Distribution", kind=ResellerKind.PROVIDER, partner_id="4712002"
        )
        provider_store = marketplace_create(
            actor=None,
            owner=provider,
            name="Fabrikam Distribution Marketplace",
            slug="provider",
            instance=global_instance,
        )
        light = reseller_create(
            actor=None,
            name="Tailspin Toys IT",
            kind=ResellerKind.LIGHT,
            parent=provider,
            partner_id=TAILSPIN_MPN,
            email="sales@tailspin.example",
        )
        tenant_reseller = reseller_create(
            actor=None,
            name="Northwind Cloud Solutions",
            kind=ResellerKind.TENANT,
            parent=provider,
            partner_id=TENANT_RESELLER_MPN,
            pc_tenant_id=TENANT_RESELLER_TENANT_ID,
            email="hello@northwind.example",
        )
        tenant_store = marketplace_create(
            actor=None,
            owner=tenant_reseller,
            name="Northwind Cloud Store",
            slug="northwind",
            instance=global_instance,
            primary_color="#7a2e8e",
        )
        address = {"city": "Redmond", "state": "WA", "postal_code": "98052", "address_line1": "1 Microsoft Way"}
        # Customers without a tenant yet: something to order for.
        customer_create(
            actor=None,
            reseller=provider,
            marketplace=provider_store,
            company_name="Adatum Corporation",
            contact_first_name="Ada",
            contact_last_name="Tum",
            contact_email="it@adatum.example",
            **address,
        )
        customer_create(
            actor=None,
            reseller=light,
            marketplace=provider_store,
            company_name="Trey Research",
            contact_first_name="Tess",
            contact_last_name="Rey",
            contact_email="admin@treyresearch.example",
            **address,
        )
        customer_create(
            actor=None,
            reseller=light,
            marketplace=provider_store,
            company_name="Wide World Importers",
            contact_email="it@wwi.example",
            **address,
        )
        customer_create(
            actor=None,
            reseller=tenant_reseller,
            marketplace=tenant_store,
            company_name="Proseware Inc",
            contact_email="ops@proseware.example",
            **address,
        )
        placeholder = secrets.token_urlsafe(24)  # run_demo sets fresh, printed passwords on every start
        admin = user_create(
            actor=None,
            username="admin",
            password=placeholder,
            email="admin@fabrikam.example",
            role=UserRole.PROVIDER_STAFF,
        )
        admin.is_superuser = True
        admin.save(update_fields=["is_superuser"])
        for username, reseller in (("tailspin", light), ("northwind", tenant_reseller)):
            user_create(
                actor=None,
                username=username,
                password=placeholder,
                role=UserRole.RESELLER,
                reseller=reseller,
                is_reseller_admin=True,
            )
        self._seed_customer_workspace(url, options["simulator_ca"])
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {Reseller.objects.count()} resellers, {Marketplace.objects.count()} marketplaces, "
                f"{Customer.objects.count()} customers, "
                f"{PartnerCenterInstance.objects.count()} Partner Center instances."
            )
        )

    def _seed_customer_workspace(self, url: str, ca: str) -> None:
        """Relecloud, its tenant and subscriptions as the simulator's seed has them (read through Partner Center's
        API, as an import would), and the demo customer user who works there."""
        if User.objects.filter(username=CUSTOMER_USER).exists():
            return
        instance = PartnerCenterInstance.objects.filter(cloud=Cloud.GLOBAL, name=DEMO_INSTANCES[0]["name"]).first()
        tailspin = Reseller.objects.filter(kind=ResellerKind.LIGHT, partner_id=TAILSPIN_MPN).first()
        store = Marketplace.objects.filter(slug="provider").first()
        if instance is None or tailspin is None or store is None:
            return
        verify: str | bool = ca if Path(ca).exists() else True
        if isinstance(verify, str) and not settings.PARTNER_CENTER_CA_BUNDLE:
            settings.PARTNER_CENTER_CA_BUNDLE = verify  # run_demo sets the same right after seeding
        try:
            pc_customer_id = Control(url, verify=verify, timeout=10).seeded["indirect_customer"]
            client = build_client(instance)
            pc_customer = client.customers.get(customer_id=pc_customer_id)
            pc_subscriptions = client.subscriptions.list(customer_id=pc_customer_id)
        except (OSError, RuntimeError, KeyError, PartnerCenterError) as exc:
            self.stdout.write(self.style.WARNING(f"The simulator at {url} did not answer ({exc}); the demo customer "
                                                 "user is created on the next start."))
            return
        customer = customer_create(
            actor=None,
            reseller=tailspin,
            marketplace=store,
            company_name=pc_customer.company_name or "Relecloud",
            contact_first_name="Rene",
            contact_last_name="Cloud",
            contact_email="it@relecloud.example",
            city="Redmond",
            state="WA",
            postal_code="98052",
            address_line1="1 Microsoft Way",
        )
        tenant = tenant_create(
            actor=None,
            customer=customer,
            instance=instance,
            default_domain=pc_customer.domain or "relecloudltd.onmicrosoft.com",
            pc_customer_id=pc_customer_id,
            relationship_status=RelationshipStatus.ACTIVE,
        )
        for pc in pc_subscriptions:
            subscription_record_from_partner_center(tenant=tenant, order_line=None, pc=pc)
        user_create(
            actor=None,
            username=CUSTOMER_USER,
            password=secrets.token_urlsafe(24),  # run_demo prints a fresh one
            email="it@relecloud.example",
            role=UserRole.CUSTOMER,
            customer=customer,
        )
        self.stdout.write(f"Seeded {customer.company_name}: tenant {tenant.default_domain}, "
                          f"{len(pc_subscriptions)} subscription(s), customer user {CUSTOMER_USER}.")

    def _point_instances_at(self, url: str) -> None:
        # The simulator may run on another port than last time; keep the demo instances pointed at it.
        for instance in PartnerCenterInstance.objects.filter(name__endswith="(simulator)").exclude(api_base_url=url):
            instance_update(
                actor=None, instance=instance, api_base_url=url, login_authority_url=url, price_sheet_base_url=url
            )
