"""Rules fixtures: the workspace's world (the simulator's seeded customer of a reseller, its users) and the two
doors every subscription change comes through, the workspace page and the API, driven the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from bss.models import User
from bss.rules.permissions import STAFF_CHANGE_PERMISSION
from provisioning.models import ProvisioningOperation
from tests.factories.bss import StaffUserFactory
from tests.workspace.conftest import _fast_passwords, pc, world  # noqa: F401 (fixtures)

# The page's action names, and the API's path and body for the same change.
_API = {
    "quantity": ("change-quantity", lambda data: {"quantity": data["quantity"]}),
    "extra_licences": ("change-quantity", None),  # the API sets the new quantity; see Doors.act
    "suspend": ("suspend", lambda data: {}),
    "reactivate": ("reactivate", lambda data: {}),
    "auto_renew": ("auto-renew", lambda data: {"enabled": data["enabled"] == "on"}),
    "cancel": ("cancel", lambda data: {}),
}


@dataclass
class Outcome:
    """What one door answered: whether the change was accepted (one provisioning operation created), and the
    refusal shown to the user."""

    accepted: bool
    message: str
    status: int
    code: str = ""


class Doors:
    """The same change through the workspace page (a signed-in browser) or the API (the same user).

    An accepted change is one new provisioning operation; it is not run (no Partner Center call) and is removed
    again, so the other door is asked about the very same subscription."""

    def __init__(self, user: User, capture: Any) -> None:
        self.user = user
        self.page = Client()
        self.page.force_login(user)
        self.api = APIClient()
        self.api.force_login(user)
        self._capture = capture

    def _run(self, sub, call: Any, *args: Any, **kwargs: Any) -> tuple[Any, bool]:
        before = set(ProvisioningOperation.objects.filter(subscription=sub).values_list("pk", flat=True))
        with self._capture(execute=False):
            response = call(*args, **kwargs)
        created = ProvisioningOperation.objects.filter(subscription=sub).exclude(pk__in=before)
        accepted = created.exists()
        created.delete()
        return response, accepted

    def via_page(self, sub, action: str, **data: Any) -> Outcome:
        url = reverse("workspace:subscription_action", args=[sub.pk, action])
        data.setdefault("confirm", "yes")  # past the confirmation step of cancel, reduce and suspend
        response, accepted = self._run(sub, self.page.post, url, data)
        assert response.status_code == 302, response.status_code
        shown = self.page.get(response["Location"])
        errors = [str(m) for m in get_messages(shown.wsgi_request) if m.level_tag == "error"]
        return Outcome(accepted=accepted, message=" ".join(errors), status=response.status_code)

    def via_api(self, sub, action: str, **data: Any) -> Outcome:
        path, body = _API[action]
        if body is None:  # extra_licences: the API sets the new quantity
            sub.refresh_from_db()
            payload = {"quantity": sub.quantity + int(data["additional"])}
        else:
            payload = body(data)
        response, accepted = self._run(
            sub, self.api.post, f"/api/v1/subscriptions/{sub.pk}/{path}/", payload, format="json"
        )
        body_json = response.json()
        if response.status_code == 202:
            return Outcome(accepted=accepted, message="", status=202)
        assert set(body_json) == {"code", "message", "extra"}, body_json
        return Outcome(accepted=accepted, message=body_json["message"], status=response.status_code,
                       code=body_json["code"])

    def both(self, sub, action: str, **data: Any) -> tuple[Outcome, Outcome]:
        return self.via_page(sub, action, **data), self.via_api(sub, action, **data)


@pytest.fixture
def doors(django_capture_on_commit_callbacks):
    return lambda user: Doors(user, django_capture_on_commit_callbacks)


def staff_user(*permissions: str) -> User:
    user = StaffUserFactory()
    for perm in permissions:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def operator_staff(db) -> User:
    return staff_user(STAFF_CHANGE_PERMISSION)


@pytest.fixture
def staff_without_tool(db) -> User:
    # Sees subscriptions (bss.view_subscription) but holds no permission to change them.
    return staff_user("bss.view_subscription", "provisioning.view_provisioningoperation", "bss.view_auditevent")
