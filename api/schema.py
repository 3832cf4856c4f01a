"""OpenAPI description of our authentication (imported in ApiConfig.ready so drf-spectacular sees it)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.keys.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>` — created by a reseller admin in the storefront.",
        }


ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "extra"],
    "properties": {
        "code": {"type": "string", "description": "Stable machine-readable error code"},
        "message": {"type": "string", "description": "What went wrong, in plain words"},
        "extra": {"type": "object", "additionalProperties": True, "description": "Details (e.g. field errors)"},
    },
}
_ERRORS = {
    "400": "Invalid input",
    "401": "Missing, invalid or revoked credentials",
    "403": "Not allowed for this caller",
    "404": "Not found (or not visible to this caller)",
    "409": "Conflict (e.g. a duplicate request still in progress)",
    "413": "Request body larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)",
    "422": "Idempotency-Key reused with another request",
    "429": "Too many requests; see Retry-After",
}


def add_error_responses(result: dict, generator: object, request: object, public: bool) -> dict:
    """drf-spectacular postprocessing hook: document the one error shape on every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    for name, component in schemas.items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string" and "pattern" not in prop and "format" not in prop and "enum" not in prop:
                prop["pattern"] = "^[^\\x00]*$"  # text cannot hold NUL characters (PostgreSQL refuses them)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and "enum" in schema and "" not in schema["enum"]:
                    # An empty filter value means "no filter" (django-filter), so it is valid input.
                    schema["enum"] = [*schema["enum"], ""]
                if parameter.get("in") == "query" and parameter.get("name") == "customer":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
                if parameter.get("in") == "path" and parameter.get("name") == "id":
                    parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}
            # 400 on reads too (invalid filter values), 404 on lists too (a page past the end).
            wanted = ["400", "401", "403", "404", "429"]
            if method in {"post", "put", "patch"}:
                wanted += ["409", "413", "422"]
            for status in wanted:
                operation.setdefault("responses", {}).setdefault(
                    status,
                    {
                        "description": _ERRORS[status],
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    },
                )
    return result
