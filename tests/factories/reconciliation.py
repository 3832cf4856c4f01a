"""Factories for the reconciliation app: runs, per-customer checks, findings and auto-apply policies."""

from __future__ import annotations

import factory
from django.utils import timezone

from reconciliation.choices import CustomerCheckStatus, FindingKind, FindingStatus, RunScope, RunStatus
from reconciliation.models import AutoApplyPolicy, Finding, ReconciliationCustomerCheck, ReconciliationRun
from tests.factories.base import ModelFactory
from tests.factories.bss import MicrosoftTenantFactory, PartnerCenterInstanceFactory, SubscriptionFactory


class ReconciliationRunFactory(ModelFactory[ReconciliationRun]):
    """An instance-wide run; pass scope=RunScope.RESELLER/CUSTOMER with reseller=/customer= for the others."""

    class Meta:
        model = ReconciliationRun

    scope = RunScope.INSTANCE
    instance = factory.SubFactory(PartnerCenterInstanceFactory)
    status = RunStatus.COMPLETED


class ReconciliationCustomerCheckFactory(ModelFactory[ReconciliationCustomerCheck]):
    class Meta:
        model = ReconciliationCustomerCheck

    run = factory.SubFactory(ReconciliationRunFactory)
    tenant = factory.SubFactory(MicrosoftTenantFactory, instance=factory.SelfAttribute("..run.instance"))
    status = CustomerCheckStatus.DONE


class FindingFactory(ModelFactory[Finding]):
    """An open quantity mismatch of one subscription."""

    class Meta:
        model = Finding

    run = factory.SubFactory(ReconciliationRunFactory)
    kind = FindingKind.QUANTITY
    status = FindingStatus.OPEN
    subscription = factory.SubFactory(SubscriptionFactory)
    tenant = factory.SelfAttribute("subscription.tenant")
    customer = factory.SelfAttribute("subscription.customer")
    pc_customer_id = factory.SelfAttribute("tenant.pc_customer_id")
    pc_subscription_id = factory.SelfAttribute("subscription.pc_subscription_id")
    summary = "Quantity: BSS 5, Partner Center 6"
    bss_values = factory.LazyFunction(lambda: {"quantity": 5})
    pc_values = factory.LazyFunction(lambda: {"quantity": 6})
    last_seen_at = factory.LazyFunction(timezone.now)


class AutoApplyPolicyFactory(ModelFactory[AutoApplyPolicy]):
    class Meta:
        model = AutoApplyPolicy
        django_get_or_create = ("kind",)

    kind = FindingKind.QUANTITY
    enabled = True
