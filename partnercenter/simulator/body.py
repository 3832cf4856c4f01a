"""Case-insensitive access to JSON request bodies (Microsoft's samples mix camelCase and PascalCase)."""

from __future__ import annotations

from typing import Any


class CIDict(dict[str, Any]):
    """A dict whose lookups ignore key case; iteration keeps the caller's original keys."""

    def __init__(self, data: dict[str, Any] | None = None) -> None:
        super().__init__()
        self._keys: dict[str, str] = {}
        for key, value in (data or {}).items():
            self[key] = wrap(value)

    def __setitem__(self, key: str, value: Any) -> None:
        existing = self._keys.get(key.lower())
        if existing is not None and existing != key:
            super().__delitem__(existing)
        self._keys[key.lower()] = key
        super().__setitem__(key, value)

    def __getitem__(self, key: str) -> Any:
        return super().__getitem__(self._keys[key.lower()])

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._keys

    def get(self, key: str, default: Any = None) -> Any:
        original = self._keys.get(key.lower())
        return default if original is None else super().__getitem__(original)

    def obj(self, key: str) -> CIDict:
        value = self.get(key)
        return value if isinstance(value, CIDict) else CIDict()

    def text(self, key: str) -> str | None:
        value = self.get(key)
        if value is None:
            return None
        return str(value).strip()


def wrap(value: Any) -> Any:
    if isinstance(value, CIDict):
        return value
    if isinstance(value, dict):
        return CIDict(value)
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """Back to ordinary dicts/lists (for storing echoes of client input)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
