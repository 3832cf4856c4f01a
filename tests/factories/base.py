"""The base of every model factory: a factory_boy DjangoModelFactory that type checkers know returns its model.

`ResellerFactory(...)` runs factory_boy's metaclass, which builds and saves a `Reseller`; without the stub below
mypy would think it returns a `ResellerFactory`. `create`, `build` and `create_batch` are typed by factory_boy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

import factory
from django.db import models

M = TypeVar("M", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[M], Generic[M]):
    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # factory_boy's metaclass turns the call into `create()`; the metaclass is untyped, so say it here.
        def __new__(cls, *args: Any, **kwargs: Any) -> M: ...  # type: ignore[misc]
