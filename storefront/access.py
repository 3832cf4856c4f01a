from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from bss.choices import UserRole


def storefront_user_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Storefront gate: reseller and customer users (and provider staff, who may act for any reseller)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.user.role not in {UserRole.RESELLER, UserRole.CUSTOMER, UserRole.PROVIDER_STAFF}:
            raise Http404("Not found")
        return view(request, *args, **kwargs)

    return wrapper
