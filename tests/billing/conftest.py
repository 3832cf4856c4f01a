import pytest

from billing.models import Issuer
from bss.models import Reseller
from tests.factories.billing import IssuerFactory, TaxRuleFactory
from tests.factories.bss import ProviderFactory


@pytest.fixture
def provider(db) -> Reseller:
    return ProviderFactory(name="Contoso CSP", country="FR")


@pytest.fixture
def issuer(provider) -> Issuer:
    """The provider as issuer, in France, with the French domestic VAT rule (20 %)."""
    TaxRuleFactory()
    return IssuerFactory(reseller=provider, name="Contoso CSP SAS")
