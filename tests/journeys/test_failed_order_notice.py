"""A failed order: the reseller's e-mail says "our team has been notified", and the provider's team is (the
addresses in ORDER_FAILURE_NOTIFY and the staff in the ORDER_FAILURE_NOTIFY_GROUP group), in a message of its own.

Plain tests without a browser (e-mail has no page); the order fails through the provisioning engine's own step."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from bss.choices import OrderStatus
from provisioning.services.lifecycle import operation_fail
from tests.factories.bss import ResellerUserFactory, StaffUserFactory
from tests.factories.provisioning import ProvisioningOperationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_failed_order_notifies_the_reseller_and_the_providers_team(settings):
    settings.ORDER_FAILURE_NOTIFY = ["noc@provider.test"]
    on_duty = StaffUserFactory(email="ops@provider.test")
    on_duty.groups.add(Group.objects.create(name=settings.ORDER_FAILURE_NOTIFY_GROUP))
    StaffUserFactory(email="not-on-duty@provider.test")
    reseller_user = ResellerUserFactory(email="rita@fabrikam.test")
    op = ProvisioningOperationFactory(order__placed_by=reseller_user, order__reseller=reseller_user.reseller,
                                      order__status=OrderStatus.PROVISIONING)

    operation_fail(operation=op, message="Partner Center said no (code 800002)", code="800002")

    op.order.refresh_from_db()
    assert op.order.status == OrderStatus.FAILED
    to_reseller = [m for m in mail.outbox if "rita@fabrikam.test" in m.to]
    to_staff = [m for m in mail.outbox if "ops@provider.test" in m.to]
    assert len(to_reseller) == 1 and "Our team has been notified" in to_reseller[0].body
    assert len(to_staff) == 1 and sorted(to_staff[0].to) == ["noc@provider.test", "ops@provider.test"]
    staff_mail = to_staff[0]
    assert "rita@fabrikam.test" not in staff_mail.to  # the team's message is its own, not a copy to the reseller
    assert "800002" in staff_mail.body and str(op.order.reseller.name) in str(staff_mail.body)
    assert "Failed order" in staff_mail.subject
    assert not any("not-on-duty@provider.test" in m.to for m in mail.outbox)


def test_without_anyone_configured_only_the_reseller_is_mailed(settings):
    settings.ORDER_FAILURE_NOTIFY = []
    reseller_user = ResellerUserFactory(email="rita@fabrikam.test")
    op = ProvisioningOperationFactory(order__placed_by=reseller_user, order__reseller=reseller_user.reseller,
                                      order__status=OrderStatus.PROVISIONING)
    operation_fail(operation=op, message="no", code="1")
    assert [m.to for m in mail.outbox] == [sorted({"rita@fabrikam.test", reseller_user.reseller.email} - {""})]
