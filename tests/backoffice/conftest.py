import pytest
from django.contrib.auth.models import Permission

from bss.models import User
from tests.factories.bss import StaffUserFactory


def staff_with(*perms: str) -> User:
    """A provider staff user holding the given permissions ("app_label.codename")."""
    user = StaffUserFactory()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


@pytest.fixture
def operator(db) -> User:
    """Staff who may see and act on orders, subscriptions and customers (and see their MCA acceptances)."""
    return staff_with(
        "bss.view_order", "bss.change_order", "bss.view_subscription", "bss.view_customer", "bss.change_customer",
        "provisioning.view_provisioningoperation", "provisioning.change_provisioningoperation",
        "bss.view_mcaacceptance",
    )
