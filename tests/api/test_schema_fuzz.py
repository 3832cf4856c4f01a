"""Schema-driven fuzzing of the API (schemathesis): no 5xx, responses conform to the schema, bad input -> 4xx.

Bounded and deterministic: a fixed number of examples per operation, derandomized."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.keys import api_key_create
from config.wsgi import application
from tests.factories.bss import MarketplaceFactory, ResellerUserFactory, SubscriptionFactory, reseller_of


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the WSGI app directly (not Django's test client), so Django would close "old"
    connections at each request's start and end, including the test's own transaction on PostgreSQL. Django's
    test client disconnects these handlers for the same reason."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db):
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def api_key(db):
    admin = ResellerUserFactory(is_reseller_admin=True)
    MarketplaceFactory(owner=admin.reseller.parent)
    SubscriptionFactory(tenant__customer__reseller=admin.reseller)
    _key, secret = api_key_create(actor=admin, reseller=reseller_of(admin), name="fuzz")
    return secret


@pytest.fixture(autouse=True)
def _no_throttling(monkeypatch):
    from api.throttling import PerKeyRateThrottle

    monkeypatch.setattr(PerKeyRateThrottle, "THROTTLE_RATES", {"per_key": "100000/min"})


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, api_key):
    # Business rules (a change already in progress, a plan not sold...) legitimately refuse schema-valid input,
    # so "positive data must be accepted" is not a property of this API; every other check applies.
    case.call_and_validate(
        headers={"Authorization": f"Api-Key {api_key}", "Idempotency-Key": "fuzz"},
        excluded_checks=[positive_data_acceptance],
    )
