"""Bayou Energy API v2 client (https://docs.bayou.energy).

Auth is HTTP Basic with the API key as username and an empty password. Lists are whole
arrays (no pagination). Any `{id}` accepts Bayou's numeric id or `external_id:<value>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import httpx
from ..core.errors import VendorResponseError
from ..core.http import RetryPolicy, Timeouts, VendorHttpClient
from ..core.pagination import SinglePage, paginate
from ..core.records import Parsed, parse_records
from .records import Bill, Customer

DEFAULT_BASE_URL = "https://bayou.energy/api/v2"
VENDOR = "bayou"
T = TypeVar("T")


def _iso(value: date | datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat().replace("+00:00", "Z")


class BayouClient:
    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        retry: RetryPolicy = RetryPolicy(),
        timeouts: Timeouts = Timeouts(),
        max_concurrency: int = 8,
        transport_sleep=None,
    ) -> None:
        if not api_key:
            raise ValueError("BayouClient needs an API key")
        kwargs = {"sleep": transport_sleep} if transport_sleep else {}
        self.http = VendorHttpClient(
            VENDOR, base_url, auth=httpx.BasicAuth(api_key, ""), secrets=[api_key],
            retry=retry, timeouts=timeouts, max_concurrency=max_concurrency, **kwargs,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> BayouClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- customers --------------------------------------------------------------------------

    def list_customers_raw(self) -> list[Any]:
        return [record for page in paginate(self.http, "/customers", SinglePage()) for record in page]

    def list_customers(self) -> Parsed[Customer]:
        return self._parse(self.list_customers_raw(), Customer, "customers", "/customers")

    def get_customer(self, customer_id: str) -> Customer:
        return Customer.model_validate(self.http.get_json(f"/customers/{customer_id}"))

    def create_customer(self, fields: Mapping[str, Any]) -> Customer:
        return Customer.model_validate(self.http.post_json("/customers", json=dict(fields)))

    def update_customer(self, customer_id: str, fields: Mapping[str, Any]) -> Customer:
        response = self.http.request("PATCH", f"/customers/{customer_id}", json=dict(fields))
        return Customer.model_validate(self.http.json_of(response, "PATCH", "/customers/{id}"))

    # -- bills ------------------------------------------------------------------------------

    def list_bills_raw(
        self, customer_id: str, *, start: date | None = None, end: date | None = None,
        account_number: str | None = None, meter_id: str | None = None, limit: int | None = None,
    ) -> list[Any]:
        params = {"start": _iso(start), "end": _iso(end), "account_number": account_number,
                  "meter_id": meter_id, "limit": limit}
        return [r for page in paginate(self.http, f"/customers/{customer_id}/bills", SinglePage(), params) for r in page]

    def list_bills(self, customer_id: str, **filters: Any) -> Parsed[Bill]:
        return self._parse(self.list_bills_raw(customer_id, **filters), Bill, "bills", "/customers/{id}/bills")

    def get_bill_raw(self, bill_id: str) -> Any:
        return self.http.get_json(f"/bills/{bill_id}")

    def get_bill(self, bill_id: str) -> Bill:
        return Bill.model_validate(self.get_bill_raw(bill_id))

    def unlock_bill(self, bill_id: str, *, filters: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Unlock one bill (Bayou charges per unlocked meter: callers decide by policy)."""
        body = self.http.post_json(f"/bills/{bill_id}/unlock", json=dict(filters) if filters else None)
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise VendorResponseError(VENDOR, "POST", "/bills/{id}/unlock", 200, f"unexpected unlock answer {body!r}")
        return body

    def update_bill_external_id(self, bill_id: str, external_id: str) -> Bill:
        response = self.http.request("PATCH", f"/bills/{bill_id}", json={"external_id": external_id})
        return Bill.model_validate(self.http.json_of(response, "PATCH", "/bills/{id}"))

    # -- intervals and utilities --------------------------------------------------------------

    def get_intervals_raw(
        self, customer_id: str, *, start: datetime | date | None = None, end: datetime | date | None = None,
        meter_id: str | None = None,
    ) -> Any:
        params = {"start": _iso(start), "end": _iso(end), "meter_id": meter_id}
        return self.http.get_json(f"/customers/{customer_id}/intervals", params=params)

    def list_utilities_raw(self) -> list[Any]:
        return [r for page in paginate(self.http, "/utilities", SinglePage()) for r in page]

    # -- helpers ------------------------------------------------------------------------------

    def _parse(self, raws: Any, model: type[T], what: str, endpoint: str) -> Parsed[T]:
        try:
            return parse_records(raws, model, what)
        except ValueError as exc:
            raise VendorResponseError(VENDOR, "GET", endpoint, 200, str(exc)) from None
