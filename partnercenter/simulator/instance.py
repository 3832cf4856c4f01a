"""One simulated Partner Center: state, catalog, rules, faults and throttle, with reset and seeding.

The HTTP side (``app.py`` with ``api.py`` and ``control.py``) serves one instance; nothing here knows HTTP.
"""

from __future__ import annotations

from .backend import Backend
from .catalog import Catalog
from .exports import Exports
from .faults import Faults
from .seed import seed_default_data, seed_partners
from .state import SimState
from .throttle import Throttle
from .usage import UsageBook


class Simulator:
    def __init__(self, state: SimState | None = None, *, seed_data: bool = True) -> None:
        self.state = state or SimState()
        self.catalog = Catalog(self.state.clock.now, seed=self.state.seed)
        self.backend = Backend(self.state, self.catalog)
        self.faults = Faults()
        self.throttle = Throttle()
        self.exports = Exports(str(self.state.seed))
        self.usage = UsageBook()
        """Azure usage spikes planted by the control API (usage.py)."""
        self.seeded: dict[str, str] = {}
        self.reset(seed_data=seed_data)

    def reset(self, *, seed: int | str | None = None, seed_data: bool = True, frozen_clock: bool | None = None) -> None:
        with self.state.lock:
            self.state.clear(seed=seed, frozen_clock=frozen_clock)
            self.catalog = Catalog(self.state.clock.now, seed=self.state.seed)
            self.backend = Backend(self.state, self.catalog)
            self.faults.clear()
            self.throttle.reset()
            self.exports.clear()
            self.usage.clear()
            seed_partners(self.state)
            self.seeded = seed_default_data(self.backend) if seed_data else {}
            # The default seed includes the last closed billing period (invoice and recon lines).
            self.backend.billing.close()

    def seed(self) -> dict[str, str]:
        with self.state.lock:
            self.seeded = seed_default_data(self.backend)
            self.backend.billing.close()
            return self.seeded
