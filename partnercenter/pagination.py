"""Iterate Partner Center collections page by page, following ``links.next`` (seek paging)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from . import _parse
from ._transport import Auth, Transport
from .errors import ResponseValidationError
from .types import Page

T = TypeVar("T")


def iter_pages(
    transport: Transport,
    path: str,
    *,
    params: Mapping[str, Any] | None,
    parser: Callable[[Any], T],
    what: str,
    auth: Auth = "app",
    max_pages: int | None = None,
) -> Iterator[Page[T]]:
    """Yield pages until a page has no ``links.next``.

    The next request is a GET of ``links.next.uri`` (with or without the ``/v1`` prefix) carrying every header
    listed in ``links.next.headers`` (``MS-ContinuationToken``).
    """
    page = _parse.page(transport.request_json("GET", path, params=params, auth=auth), parser, what)
    yield page
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    count = 1
    while page.next_link is not None and (max_pages is None or count < max_pages):
        nxt = page.next_link
        marker = (nxt.uri, nxt.headers)
        if marker in seen:
            raise ResponseValidationError(f"{what}: Partner Center returned the same next link twice")
        seen.add(marker)
        page = _parse.page(transport.request_json("GET", nxt.uri, headers=dict(nxt.headers), auth=auth), parser, what)
        count += 1
        yield page


def iter_items(pages: Iterator[Page[T]]) -> Iterator[T]:
    for page in pages:
        yield from page.items
