"""What each kind of operation asks Partner Center, how a step whose outcome is unknown is read back, and what a
confirmed step applies to the BSS: one module per kind (`customer`, `relationship`, `agreement`, `cart`,
`partner_order`, `quantity`, `status`, `auto_renew`, `cancel`), listed in `registry.STEPS`.

Executors and settlers only *call* Partner Center (through the client) and read the database; they return an
`Outcome` and never write. The engine (`provisioning.services`) records the outcome and, in the same transaction,
calls the step's effect.
"""
