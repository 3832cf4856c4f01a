"""Request types for pages behind a sign-in check.

Django types `request.user` as `User | AnonymousUser`. A view decorated with `login_required`, `staff_required`,
`storefront_user_required` or `tenant_admin_required` runs only for a signed-in user, so it takes an
`AuthenticatedHttpRequest`, whose `user` is our `User`."""

from __future__ import annotations

from django.http import HttpRequest

from bss.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
