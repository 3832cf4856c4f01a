"""Security headers: a Content-Security-Policy without inline code and a Permissions-Policy on every kind of
response, next to the headers Django already sets; and templates that need nothing inline beyond nonced blocks."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from tests.factories.bss import CustomerUserFactory

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
DEVICE_APIS_OFF = ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()")


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in policy.split("; ")}


def _assert_security_headers(response, *, frame_options: bool = True) -> None:
    csp = _csp(response)
    assert csp["default-src"] == "'self'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", csp["script-src"]), csp["script-src"]
    assert re.fullmatch(r"'self' 'nonce-[\w-]{20,}'", csp["style-src"]), csp["style-src"]
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    permissions = response.headers["Permissions-Policy"]
    assert all(feature in permissions for feature in DEVICE_APIS_OFF), permissions
    # What Django's own middleware set before stays.
    if frame_options:  # static files leave WhiteNoise before Django's frame middleware; frame-ancestors covers them
        assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_page_carries_the_headers_with_a_fresh_nonce_each_time(client):
    first = client.get(reverse("login"))
    second = client.get(reverse("login"))

    assert first.status_code == 200
    _assert_security_headers(first)
    assert _csp(first)["script-src"] != _csp(second)["script-src"]


def test_api_json_carries_the_headers(client):
    anonymous = client.get("/api/v1/", HTTP_ACCEPT="application/json")
    client.force_login(CustomerUserFactory())
    signed_in = client.get(reverse("api-schema"), HTTP_ACCEPT="application/json")

    assert anonymous.status_code in (401, 403) and anonymous["Content-Type"].startswith("application/json")
    _assert_security_headers(anonymous)
    _assert_security_headers(signed_in)


def test_not_found_carries_the_headers(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    _assert_security_headers(response)


def test_static_files_carry_the_headers(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from the source folders (nothing is collected in tests)
    response = Client().get("/static/css/app.css")

    assert response.status_code == 200 and b".progress" in response.getvalue()  # the streamed file, joined
    _assert_security_headers(response, frame_options=False)


def test_hsts_and_secure_cookies_stay_on_in_production_settings(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    user = CustomerUserFactory()

    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-battery-staple"}, secure=True
    )

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["sessionid"]["secure"] and response.cookies["sessionid"]["httponly"]
    _assert_security_headers(response)


def test_swagger_ui_runs_its_start_up_script_under_the_nonce(client):
    response = client.get(reverse("api-docs"))

    nonce = re.search(r"'nonce-([\w-]+)'", _csp(response)["script-src"]).group(1)
    body = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert inline_scripts and all(f'nonce="{nonce}"' in attrs for attrs in inline_scripts)
    assert all(f'nonce="{nonce}"' in attrs for attrs in re.findall(r"<style([^>]*)>", body))


def _templates() -> list[Path]:
    return sorted(TEMPLATES_DIR.rglob("*.html"))


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_templates_hold_no_inline_code_the_policy_would_block(path):
    """No inline event handlers, no style="" attributes, no javascript: links; inline <script>/<style> blocks
    carry the request's nonce."""
    text = path.read_text()

    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), 'style="" attribute (move it to a class in static/css)'
    assert "javascript:" not in text
    for attrs in re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", text) + re.findall(r"<style([^>]*)>", text):
        assert 'nonce="{{ request.csp_nonce }}"' in attrs, "inline block without the nonce"
