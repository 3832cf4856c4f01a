from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from bss.rules.permissions import Resource, staff_may_view
from bss.selectors import user_is_provider_staff

View = Callable[..., HttpResponseBase]


def staff_required(permission: str | Resource = "") -> Callable[[View], View]:
    """Back-office gate: anonymous users go to the login page; everyone else without the role/permission gets 404,
    so the back office does not reveal itself to reseller and customer users. A `Resource` is checked with
    `staff_may_view`, the check the selectors (and so the API and the storefront) apply to the same resource."""

    def allowed(user: Any) -> bool:
        if isinstance(permission, Resource):
            return staff_may_view(user, permission)
        return not permission or user.has_perm(permission)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_is_provider_staff(request.user) or not allowed(request.user):
                raise Http404("Not found")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
