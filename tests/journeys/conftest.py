"""Journey fixtures: the storefront's users, marketplace and simulator-backed instance, and the browser of
tests/storefront/test_browser.py (Debian's Chromium driven by Playwright against the live server)."""

from tests.storefront.conftest import (  # noqa: F401  (fixtures)
    customer_user_factory,
    marketplace,
    provider,
    publish,
    reseller,
    reseller_client,
    reseller_user,
)
from tests.storefront.test_browser import CHROMIUM, _fresh_celery_pools, browser_page  # noqa: F401  (fixtures)
