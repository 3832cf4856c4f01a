import os
from pathlib import Path

import pytest

from bss.celery import app as celery_app

# The Partner Center simulator's fixtures (pc_sim, ...) are available to every test.
if (Path(__file__).resolve().parent.parent / "partnercenter" / "simulator" / "pytest_plugin.py").exists():
    pytest_plugins = ["partnercenter.simulator.pytest_plugin"]


@pytest.fixture(autouse=True)
def _celery_eager(settings):
    """Tasks run inline in tests (the real-worker test opts out), so a test sees the whole effect of an action."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def pc_instance(pc_sim, settings):
    """A Partner Center instance record bound to the simulator's direct partner (global cloud), with App+User."""
    from tests.factories.bss import PartnerCenterInstanceFactory

    settings.PARTNER_CENTER_CA_BUNDLE = pc_sim.ca_bundle
    partner = pc_sim.partners.direct
    return PartnerCenterInstanceFactory(
        name="Simulator (direct)",
        api_base_url=pc_sim.base_url,
        login_authority_url=pc_sim.login_url,
        price_sheet_base_url=pc_sim.base_url,
        partner_tenant_id=partner.tenant_id,
        partner_id=partner.mpn_id,
        application_id=partner.client_id,
        application_secret=partner.client_secret,
        refresh_token=partner.refresh_token,
    )


def redis_url_for_tests() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
