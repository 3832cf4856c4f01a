"""Customer workspaces: tenants with their Microsoft portal shortcuts, subscriptions with their details and changes
(through provisioning operations), the reseller's view of its customers' workspaces, and renewal reminders."""
