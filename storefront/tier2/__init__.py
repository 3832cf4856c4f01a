"""Tier-2 reseller pages of the storefront: the tenant reseller's marketplace address (/m/<slug>/) and branding, its
price list (markup, publishing, price preview) and its catalog change report; the provider's wholesale rule page."""
