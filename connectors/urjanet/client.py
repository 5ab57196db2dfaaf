"""Urjanet Utility Data API client (enrollment and status API, seed `urjanet-utility-data-api.txt`).

Auth: the AuthServer login (`POST /auth/login`, username and password; the seed defers to the
AuthServer docs, so the path is a parameter) gives a bearer token. It is cached, renewed early when
the login answer says when it expires, and renewed once more when a call answers 401; a second 401
is a clear `VendorAuthError`. The password is registered with the log redactor and never logged.

Every answer is an envelope `{data, status: OK|FAILURE, message: [...], messageCode?}`; searches add
`morePages` and `nextPageOffset`. A FAILURE (even under HTTP 200) and every error status is raised as
the exception its Appendix D `messageCode` maps to (see ERROR_CODES). Searches POST a query-criteria
object (`query.Query`) and page with `start`/`length` (at most 1000) until `morePages` is false,
following `nextPageOffset`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from pydantic import ValidationError

from ..core.errors import (
    VendorAuthError,
    VendorError,
    VendorNotFoundError,
    VendorRequestError,
    VendorResponseError,
    VendorUnavailableError,
)
from ..core.http import RetryPolicy, Timeouts, VendorHttpClient, tls_context
from ..core.records import Parsed, describe_validation_error, parse_records
from ..core.redaction import register_secret
from .query import MAX_PAGE_LENGTH, Query
from .records import Account, Attribute, ChangeEvent, Credential, Meter, Provider, ServiceType, Template

log = logging.getLogger("connectors.urjanet")

VENDOR = "urjanet"
DEFAULT_BASE_URL = "https://api.urjanet.net"
QA_BASE_URL = "https://apiqa.urjanet.net"
LOGIN_PATH = "/auth/login"
API = "/api/v1"
TOKEN_RENEW_MARGIN_S = 60


# -- errors (Appendix D) ------------------------------------------------------------------------

class UrjanetAlreadyExistsError(VendorRequestError):
    """ALREADY_EXISTS: an entity with the same natural key (e.g. credential usernames) exists."""


class UrjanetProviderNotFoundError(VendorRequestError):
    """PROVIDIER_NOT_FOUND (sic): the utility provider id/alias is unknown."""


class UrjanetOperationError(VendorUnavailableError):
    """A *_FAILURE code: Urjanet failed to carry out a create/update/search (HTTP 500)."""


@dataclass(frozen=True)
class ErrorCode:
    status: int
    exception: type[VendorError]
    meaning: str


ERROR_CODES: dict[str, ErrorCode] = {
    "INVALID_ARGUMENTS": ErrorCode(400, VendorRequestError, "invalid arguments"),
    "NOT_FOUND": ErrorCode(404, VendorNotFoundError, "no such entity"),
    "NOT_AUTHORIZED": ErrorCode(401, VendorAuthError, "not authorized (check URJANET_USERNAME/URJANET_PASSWORD)"),
    "ALREADY_EXISTS": ErrorCode(400, UrjanetAlreadyExistsError, "the entity already exists"),
    "PROVIDIER_NOT_FOUND": ErrorCode(400, UrjanetProviderNotFoundError, "unknown utility provider"),
    "PROVIDER_NOT_FOUND": ErrorCode(400, UrjanetProviderNotFoundError, "unknown utility provider"),
    "MALFORMED_REQUEST": ErrorCode(400, VendorRequestError, "malformed request"),
    "ACCOUNT_CREATE_FAILURE": ErrorCode(500, UrjanetOperationError, "account creation failed"),
    "ACCOUNT_CREATE_PARTIAL_FAILURE": ErrorCode(500, UrjanetOperationError, "account creation partly failed"),
    "ACCOUNT_UPDATE_FAILURE": ErrorCode(500, UrjanetOperationError, "account update failed"),
    "ACCOUNT_SEARCH_FAILURE": ErrorCode(500, UrjanetOperationError, "account search failed"),
    "CREDENTIAL_CREATE_FAILURE": ErrorCode(500, UrjanetOperationError, "credential creation failed"),
    "CREDENTIAL_SEARCH_FAILURE": ErrorCode(500, UrjanetOperationError, "credential search failed"),
    "CREDENTIAL_UPDATE_FAILURE": ErrorCode(500, UrjanetOperationError, "credential update failed"),
    "METER_SEARCH_FAILURE": ErrorCode(500, UrjanetOperationError, "meter search failed"),
    "METER_UPDATE_FAILURE": ErrorCode(500, UrjanetOperationError, "meter update failed"),
    "PROVIDER_SEARCH_FAILURE": ErrorCode(500, UrjanetOperationError, "provider search failed"),
    "TEMPLATE_SEARCH_FAILURE": ErrorCode(500, UrjanetOperationError, "template search failed"),
}


def _messages(body: Mapping[str, Any]) -> list[str]:
    raw = body.get("message", body.get("messages"))
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, Mapping):
            text = item.get("message") or item.get("text") or item.get("messageCode")
            out.append(str(text) if text is not None else orjson.dumps(item).decode())
        elif item is not None and str(item).strip():
            out.append(str(item))
    return out


def _message_code(body: Mapping[str, Any]) -> str | None:
    code = body.get("messageCode") or body.get("errorCode") or body.get("code")
    if code is None:
        raw = body.get("message", body.get("messages"))
        for item in raw if isinstance(raw, list) else []:
            if isinstance(item, Mapping) and item.get("messageCode"):
                code = item["messageCode"]
                break
    return str(code).strip().upper() if code is not None else None


def parse_error(response: httpx.Response) -> tuple[str | None, str]:
    """(messageCode, detail) from an Urjanet error answer; a non-JSON body gives a short snippet."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        text = response.content[:200].decode("utf-8", "replace").strip()
        return None, text or response.reason_phrase
    if not isinstance(body, Mapping):
        return None, str(body)[:200]
    code = _message_code(body)
    detail = "; ".join(_messages(body)) or (body.get("error") and str(body["error"])) or ""
    meaning = ERROR_CODES[code].meaning if code in ERROR_CODES else None
    if meaning and meaning.lower() not in detail.lower():
        detail = f"{meaning}: {detail}" if detail else meaning
    return code, detail or response.reason_phrase or "error"


def error_for_code(code: str | None, *, method: str, endpoint: str, status: int | None, detail: str,
                   attempts: int = 1, default: type[VendorError] = VendorResponseError) -> VendorError:
    """The exception Appendix D's messageCode stands for (`default` for an unknown or missing code)."""
    entry = ERROR_CODES.get(code or "")
    cls = entry.exception if entry else default
    return cls(VENDOR, method, endpoint, status, detail, error_code=code, attempts=attempts)


def unwrap(body: Any, method: str, endpoint: str, status: int = 200) -> Mapping[str, Any]:
    """Check an envelope: a dict with status OK (or no status); FAILURE raises the mapped error."""
    if not isinstance(body, Mapping):
        raise VendorResponseError(VENDOR, method, endpoint, status,
                                  f"expected a JSON object envelope, got {type(body).__name__}")
    outcome = str(body.get("status") or "OK").upper()
    code = _message_code(body)
    if outcome != "OK" or (code is not None and code != "SUCCESS"):
        detail = "; ".join(_messages(body)) or (ERROR_CODES[code].meaning if code in ERROR_CODES else "FAILURE")
        raise error_for_code(code, method=method, endpoint=endpoint, status=status, detail=detail)
    return body


# -- auth ---------------------------------------------------------------------------------------

class UrjanetTokenAuth(httpx.Auth):
    """Bearer token from the AuthServer login: cached, renewed early if it says when it expires,
    renewed once on 401 (then the 401 stands)."""

    requires_response_body = True

    def __init__(self, base_url: str, username: str, password: str, *, login_path: str = LOGIN_PATH,
                 verify, timeout: httpx.Timeout, clock: Callable[[], float] = time.time) -> None:
        register_secret(password)
        self._login_url = login_path if login_path.startswith("http") else base_url.rstrip("/") + login_path
        self._login_path = login_path
        self._credentials = {"username": username, "password": password}
        self._verify, self._timeout, self._clock = verify, timeout, clock
        self._token: str | None = None
        self._expires_at: float | None = None
        self._lock = threading.Lock()
        self.logins = 0

    def __repr__(self) -> str:
        return f"UrjanetTokenAuth(login={self._login_url!r})"

    def token(self, *, force: bool = False, rejected: str | None = None) -> str:
        with self._lock:
            stale = self._token is None or (
                self._expires_at is not None and self._clock() >= self._expires_at)
            # Another thread may have logged in again already while this one waited for the lock.
            if stale or (force and self._token == rejected):
                self._login()
            assert self._token is not None
            return self._token

    def _login(self) -> None:
        path = self._login_path
        with httpx.Client(verify=self._verify, timeout=self._timeout) as client:
            try:
                response = client.post(self._login_url, json=self._credentials, headers={"Accept": "application/json"})
            except httpx.TransportError as exc:
                raise VendorAuthError(VENDOR, "POST", path, None, f"cannot reach the login endpoint: {exc}") from None
        if response.status_code != 200:
            code, detail = parse_error(response)
            raise VendorAuthError(VENDOR, "POST", path, response.status_code,
                                  f"login refused: {detail} (check URJANET_USERNAME and URJANET_PASSWORD)",
                                  error_code=code)
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise VendorResponseError(VENDOR, "POST", path, 200, "login answer is not JSON") from None
        token, expires_in = _token_of(body)
        if not token:
            raise VendorResponseError(VENDOR, "POST", path, 200, "login answer without a token")
        register_secret(token)
        self._token = token
        # Renew a little early: a minute, or a tenth of the lifetime for short-lived tokens.
        self._expires_at = (self._clock() + expires_in - min(TOKEN_RENEW_MARGIN_S, expires_in / 10)
                            if expires_in else None)
        self.logins += 1
        log.debug("urjanet: logged in (login %d)", self.logins)

    def sync_auth_flow(self, request: httpx.Request):
        token = self.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(force=True, rejected=token)}"
            yield request


def _token_of(body: Any) -> tuple[str | None, float | None]:
    if not isinstance(body, Mapping):
        return None, None
    candidates = [body] + ([body["data"]] if isinstance(body.get("data"), Mapping) else [])
    for part in candidates:
        token = part.get("token") or part.get("access_token") or part.get("accessToken")
        if token:
            expires = part.get("expires_in") or part.get("expiresIn")
            try:
                return str(token), float(expires) if expires else None
            except (TypeError, ValueError):
                return str(token), None
    return None, None


# -- client -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchEndpoint:
    path: str
    model: type
    what: str


SEARCHES: dict[str, SearchEndpoint] = {
    "account": SearchEndpoint(f"{API}/account/search", Account, "accounts"),
    "account_candidate": SearchEndpoint(f"{API}/account/candidates", Account, "candidate accounts"),
    "meter": SearchEndpoint(f"{API}/meter/search", Meter, "meters"),
    "meter_candidate": SearchEndpoint(f"{API}/meter/candidate", Meter, "candidate meters"),
    "credential": SearchEndpoint(f"{API}/credential/search", Credential, "credentials"),
    "attribute": SearchEndpoint(f"{API}/attribute/search", Attribute, "attributes"),
    "changelog": SearchEndpoint(f"{API}/changelog/search", ChangeEvent, "change events"),
    "template": SearchEndpoint(f"{API}/template/status/search", Template, "templates"),
    "provider": SearchEndpoint(f"{API}/provider/search", Provider, "providers"),
}


class UrjanetClient:
    def __init__(self, username: str, password: str, base_url: str = DEFAULT_BASE_URL, customer_id: str | None = None,
                 *, login_path: str = LOGIN_PATH, page_size: int = MAX_PAGE_LENGTH, retry: RetryPolicy = RetryPolicy(),
                 timeouts: Timeouts = Timeouts(), max_concurrency: int = 4,
                 transport_sleep: Callable[[float], None] | None = None, clock: Callable[[], float] = time.time,
                 max_pages: int = 100_000) -> None:
        if not username or not password:
            raise ValueError("UrjanetClient needs URJANET_USERNAME and URJANET_PASSWORD")
        if not 1 <= page_size <= MAX_PAGE_LENGTH:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_LENGTH}, got {page_size}")
        self.auth = UrjanetTokenAuth(base_url, username, password, login_path=login_path, verify=tls_context(),
                                     timeout=timeouts.to_httpx(), clock=clock)
        kwargs = {"sleep": transport_sleep} if transport_sleep else {}
        self.http = VendorHttpClient(VENDOR, base_url, auth=self.auth, secrets=[password], retry=retry,
                                     timeouts=timeouts, max_concurrency=max_concurrency, error_parser=parse_error,
                                     headers={"Accept": "application/json"}, **kwargs)
        self.customer_id = customer_id
        self.page_size = page_size
        self.max_pages = max_pages

    def __repr__(self) -> str:
        return f"UrjanetClient(base_url={self.http.base_url!r}, customer_id={self.customer_id!r})"

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> UrjanetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------------

    def call(self, method: str, path: str, *, json: Any = None) -> Mapping[str, Any]:
        """One call: the checked envelope. Errors are raised as their Appendix D exception."""
        try:
            response = self.http.request(method, path, json=json)
        except VendorError as exc:
            if exc.error_code in ERROR_CODES and not isinstance(exc, ERROR_CODES[exc.error_code].exception):
                raise ERROR_CODES[exc.error_code].exception(
                    VENDOR, exc.method, exc.endpoint, exc.status, exc.detail, error_code=exc.error_code,
                    attempts=exc.attempts) from None
            raise
        return unwrap(self.http.json_of(response, method, path), method, path, response.status_code)

    def _data(self, method: str, path: str, json: Any = None) -> Any:
        return self.call(method, path, json=json).get("data")

    def _one(self, method: str, path: str, model: type, json: Any = None):
        data = self._data(method, path, json)
        if not isinstance(data, dict):
            raise VendorResponseError(VENDOR, method, path, 200, f"expected an object in 'data', got {type(data).__name__}")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise VendorResponseError(VENDOR, method, path, 200, describe_validation_error(exc)) from None

    def _many(self, method: str, path: str, model: type, what: str, json: Any = None) -> Parsed:
        data = self._data(method, path, json)
        try:
            return parse_records(data if data is not None else [], model, what)
        except ValueError as exc:
            raise VendorResponseError(VENDOR, method, path, 200, str(exc)) from None

    def _body(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in fields.items() if v is not None}
        if self.customer_id and "customerId" not in body:
            body["customerId"] = self.customer_id
        return body

    # -- search --------------------------------------------------------------------------------

    def search_pages(self, entity: str, query: Query | None = None, *, limit: int | None = None) -> Iterator[list[dict]]:
        """Raw records page by page: `start`/`length` windows (length <= 1000) until morePages is
        false, each next window starting at `nextPageOffset` (or after the records received)."""
        endpoint = _endpoint(entity)
        query = query or Query()
        length = min(query.length or self.page_size, MAX_PAGE_LENGTH)
        start, seen, pages = query.start, 0, 0
        while pages < self.max_pages:
            window = length if limit is None else min(length, limit - seen)
            if window <= 0:
                return
            body = self.call("POST", endpoint.path, json=self._body({
                "queryCriteria": query.to_json(start=start, length=window)}))
            records = body.get("data")
            if records is None:
                records = []
            if not isinstance(records, list):
                raise VendorResponseError(VENDOR, "POST", endpoint.path, 200, "search answer without a 'data' array")
            pages += 1
            if limit is not None:
                records = records[: limit - seen]
            seen += len(records)
            if records:
                yield records
            if not body.get("morePages"):
                return
            offset = body.get("nextPageOffset")
            next_start = int(offset) if isinstance(offset, (int, float)) and not isinstance(offset, bool) else start + len(records)
            if next_start <= start:
                raise VendorResponseError(VENDOR, "POST", endpoint.path, 200,
                                          f"morePages is true but nextPageOffset {offset!r} does not move past {start}")
            start = next_start

    def search_raw(self, entity: str, query: Query | None = None, *, limit: int | None = None) -> Iterator[dict]:
        for page in self.search_pages(entity, query, limit=limit):
            yield from page

    def search(self, entity: str, query: Query | None = None, *, limit: int | None = None) -> Iterator[Any]:
        """Typed records of one search entity (see SEARCHES); a record that does not validate
        raises VendorResponseError naming the field (use `search_all` to quarantine instead)."""
        endpoint = _endpoint(entity)
        for raw in self.search_raw(entity, query, limit=limit):
            try:
                yield endpoint.model.model_validate(raw)
            except ValidationError as exc:
                raise VendorResponseError(VENDOR, "POST", endpoint.path, 200,
                                          f"{endpoint.what}: {describe_validation_error(exc)}") from None

    def search_all(self, entity: str, query: Query | None = None, *, limit: int | None = None) -> Parsed:
        """Every record of a search, parsed; invalid ones are kept aside as rejected with a reason."""
        endpoint = _endpoint(entity)
        return parse_records(list(self.search_raw(entity, query, limit=limit)), endpoint.model, endpoint.what)

    # -- accounts ------------------------------------------------------------------------------

    def create_account(self, *, account_number: str, utility_provider_id: str, extraction_channel_id: str,
                       subscribed: bool = True, to_be_delivered: bool = True, pull_history: bool | None = None,
                       ebill_requirement: str | None = None, custom_attributes: Mapping[str, str] | None = None,
                       customer_id: str | None = None) -> Account:
        return self._one("POST", f"{API}/account/create", Account, self._body({
            "accountNumber": account_number, "customerId": customer_id, "utilityProviderId": utility_provider_id,
            "subscribed": subscribed, "toBeDelivered": to_be_delivered, "pullHistory": pull_history,
            "ebillRequirement": ebill_requirement, "extractionChannelId": extraction_channel_id,
            "customAttributes": dict(custom_attributes) if custom_attributes is not None else None}))

    def update_account(self, account_id: str, **fields: Any) -> Account:
        """Sparse update: pass the API's field names (`toBeDelivered=False`, `extractionChannelIds=[...]`)."""
        return self._one("POST", f"{API}/account/update", Account, {"id": account_id, **fields})

    def enroll_candidate(self, account_id: str, custom_attributes: Mapping[str, str] | None = None) -> Account:
        body: dict[str, Any] = {"id": account_id}
        if custom_attributes is not None:
            body["customAttributes"] = dict(custom_attributes)
        return self._one("POST", f"{API}/account/enrollCandidate", Account, body)

    def account(self, account_id: str) -> Account:
        return self._one("GET", f"{API}/account/status/{account_id}", Account)

    account_status = account

    def search_accounts(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Account]:
        return self.search("account", query, limit=limit)

    def account_candidates(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Account]:
        return self.search("account_candidate", query, limit=limit)

    # -- meters --------------------------------------------------------------------------------

    def create_meter(self, *, meter_number: str, utility_account_id: str, service_type: str,
                     custom_attributes: Mapping[str, str] | None = None, customer_id: str | None = None) -> Meter:
        return self._one("POST", f"{API}/meter/create", Meter, self._body({
            "meterNumber": meter_number, "customerId": customer_id, "utilityAccountId": utility_account_id,
            "serviceType": service_type,
            "customAttributes": dict(custom_attributes) if custom_attributes is not None else None}))

    def update_meter(self, meter_id: str, custom_attributes: Mapping[str, str]) -> Meter:
        return self._one("POST", f"{API}/meter/update", Meter, {"id": meter_id, "customAttributes": dict(custom_attributes)})

    def meter(self, meter_id: str) -> Meter:
        return self._one("GET", f"{API}/meter/status/{meter_id}", Meter)

    meter_status = meter

    def search_meters(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Meter]:
        return self.search("meter", query, limit=limit)

    def meter_candidates(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Meter]:
        return self.search("meter_candidate", query, limit=limit)

    def meters_by_account(self, account_id: str) -> Parsed[Meter]:
        return self._many("GET", f"{API}/meter/byaccount/{account_id}", Meter, "meters")

    # -- credentials ---------------------------------------------------------------------------

    def create_credential(self, *, utility_provider_id: str, username: str | None = None, password: str | None = None,
                          customer_id: str | None = None, **fields: Any) -> Credential:
        """`fields` are further API fields (`username2`, `password2`, `templateId`, `url`,
        `acquisitionType`, `enabled`, `intervalDataEnabled`, `s3BucketName`, ...)."""
        _register_passwords(password, fields)
        return self._one("POST", f"{API}/credential/create", Credential, self._body({
            "utilityProviderId": utility_provider_id, "username": username, "password": password,
            "customerId": customer_id, **fields}))

    def update_credential(self, credential_id: str, **fields: Any) -> Credential:
        _register_passwords(None, fields)
        return self._one("POST", f"{API}/credential/update", Credential, {"id": credential_id, **fields})

    def credential(self, credential_id: str) -> Credential:
        """By UUID or extractionChannelId."""
        return self._one("GET", f"{API}/credential/status/{credential_id}", Credential)

    credential_status = credential

    def search_credentials(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Credential]:
        return self.search("credential", query, limit=limit)

    # -- change log, metadata ------------------------------------------------------------------

    def change_events(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[ChangeEvent]:
        return self.search("changelog", query, limit=limit)

    def search_providers(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Provider]:
        return self.search("provider", query, limit=limit)

    def provider(self, provider_id: str) -> Provider:
        """By UUID or providerAlias. (The seed prints /template/status/{id} here, a typo for
        /provider/status/{id}, which is what every EntityReference link to a provider points at.)"""
        return self._one("GET", f"{API}/provider/status/{provider_id}", Provider)

    def providers_by_service_type(self, service_type_id: str) -> Parsed[Provider]:
        return self._many("GET", f"{API}/provider/byServiceType/{service_type_id}", Provider, "providers")

    def service_types(self) -> Parsed[ServiceType]:
        return self._many("GET", f"{API}/serviceType/list", ServiceType, "service types")

    def service_type(self, service_type_id: str) -> ServiceType:
        return self._one("GET", f"{API}/serviceType/status/{service_type_id}", ServiceType)

    def template(self, template_id: str) -> Template:
        return self._one("GET", f"{API}/template/status/{template_id}", Template)

    def search_templates(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Template]:
        return self.search("template", query, limit=limit)

    def create_attribute(self, name: str, *, required: bool | None = None, cnbd_position: int | None = None,
                         customer_id: str | None = None) -> Attribute:
        return self._one("POST", f"{API}/attribute/create", Attribute, self._body({
            "name": name, "required": required, "cnbdPosition": cnbd_position, "customerId": customer_id}))

    def update_attribute(self, attribute_id: str, **fields: Any) -> Attribute:
        return self._one("POST", f"{API}/attribute/update", Attribute, {"id": attribute_id, **fields})

    def attribute(self, attribute_id: str) -> Attribute:
        return self._one("GET", f"{API}/attribute/status/{attribute_id}", Attribute)

    def search_attributes(self, query: Query | None = None, *, limit: int | None = None) -> Iterator[Attribute]:
        return self.search("attribute", query, limit=limit)


def _endpoint(entity: str) -> SearchEndpoint:
    try:
        return SEARCHES[entity]
    except KeyError:
        raise ValueError(f"unknown Urjanet search entity {entity!r}; one of {', '.join(SEARCHES)}") from None


def _register_passwords(password: str | None, fields: Mapping[str, Any]) -> None:
    register_secret(password)
    for key, value in fields.items():
        if key.lower().startswith("password") and isinstance(value, str):
            register_secret(value)
