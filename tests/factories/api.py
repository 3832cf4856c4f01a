"""Factories for the api app: API keys (with a known secret) and idempotency records."""

from __future__ import annotations

import hashlib

import factory

from api.models import ApiKey, IdempotencyRecord
from tests.factories.base import ModelFactory
from tests.factories.bss import ResellerFactory, ResellerUserFactory


class ApiKeyFactory(ModelFactory[ApiKey]):
    """`secret` (a parameter) is the part after the dot: the bearer token is f"{key.prefix}.{secret}"."""

    class Meta:
        model = ApiKey

    class Params:
        secret = "test-secret"

    reseller = factory.SubFactory(ResellerFactory)
    name = factory.Sequence(lambda n: f"Key {n}")
    prefix = factory.Sequence(lambda n: f"{n:012x}")
    secret_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.secret.encode()).hexdigest())
    created_by = factory.SubFactory(
        ResellerUserFactory, reseller=factory.SelfAttribute("..reseller"), is_reseller_admin=True
    )


class IdempotencyRecordFactory(ModelFactory[IdempotencyRecord]):
    class Meta:
        model = IdempotencyRecord

    owner = factory.Sequence(lambda n: f"{n:012x}")
    key = factory.Faker("uuid4")
    method = "POST"
    path = "/api/v1/orders/"
    request_hash = factory.Sequence(lambda n: hashlib.sha256(str(n).encode()).hexdigest())
    response_status = 201
    response_body = factory.LazyFunction(dict)
