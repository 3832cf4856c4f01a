"""The core: instances, resellers, marketplaces, customers, tenants, orders, subscriptions and their licence ledger,
MCA, audit, users, and the business rules (bss.rules). It imports nothing above it but partnercenter."""
