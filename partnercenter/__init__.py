"""Partner Center REST client for CSP partners (plain Python; no Django).

>>> from partnercenter import PartnerCenterClient, clouds
>>> client = PartnerCenterClient.for_cloud(clouds.GLOBAL, tenant_id=..., client_id=..., client_secret=...)
>>> client.customers.get(customer_id="...")
"""

from . import clouds, errors, types
from .auth import AppOnlyTokenProvider, AppUserTokenProvider, StaticTokenProvider, TokenProvider
from .client import ConnectionCheck, PartnerCenterClient
from .errors import (
    APIError,
    AppUserAuthRequiredError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
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
    "Budget",
    "CartLineItemRequest",
    "ConfigurationError",
    "ConflictError",
    "ConnectionCheck",
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
    "clouds",
    "errors",
    "types",
]
