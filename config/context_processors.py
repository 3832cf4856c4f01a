from django.http import HttpRequest

from bss.selectors import user_is_provider_staff


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    return {"is_provider_staff": bool(user is not None and user_is_provider_staff(user))}
