"""Billing: what we charge our customers and what Microsoft charges us, per new-commerce charge.

Only the rating core exists so far (`billing.rating`): framework-free functions that turn a subscription's
event history into Microsoft-shaped charge rows, so that invoice runs, the Partner Center simulator's
reconciliation lines and the money reconciliation all share one implementation of Microsoft's charge cycles,
proration and rounding. No Django models yet.
"""
