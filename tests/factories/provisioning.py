"""Factories for the provisioning app: operations, their attempts and a new tenant's initial admin credentials."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from provisioning.choices import AttemptOutcome, OperationKind, OperationStatus
from provisioning.models import InitialAdminCredentials, ProvisioningAttempt, ProvisioningOperation
from tests.factories.base import ModelFactory
from tests.factories.bss import OrderFactory


class ProvisioningOperationFactory(ModelFactory[ProvisioningOperation]):
    class Meta:
        model = ProvisioningOperation

    kind = OperationKind.CREATE_CART
    status = OperationStatus.PENDING
    order = factory.SubFactory(OrderFactory)
    instance = factory.SelfAttribute("order.tenant.instance")
    tenant = factory.SelfAttribute("order.tenant")
    sequence = factory.Sequence(lambda n: n)


class ProvisioningAttemptFactory(ModelFactory[ProvisioningAttempt]):
    class Meta:
        model = ProvisioningAttempt

    operation = factory.SubFactory(ProvisioningOperationFactory)
    number = 1
    started_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(seconds=1))
    finished_at = factory.LazyFunction(timezone.now)
    duration_ms = 1000
    outcome = AttemptOutcome.SUCCEEDED
    http_status = 200


class InitialAdminCredentialsFactory(ModelFactory[InitialAdminCredentials]):
    class Meta:
        model = InitialAdminCredentials

    order = factory.SubFactory(OrderFactory)
    user_name = factory.LazyAttribute(lambda o: f"admin@{o.order.tenant.default_domain}")
    password = "Initial-Passw0rd!"
