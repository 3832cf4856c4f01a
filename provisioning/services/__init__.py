"""Provisioning services: orders and subscription changes become persisted Partner Center operations, run by workers.

- `orders`: order intake (`order_submit`: the core places the order, provisioning adds its operations), the
  storefront's checks, the initial admin credentials.
- `changes`: `subscription_change_request`.
- `engine` (claim, lease, run), `attempts` (record a try and its outcome), `lifecycle` (status, queue, fail, retry),
  `sweep` (the periodic sweep of due steps). What each step asks Partner Center and applies to the BSS is in
  `provisioning.pipeline`, one module per kind.

The two writes the doors (storefront, API) call are re-exported here.
"""

from provisioning.services.changes import subscription_change_request
from provisioning.services.orders import order_submit

__all__ = ["order_submit", "subscription_change_request"]
