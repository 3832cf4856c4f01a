"""Partner Center business errors and their three body shapes."""

from __future__ import annotations

from typing import Any

DESCRIPTIONS: dict[int, str] = {
    400: "Access denied",
    1000: "Not found",
    2001: "Subscription quantity can't be increased or decreased while subscription is being suspended",
    2002: "Subscription quantity isn't within minimum and maximum allowed quantity",
    2011: "Subscription with ID {0} and deleted status can't be updated.",
    2054: "The billing cycle for an existing subscription can't be updated using update-subscription operation. "
    "Use update-Order operation",
    2055: "Etag is no longer valid",
    2091: "The offer is no longer available for purchase",
    2100: "The Offers API doesn't support item with ID {0}. Try using the Products and/or SKUs APIs",
    3000: "Invalid property",
    13605: "Either a partner confirmation of the customer acceptance of the Microsoft Customer Agreement must be "
    "provided or the customer must accept the Microsoft Customer Agreement in the Microsoft Admin Center before "
    "you can complete this purchase",
    20000: "Order ID not found",
    20002: "The partner ID {0} has no commerce relationship with the customer ID {1}.",
    20003: "Subscription with ID {0} not found.",
    400013: "Product wasn't found",
    400018: "SKU wasn't found",
    400019: "Availability not found. Partners that get this error should issue a new GET to ensure they have the "
    "current availability ID and retry the cart check out.",
    400030: "The requested targetSegment isn't allowed",
    400036: "The requested targetView isn't allowed",
    600002: "Organization registration ID value isn't supported",
    600049: "Organization registration ID information is missing",
    600050: "Organization registration ID information is invalid",
    600051: "Customer phone number is missing",
    600061: "A partner confirmed agreement already exists for the customer.",
    800001: "Partner Token missing in request context",
    800002: "Invalid request input",
    800003: "Unexpected service error",
    800008: "Unable to retrieve cart ID",
    800009: "Error in Cart item(s)",
    800015: "PartnerID isn't found",
    800016: "PartnerID isn't a valid Indirect Reseller",
    800018: "The sandbox limit has been met",
    800064: "Cart {0} is being processed by another request",
    800065: "can't check out an already submitted cart {0}.",
    800071: "Line Item number should be from 0 to number of line items count",
    800089: "The asset limit per customer has been exceeded",
    800090: "The quantity cannot be decreased for this subscription",
    800091: "Can't update a subscription with suspended status",
    800093: "The subscription isn't eligible to be auto-renewed",
    800095: "Can't update the seat quantity for this subscription",
    800096: "Can't update the status for this subscription",
    800098: "Can't update the partner on record for this subscription",
    900115: "Azure plan can't be moved to suspended state since you have one or more Azure Subscriptions in the "
    "active state",
    900123: "Microsoft Partner Agreement hasn't been accepted by the indirect reseller",
    900206: "Partner Attestation is missing",
    900213: "You have passed your {0}-hour cancellation window. We are unable to cancel your purchase",
    900214: "You have passed your {0}-hour window for reducing seats for this subscription.",
    900277: "Your subscription is in the process of being expired. No further updates are allowed on this "
    "subscription.",
    900311: "This subscription has been updated too many times. Please contact partner support if you need to "
    "make more updates on this subscription.",
    900329: "This resource does not support application-only authentication.",
}


class PCError(Exception):
    """A Partner Center error answer: HTTP status, error code and description (shape A unless told)."""

    def __init__(
        self,
        status: int,
        code: int,
        *args: object,
        description: str | None = None,
        shape: str = "A",
        error_name: str | None = None,
        data: list[Any] | None = None,
    ) -> None:
        text = description or DESCRIPTIONS.get(code, "Error")
        if args:
            text = text.format(*args)
        super().__init__(f"{status} {code} {text}")
        self.status = status
        self.code = code
        self.description = text
        self.shape = shape
        self.error_name = error_name
        self.data = data or []

    def body(self) -> dict[str, Any]:
        if self.shape == "B":
            return {
                "code": self.code,
                "message": self.description,
                "description": self.description,
                "errorName": self.error_name or "",
                "isRetryable": False,
                "parameters": {},
                "errorMessageExtended": f"InternalErrorCode={self.code}",
            }
        return {"code": self.code, "description": self.description, "data": self.data, "source": "PartnerFD"}


def throttle_body(retry_after: int) -> dict[str, Any]:
    return {"statusCode": 429, "message": f"Rate limit is exceeded. Try again in {retry_after} seconds."}
