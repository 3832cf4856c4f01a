"""The API's request type: every API view requires authentication (DRF's IsAuthenticated is the default
permission), so its user is one of ours, a signed-in user or the principal of an API key."""

from rest_framework.request import Request

from bss.models import User


class AuthenticatedRequest(Request):
    user: User
