"""Partner Center REST client for CSP partners (plain Python; no Django).

>>> from partnercenter import PartnerCenterClient, clouds
>>> client = PartnerCenterClient.for_cloud(clouds.GLOBAL, tenant_id=..., client_id=..., client_secret=...)
>>> client.customers.get(customer_id="...")
"""

from . import billing_types, clouds, errors, types
from .auth import AppOnlyTokenProvider, AppUserTokenProvider, StaticTokenProvider, TokenProvider
from .client import ConnectionCheck, PartnerCenterClient
from .errors import (
    APIError,
    AppUserAuthRequiredError,
    AuthenticationError,
    BadRequestError,
    BillingExportError,
    ConfigurationError,
    ConflictError,
    ExportExpiredError,
    ExportNotReadyError,
    ExportOperationFailedError,
    NotFoundError,
    PartnerCenterError,
    PermissionDeniedError,
    PreconditionFailedError,
    RequestTimeoutError,
    ResponseValidationError,
    ServerError,
    ThrottledError,
    TokenAcquisitionError,
    TransportError,
    ValidationError,
)
from .ratelimit import Budget, NullRateLimiter, RateLimiter, RedisTokenBucketLimiter, TokenBucketLimiter
from .types import Address, CartLineItemRequest

__all__ = [
    "APIError",
    "Address",
    "AppOnlyTokenProvider",
    "AppUserAuthRequiredError",
    "AppUserTokenProvider",
    "AuthenticationError",
    "BadRequestError",
    "BillingExportError",
    "Budget",
    "CartLineItemRequest",
    "ConfigurationError",
    "ConflictError",
    "ConnectionCheck",
    "ExportExpiredError",
    "ExportNotReadyError",
    "ExportOperationFailedError",
    "NotFoundError",
    "NullRateLimiter",
    "PartnerCenterClient",
    "PartnerCenterError",
    "PermissionDeniedError",
    "PreconditionFailedError",
    "RateLimiter",
    "RedisTokenBucketLimiter",
    "RequestTimeoutError",
    "ResponseValidationError",
    "ServerError",
    "StaticTokenProvider",
    "ThrottledError",
    "TokenAcquisitionError",
    "TokenBucketLimiter",
    "TokenProvider",
    "TransportError",
    "ValidationError",
    "billing_types",
    "clouds",
    "errors",
    "types",
]
