from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bss.choices import Cloud
from bss.models import PartnerCenterInstance
from partnercenter.simulator import catalog_data as cd
from partnercenter.simulator.pricesheet import iter_pricesheet_lines
from tests.factories.bss import MarketplaceFactory, PartnerCenterInstanceFactory

JUNE = dt.date(2025, 6, 1)


@pytest.fixture
def instance(db) -> PartnerCenterInstance:
    return PartnerCenterInstanceFactory(annual_provisioning_enabled=True)


@pytest.fixture
def marketplace(instance):
    return MarketplaceFactory(instance=instance, market="US", currency="USD", annual_billing_enabled=True)


def write_sheet(path: Path, lines) -> Path:
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path


@pytest.fixture
def sheet_file(tmp_path):
    def make(catalog=None, *, name="sheet.csv", at=JUNE, rows=None, market="US", edit=None) -> Path:
        catalog = catalog or cd.catalog_for_market(market)
        lines = list(iter_pricesheet_lines(catalog, effective_date=at, rows=rows))
        if edit is not None:
            lines = edit(lines)
        return write_sheet(tmp_path / name, lines)

    return make


@pytest.fixture
def sim_instance(pc_sim, settings, db) -> PartnerCenterInstance:
    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    settings.PARTNER_CENTER_MAX_RETRIES = 0
    partner = pc_sim.partners.direct
    return PartnerCenterInstance.objects.create(
        name="Simulated partner",
        cloud=Cloud.CUSTOM,
        api_base_url=pc_sim.base_url,
        login_authority_url=pc_sim.login_url,
        partner_tenant_id=partner.tenant_id,
        partner_id=partner.mpn_id,
        application_id=partner.client_id,
        application_secret=partner.client_secret,
        refresh_token=partner.refresh_token,
        annual_provisioning_enabled=True,
    )
