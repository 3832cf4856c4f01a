from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle


class PerKeyRateThrottle(SimpleRateThrottle):
    """One budget per API key (or per signed-in user for the browsable API, per IP when anonymous)."""

    scope = "per_key"

    def get_cache_key(self, request: Request, view: Any) -> str:
        api_key = getattr(request, "auth", None)
        if api_key is not None and hasattr(api_key, "prefix"):
            ident = f"key:{api_key.prefix}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
