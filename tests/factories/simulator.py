"""Partner Center instance records bound to the test simulator (one place for every test package)."""

from bss.choices import CspModel
from bss.models import PartnerCenterInstance
from tests.factories.bss import PartnerCenterInstanceFactory


def use_simulator(settings, pc_sim) -> None:
    """Trust the simulator's CA, make one try per call (an injected fault fails at once; nobody sleeps through
    back-offs) and let orders complete at once."""
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    pc_sim.control.configure(order_provisioning_seconds=0)


def sim_instance(pc_sim, partner=None, **fields) -> PartnerCenterInstance:
    """An instance pointed at the simulator for one of its seeded partners (the direct partner by default), with
    App+User credentials; `fields` override anything."""
    partner = partner or pc_sim.partners.direct
    defaults = {
        "name": f"{partner.name} (simulator)",
        "api_base_url": pc_sim.base_url,
        "login_authority_url": pc_sim.login_url,
        "price_sheet_base_url": pc_sim.base_url,
        "partner_tenant_id": partner.tenant_id,
        "partner_id": partner.mpn_id,
        "application_id": partner.client_id,
        "application_secret": partner.client_secret,
        "refresh_token": partner.refresh_token,
        "csp_model": CspModel.INDIRECT_PROVIDER if partner.kind == "indirect_provider" else CspModel.DIRECT,
    }
    return PartnerCenterInstanceFactory(**{**defaults, **fields})
