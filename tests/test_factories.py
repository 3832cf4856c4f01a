"""Every model of ours has a factory in tests/factories/ (one module per app), and each makes a valid row."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django.apps import apps
from django.db import models

import tests.factories
from tests.factories.base import ModelFactory
from tests.factories.bss import SimInstanceFactory

ROOT = Path(__file__).resolve().parent.parent
#: The apps the issue named; any app of this repository is held to the same rule.
NAMED_APPS = {
    "bss", "security", "api", "catalog", "resellerprices", "provisioning", "reconciliation", "imports", "storefront",
    "workspace",
}


def _ours(path: Path) -> bool:
    return path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv")


def our_models() -> list[type[models.Model]]:
    """The models of every app that lives in this repository (not Django's or a library's), with a table."""
    return [
        m for m in apps.get_models()
        if _ours(Path(m._meta.app_config.path).resolve()) and m._meta.managed
    ]


def all_factories() -> list[type[ModelFactory]]:
    found = []
    for info in pkgutil.iter_modules(tests.factories.__path__):
        module = importlib.import_module(f"tests.factories.{info.name}")
        found += [
            obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, ModelFactory) and obj.__module__ == module.__name__ and not obj._meta.abstract
        ]
    return found


def test_the_named_apps_are_among_ours():
    assert {m._meta.app_label for m in our_models()} >= NAMED_APPS


def test_every_model_has_a_factory_in_its_apps_module():
    by_model = {f._meta.model for f in all_factories()}
    assert [m._meta.label for m in our_models() if m not in by_model] == []
    for factory in all_factories():
        assert factory.__module__.rsplit(".", 1)[1] == factory._meta.model._meta.app_label, factory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "factory", [f for f in all_factories() if f is not SimInstanceFactory], ids=lambda f: f.__name__
)
def test_a_factory_makes_a_valid_row(factory):
    row = factory()
    # Nullable columns may stay empty (staging rows such as HeldPrice hold NULLs their forms would not allow).
    row.full_clean(exclude=[f.name for f in row._meta.fields if f.null])
    assert type(row).objects.filter(pk=row.pk).exists()


def test_the_sim_instance_talks_to_the_simulator(sim_instance, pc_sim):
    sim_instance.full_clean()
    assert sim_instance.api_base_url == pc_sim.base_url
    assert sim_instance.partner_tenant_id == pc_sim.partners.direct.tenant_id


@pytest.mark.parametrize("sim_instance", [{"partner": "indirect", "name": "Fabrikam"}], indirect=True)
def test_the_sim_instance_takes_another_partner(sim_instance, pc_sim):
    assert (sim_instance.name, sim_instance.csp_model) == ("Fabrikam", "indirect_provider")
    assert sim_instance.partner_tenant_id == pc_sim.partners.indirect.tenant_id
