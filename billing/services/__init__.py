"""Billing's domain operations, one module per concern: prices, history (ledger → events), tax, numbering,
invoice runs, credit notes."""
