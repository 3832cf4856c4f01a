from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

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
