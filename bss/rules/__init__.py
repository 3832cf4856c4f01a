"""The business rules of subscriptions, each written once, as plain functions over plain values.

No Django and none of our apps here (only the standard library): the core services that perform an action
(`provisioning.services.changes`, `bss.services.subscriptions`, order intake) call these functions and raise their
refusals; pages and the API call those services and show the refusal. Modules:

- `windows`: the new-commerce 168-hour windows (one constant, one comparison) and the seat batches still refundable.
- `permissions`: who may do what to a subscription (customer user, reseller user, provider staff with the tool's
  permission).
- `cycles`: months per billing cycle and per term, term arithmetic; the billing-cycle and term vocabulary.
- `quantities`: quantity bounds per SKU and the lowest quantity new commerce allows now.
"""
