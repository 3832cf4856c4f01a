"""The provisioning fixtures (an instance on the HTTPS simulator, placing and driving orders) for GDAP's tests."""

from tests.provisioning.conftest import (  # noqa: F401 - fixtures re-used as they are
    drive,
    marketplace,
    place,
    provider,
    reseller,
    reseller_user,
    run_due,
    sim_settings,
)
