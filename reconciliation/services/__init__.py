"""Domain operations of Subscriptions Validation/Reconciliation, one module per concern (import them by module):

- `runs`: start a run over an instance, reseller or customer, fan it out, cancel, fail, close it;
- `checks`: the check of one customer inside a run (Partner Center read once, compared, findings recorded);
- `findings`: recording a check's findings and guarding their status changes;
- `auto_apply`: the policies nightly runs adopt Partner Center's value under, and applying them;
- `actions`: the corrective actions on findings (adopt, push, link, import, accept; bulk) and their BSS writes.

The comparison itself is the pure-function module `reconciliation.comparators`.
"""
