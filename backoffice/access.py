from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from bss.selectors import user_is_provider_staff

View = Callable[..., HttpResponseBase]


def staff_required(permission: str = "") -> Callable[[View], View]:
    """Back-office gate: anonymous users go to the login page; everyone else without the role/permission gets 404,
    so the back office does not reveal itself to reseller and customer users."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_is_provider_staff(request.user) or (permission and not request.user.has_perm(permission)):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
