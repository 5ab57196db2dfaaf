"""Arcadia Arc API client (legacy Arc API, `Arcadia-Version: 2022-10-13`).

Auth: `POST /auth/access_token` with the client id and secret gives a bearer token (2 hours);
it is cached, renewed shortly before it expires, and renewed once more when a call answers 401
(then the 401 stands: a clear auth error). Lists are keyset-paged on `updated_at`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ..core.errors import VendorAuthError, VendorResponseError
from ..core.http import RetryPolicy, Timeouts, VendorHttpClient, default_error_parser, tls_context
from ..core.records import Parsed, parse_records, to_timestamp
from ..core.redaction import register_secret
from .records import User, UtilityAccount, UtilityCredential, UtilityMeter, UtilityStatement

VENDOR = "arcadia"
DEFAULT_BASE_URL = "https://api.arcadia.com"
API_VERSION = "2022-10-13"
TOKEN_PATH = "/auth/access_token"
PAGE_SIZE = 100
MAX_INTERVAL_SPAN = timedelta(days=365)  # Arc answers 400 past one year per request
TOKEN_RENEW_MARGIN_S = 300


class ArcadiaTokenAuth(httpx.Auth):
    """Bearer tokens from the client credentials: cached, renewed early, renewed once on 401."""

    requires_response_body = True

    def __init__(self, base_url: str, client_id: str, client_secret: str, *, verify, timeout: httpx.Timeout,
                 clock: Callable[[], float] = time.time) -> None:
        register_secret(client_secret)
        self._token_url = base_url.rstrip("/") + TOKEN_PATH
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._verify, self._timeout, self._clock = verify, timeout, clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.Lock()
        self.renewals = 0

    def token(self, *, force: bool = False, rejected: str | None = None) -> str:
        with self._lock:
            # Another thread may have renewed already while this one waited for the lock.
            stale = self._token is None or self._clock() >= self._expires_at - TOKEN_RENEW_MARGIN_S
            if stale or (force and self._token == rejected):
                self._fetch()
            assert self._token is not None
            return self._token

    def _fetch(self) -> None:
        with httpx.Client(verify=self._verify, timeout=self._timeout) as client:
            try:
                response = client.post(self._token_url, json=self._credentials, headers={"Accept": "application/json"})
            except httpx.TransportError as exc:
                raise VendorAuthError(VENDOR, "POST", TOKEN_PATH, None, f"cannot reach the token endpoint: {exc}") from None
        if response.status_code != 200:
            _, detail = default_error_parser(response)
            raise VendorAuthError(VENDOR, "POST", TOKEN_PATH, response.status_code,
                                  f"{detail} (check ARCADIA_CLIENT_ID and ARCADIA_CLIENT_SECRET)")
        body = response.json()
        token = body.get("access_token")
        if not token:
            raise VendorResponseError(VENDOR, "POST", TOKEN_PATH, 200, "token answer without access_token")
        register_secret(token)
        self._token = token
        self._expires_at = self._clock() + float(body.get("expires_in") or 7200)
        self.renewals += 1

    def sync_auth_flow(self, request: httpx.Request):
        token = self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(force=True, rejected=token)}"
            yield request


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ArcadiaClient:
    def __init__(self, client_id: str, client_secret: str, base_url: str = DEFAULT_BASE_URL, *,
                 api_version: str = API_VERSION, retry: RetryPolicy = RetryPolicy(), timeouts: Timeouts = Timeouts(),
                 max_concurrency: int = 4, transport_sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], float] = time.time, page_size: int = PAGE_SIZE) -> None:
        if not client_id or not client_secret:
            raise ValueError("ArcadiaClient needs ARCADIA_CLIENT_ID and ARCADIA_CLIENT_SECRET")
        self.auth = ArcadiaTokenAuth(base_url, client_id, client_secret, verify=tls_context(),
                                     timeout=timeouts.to_httpx(), clock=clock)
        kwargs = {"sleep": transport_sleep} if transport_sleep else {}
        self.http = VendorHttpClient(VENDOR, base_url, auth=self.auth, headers={"Arcadia-Version": api_version},
                                     secrets=[client_secret], retry=retry, timeouts=timeouts,
                                     max_concurrency=max_concurrency, **kwargs)
        self.page_size = page_size

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ArcadiaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lists: keyset paging on updated_at ----------------------------------------------------

    def pages(self, path: str, params: Mapping[str, Any] | None = None, *,
              updated_after: datetime | None = None) -> Iterator[list[dict]]:
        """Every record of a list, oldest update first, one page at a time.

        The next page asks for records updated after the last one seen. Records sharing that
        `updated_at` could straddle the page boundary, so the cursor steps back one millisecond
        and the records already seen are skipped: nothing is lost to ties. A record updated
        while we page moves to the end of the order and is met again later (the caller keeps
        the latest version).
        """
        cursor = updated_after
        seen_at_cursor: set[Any] = set()
        while True:
            query = {**(params or {}), "limit": self.page_size, "order": "asc"}
            if cursor is not None:
                query["updated_after"] = _iso(cursor - timedelta(milliseconds=1))
            body = self.http.get_json(path, params=query)
            records = body.get("data") if isinstance(body, dict) else None
            if not isinstance(records, list):
                raise VendorResponseError(VENDOR, "GET", path, 200, "list answer without a 'data' array")
            fresh = [r for r in records if not (isinstance(r, dict) and r.get("id", r.get("client_user_id"))
                                               in seen_at_cursor and _updated(r) == cursor)]
            if fresh:
                yield fresh
            if len(records) < self.page_size:
                return
            last = max((_updated(r) for r in records if _updated(r) is not None), default=None)
            if last is None:
                return
            if last == cursor and not fresh:
                raise VendorResponseError(
                    VENDOR, "GET", path, 200,
                    f"more than {self.page_size} records share updated_at {last}: raise the page size")
            if last != cursor:
                seen_at_cursor = set()
            cursor = last
            seen_at_cursor |= {r.get("id", r.get("client_user_id")) for r in records
                               if isinstance(r, dict) and _updated(r) == last}

    def _all(self, path: str, params: Mapping[str, Any] | None, model, what: str,
             updated_after: datetime | None) -> Parsed:
        raws = [r for page in self.pages(path, params, updated_after=updated_after) for r in page]
        try:
            return parse_records(raws, model, what)
        except ValueError as exc:
            raise VendorResponseError(VENDOR, "GET", path, 200, str(exc)) from None

    def users(self, *, updated_after: datetime | None = None) -> Parsed[User]:
        return self._all("/users", None, User, "users", updated_after)

    def credentials(self, *, client_user_id: str | None = None, updated_after: datetime | None = None) -> Parsed[UtilityCredential]:
        return self._all("/utility_credentials", {"client_user_id": client_user_id}, UtilityCredential,
                         "utility credentials", updated_after)

    def accounts(self, *, client_user_id: str | None = None, updated_after: datetime | None = None) -> Parsed[UtilityAccount]:
        return self._all("/utility_accounts", {"client_user_id": client_user_id}, UtilityAccount,
                         "utility accounts", updated_after)

    def meters(self, *, utility_account_id: int | str | None = None, service_types: list[str] | None = None,
               updated_after: datetime | None = None) -> Parsed[UtilityMeter]:
        params = {"utility_account_id": utility_account_id}
        if service_types:
            params["service_types[]"] = service_types
        return self._all("/utility_meters", params, UtilityMeter, "utility meters", updated_after)

    def statements(self, utility_account_id: int | str, *, updated_after: datetime | None = None) -> Parsed[UtilityStatement]:
        return self._all("/plug/utility_statements", {"utility_account_id": utility_account_id}, UtilityStatement,
                         "utility statements", updated_after)

    # -- single records ------------------------------------------------------------------------

    def ping(self) -> bool:
        return bool(self.http.get_json("/ping").get("pong"))

    def user(self, client_user_id: str) -> User:
        return User.model_validate(self.http.get_json(f"/users/{client_user_id}"))

    def credential(self, credential_id: int | str) -> UtilityCredential:
        return UtilityCredential.model_validate(self.http.get_json(f"/utility_credentials/{credential_id}"))

    def account(self, account_id: int | str) -> UtilityAccount:
        return UtilityAccount.model_validate(self.http.get_json(f"/utility_accounts/{account_id}"))

    def meter(self, meter_id: int | str) -> UtilityMeter:
        return UtilityMeter.model_validate(self.http.get_json(f"/utility_meters/{meter_id}"))

    def statement(self, statement_id: int | str) -> UtilityStatement:
        return UtilityStatement.model_validate(self.http.get_json(f"/plug/utility_statements/{statement_id}"))

    def statement_intervals(self, statement_id: int | str) -> Any:
        return self.http.get_json(f"/plug/utility_statements/{statement_id}/intervals")

    # -- intervals -----------------------------------------------------------------------------

    def interval_metadata(self, *, utility_meter_id: int | str | None = None,
                          utility_account_id: int | str | None = None) -> tuple[datetime | None, datetime | None, dict]:
        """(earliest, latest) interval times Arc has, and the raw answer."""
        _exactly_one(utility_meter_id, utility_account_id)
        body = self.http.get_json("/plug/utility_intervals/metadata", params={
            "utility_meter_id": utility_meter_id, "utility_account_id": utility_account_id})
        earliest = latest = None
        if isinstance(body, dict):
            data = body.get("data", body) if isinstance(body.get("data", body), dict) else body
            for key, value in data.items():
                name = key.lower()
                if ("earliest" in name or "start" in name or "first" in name) and earliest is None:
                    earliest = to_timestamp(value)
                elif ("latest" in name or "end" in name or "last" in name) and latest is None:
                    latest = to_timestamp(value)
        return earliest, latest, body

    def interval_windows(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """[start, end) in requests of at most one year."""
        windows, cursor = [], start
        while cursor < end:
            upper = min(cursor + MAX_INTERVAL_SPAN, end)
            windows.append((cursor, upper))
            cursor = upper
        return windows

    def intervals_raw(self, *, start: datetime, end: datetime, utility_meter_id: int | str | None = None,
                      utility_account_id: int | str | None = None) -> list[Any]:
        """One request (at most one year): the raw interval items."""
        _exactly_one(utility_meter_id, utility_account_id)
        body = self.http.get_json("/plug/utility_intervals", params={
            "utility_meter_id": utility_meter_id, "utility_account_id": utility_account_id,
            "start_time": _iso(start), "end_time": _iso(end)})
        items = body.get("data") if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise VendorResponseError(VENDOR, "GET", "/plug/utility_intervals", 200, "interval answer without a list")
        return items


def _updated(record: Any) -> datetime | None:
    if not isinstance(record, dict):
        return None
    try:
        return to_timestamp(record.get("updated_at"))
    except ValueError:
        return None


def _exactly_one(meter_id, account_id) -> None:
    if (meter_id is None) == (account_id is None):
        raise ValueError("give exactly one of utility_meter_id and utility_account_id")
