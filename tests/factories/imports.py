"""Factories for reconciliation.imports: import runs, the resellers and customers they meet, and result rows."""

from __future__ import annotations

import factory

from reconciliation.imports.choices import Classification, Outcome, ResellerAction, RowObject, RunStatus
from reconciliation.imports.models import ImportItem, ImportReseller, ImportResultRow, ImportRun
from tests.factories.base import ModelFactory
from tests.factories.bss import PartnerCenterInstanceFactory


class ImportRunFactory(ModelFactory[ImportRun]):
    """A run whose preview is ready (not active: an instance may have one active run only)."""

    class Meta:
        model = ImportRun

    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    status = RunStatus.READY


class ImportResellerFactory(ModelFactory[ImportReseller]):
    class Meta:
        model = ImportReseller

    run = factory.SubFactory(ImportRunFactory)
    partner_id = factory.Sequence(lambda n: f"{6000000 + n}")
    pc_name = factory.Sequence(lambda n: f"Indirect reseller {n}")
    action = ResellerAction.CREATE


class ImportItemFactory(ModelFactory[ImportItem]):
    class Meta:
        model = ImportItem

    run = factory.SubFactory(ImportRunFactory)
    position = factory.Sequence(lambda n: n)
    pc_customer_id = factory.Faker("uuid4")
    domain = factory.Sequence(lambda n: f"imported{n}.onmicrosoft.com")
    company_name = factory.Sequence(lambda n: f"Imported customer {n}")
    classification = Classification.NEW
    selected = True


class ImportResultRowFactory(ModelFactory[ImportResultRow]):
    class Meta:
        model = ImportResultRow

    item = factory.SubFactory(ImportItemFactory)
    run = factory.SelfAttribute("item.run")
    object_type = RowObject.CUSTOMER
    pc_id = factory.SelfAttribute("item.pc_customer_id")
    name = factory.SelfAttribute("item.company_name")
    outcome = Outcome.CREATED
