"""BSS Setup > Microsoft Cloud Services: Partner Center instances, their credentials and the annual switches."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from backoffice.access import staff_required
from backoffice.forms import PartnerCenterInstanceForm
from bss.http import AuthenticatedHttpRequest
from bss.models import Marketplace, PartnerCenterInstance
from bss.partner_center import cloud_for_instance, instance_test_connection
from bss.services.instances import instance_create, instance_update
from bss.services.marketplaces import marketplace_set_annual_billing

VIEW_PERMISSION = "bss.view_partnercenterinstance"
CHANGE_PERMISSION = "bss.change_partnercenterinstance"


@staff_required(VIEW_PERMISSION)
def instance_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    instances = list(PartnerCenterInstance.objects.all())
    rows = [(instance, cloud_for_instance(instance)) for instance in instances]
    marketplaces = Marketplace.objects.select_related("instance", "owner")
    return render(
        request,
        "backoffice/cloud_services/list.html",
        {"rows": rows, "marketplaces": marketplaces, "can_change": request.user.has_perm(CHANGE_PERMISSION)},
    )


def _save(
    request: AuthenticatedHttpRequest, form: PartnerCenterInstanceForm, instance: PartnerCenterInstance | None
) -> bool:
    try:
        if instance is None:
            saved = instance_create(actor=request.user, **form.field_values(), **form.secret_changes())
        else:
            saved = instance_update(
                actor=request.user, instance=instance, **form.field_values(), **form.secret_changes()
            )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    messages.success(request, f"Partner Center instance {saved.name} saved.")
    return True


@staff_required(CHANGE_PERMISSION)
def instance_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PartnerCenterInstanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save(request, form, None):
        return redirect("backoffice:cloud_services")
    return render(request, "backoffice/cloud_services/form.html", {"form": form, "instance": None})


@staff_required(CHANGE_PERMISSION)
def instance_edit_view(request: AuthenticatedHttpRequest, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(PartnerCenterInstance, pk=instance_id)
    form = PartnerCenterInstanceForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid() and _save(request, form, instance):
        return redirect("backoffice:cloud_services")
    return render(request, "backoffice/cloud_services/form.html", {"form": form, "instance": instance})


@require_POST
@staff_required(CHANGE_PERMISSION)
def instance_test_connection_view(request: AuthenticatedHttpRequest, instance_id: int) -> HttpResponse:
    instance = get_object_or_404(PartnerCenterInstance, pk=instance_id)
    result = instance_test_connection(instance)
    (messages.success if result.ok else messages.error)(request, f"{instance.name}: {result.message}")
    return redirect("backoffice:cloud_services")


@require_POST
@staff_required("bss.change_marketplace")
def marketplace_annual_billing_view(request: AuthenticatedHttpRequest, marketplace_id: int) -> HttpResponse:
    marketplace = get_object_or_404(Marketplace, pk=marketplace_id)
    enabled = request.POST.get("annual_billing_enabled") == "on"
    marketplace_set_annual_billing(actor=request.user, marketplace=marketplace, enabled=enabled)
    messages.success(
        request, f"Annual billing {'enabled' if enabled else 'disabled'} in the {marketplace.name} marketplace."
    )
    return redirect("backoffice:cloud_services")
