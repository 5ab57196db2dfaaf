"""Paginators: small objects that say how to ask for the next page.

A connector declares one per endpoint; `paginate` drives it. Modelled on dlt's rest_client
and Airbyte's low-code CDK: the loop is written once, vendors only describe their paging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .http import VendorHttpClient


class Paginator(Protocol):
    def first_params(self) -> dict[str, Any]: ...

    def records(self, body: Any) -> list[Any]: ...

    def next_params(self, body: Any, records: list[Any], params: dict[str, Any]) -> dict[str, Any] | None:
        """Params for the next page, or None when this was the last page."""


@dataclass
class SinglePage:
    """The whole list in one response (Bayou). `records_key` None means a bare array."""

    records_key: str | None = None

    def first_params(self) -> dict[str, Any]:
        return {}

    def records(self, body: Any) -> list[Any]:
        return _extract(body, self.records_key)

    def next_params(self, body: Any, records: list[Any], params: dict[str, Any]) -> dict[str, Any] | None:
        return None


@dataclass
class OffsetPaginator:
    """`offset`/`limit` style paging; stops on a short page or when `has_more` says so."""

    offset_param: str = "offset"
    limit_param: str = "limit"
    page_size: int = 100
    records_key: str | None = "data"
    has_more: Callable[[Any], bool] | None = None
    next_offset: Callable[[Any], int | None] | None = None

    def first_params(self) -> dict[str, Any]:
        return {self.offset_param: 0, self.limit_param: self.page_size}

    def records(self, body: Any) -> list[Any]:
        return _extract(body, self.records_key)

    def next_params(self, body: Any, records: list[Any], params: dict[str, Any]) -> dict[str, Any] | None:
        if self.has_more is not None:
            if not self.has_more(body):
                return None
        elif len(records) < self.page_size:
            return None
        offset = self.next_offset(body) if self.next_offset else None
        if offset is None:
            offset = int(params.get(self.offset_param, 0)) + len(records)
        return {**params, self.offset_param: offset}


@dataclass
class KeysetPaginator:
    """Keyset paging on an ordered field (e.g. `updated_after=<last updated_at>`)."""

    cursor_param: str
    cursor_field: str
    limit_param: str = "limit"
    page_size: int = 100
    records_key: str | None = "data"
    start: Any = None

    def first_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {self.limit_param: self.page_size}
        if self.start is not None:
            params[self.cursor_param] = self.start
        return params

    def records(self, body: Any) -> list[Any]:
        return _extract(body, self.records_key)

    def next_params(self, body: Any, records: list[Any], params: dict[str, Any]) -> dict[str, Any] | None:
        if len(records) < self.page_size:
            return None
        last = records[-1].get(self.cursor_field) if isinstance(records[-1], Mapping) else None
        if last is None or last == params.get(self.cursor_param):
            return None  # no progress possible: stop rather than loop forever
        return {**params, self.cursor_param: last}


def paginate(
    client: VendorHttpClient,
    path: str,
    paginator: Paginator,
    params: Mapping[str, Any] | None = None,
    *,
    max_pages: int = 100_000,
) -> Iterator[list[Any]]:
    """Yield each page's records until the paginator says stop."""
    page_params: dict[str, Any] | None = {**(params or {}), **paginator.first_params()}
    pages = 0
    while page_params is not None and pages < max_pages:
        body = client.get_json(path, params=page_params)
        records = paginator.records(body)
        pages += 1
        yield records
        page_params = paginator.next_params(body, records, page_params)


def _extract(body: Any, key: str | None) -> list[Any]:
    value = body if key is None else (body or {}).get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list at {key or 'the top level'}, got {type(value).__name__}")
    return value
