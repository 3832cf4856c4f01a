"""Back office: reseller list with figures, reseller detail, onboarding with the first user's invitation."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from backoffice.access import staff_required
from backoffice.forms import ResellerOnboardingForm
from bss import selectors
from bss.choices import ResellerKind
from bss.exceptions import ApplicationError, NotFound
from bss.http import AuthenticatedHttpRequest
from bss.models import Reseller
from bss.services.resellers import MarketplaceInput, reseller_onboard


@staff_required("bss.view_reseller")
def reseller_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    resellers = selectors.reseller_list_with_figures(user=request.user).prefetch_related("marketplaces")
    return render(request, "backoffice/reseller_list.html", {"resellers": resellers})


@staff_required("bss.view_reseller")
def reseller_detail(request: AuthenticatedHttpRequest, reseller_id: int) -> HttpResponse:
    reseller = selectors.reseller_list_with_figures(user=request.user).filter(pk=reseller_id).first()
    if reseller is None:
        raise NotFound("Reseller not found.")
    context = {
        "reseller": reseller,
        "marketplaces": reseller.marketplaces.select_related("instance"),
        "users": reseller.users.order_by("username"),
        "customers": selectors.customer_list_for_user(user=request.user).filter(reseller=reseller)[:200],
        "orders": selectors.order_list_for_user(user=request.user).filter(reseller=reseller)[:20],
    }
    return render(request, "backoffice/resellers/detail.html", context)


@staff_required("bss.add_reseller")
def reseller_onboard_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ResellerOnboardingForm(request.POST or None)
    provider = Reseller.objects.filter(kind=ResellerKind.PROVIDER).order_by("pk").first()
    if provider is None:
        messages.error(request, "Create the provider (your own reseller record) first, in the admin.")
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        marketplace = None
        if data["kind"] == ResellerKind.TENANT:
            marketplace = MarketplaceInput(
                name=data["marketplace_name"],
                slug=data["marketplace_slug"],
                instance=data["instance"],
                primary_color=data["marketplace_color"] or "#1f4e79",
            )
        try:
            reseller = reseller_onboard(
                actor=request.user,
                provider=provider,
                name=data["name"],
                kind=data["kind"],
                partner_id=data["partner_id"],
                email=data["email"],
                country=data["country"],
                first_user_email=data["first_user_email"],
                first_user_username=data["first_user_username"],
                marketplace=marketplace,
                base_url=request.build_absolute_uri("/"),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{reseller.name} is set up; an invitation went to {data['first_user_email']}.")
            return redirect("backoffice:reseller_detail", reseller_id=reseller.pk)
    return render(request, "backoffice/resellers/onboard.html", {"form": form})
