"""Partner Center simulator: a real HTTP(S) server speaking the Partner Center REST API.

Independent of the client in ``partnercenter/`` and of Django. See COVERAGE.md.
"""

from __future__ import annotations

from typing import Any


def make_app(state: Any = None, **options: Any) -> Any:
    """A WSGI app (``SimulatorApp``) for in-process use; ``state`` is an optional ``SimState``."""
    from .app import SimulatorApp

    return SimulatorApp(state, **options)


__all__ = ["make_app"]
