"""The catalog query parameters Partner Center accepts (the catalog itself lives in ``simulator.catalog``)."""

from __future__ import annotations

from ..errors import PCError

TARGET_VIEWS = frozenset({
    "azure", "azurereservations", "azurereservationsvm", "azurereservationssql", "azurereservationscosmosdb",
    "microsoftazure", "onlineservices", "software", "softwaresuselinux", "softwareperpetual",
    "softwaresubscriptions", "specializedoffers", "marketplacesaas",
})
TARGET_SEGMENTS = frozenset({"commercial", "education", "government", "nonprofit"})


def check_catalog_query(target_view: str | None, segment: str | None) -> None:
    if target_view and target_view.lower() not in TARGET_VIEWS:
        raise PCError(403, 400036)
    if segment and segment.lower() not in TARGET_SEGMENTS:
        raise PCError(403, 400030)
