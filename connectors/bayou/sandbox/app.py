"""The Bayou Energy API v2, simulated over real HTTP (Starlette app).

    create_app(dataset: BayouDataset, api_key: str = "sandbox-key") -> Starlette
    start_bayou_sandbox(api_key: str = "sandbox-key", *, dataset: BayouDataset | None = None,
                        port: int = 0, host: str = "127.0.0.1",
                        seed=..., customers=..., months=..., as_of=...) -> tuple[SandboxServer, str]

`start_bayou_sandbox` starts a `SandboxServer` (already accepting connections) and returns it
with the API base URL (`http://127.0.0.1:<port>/api/v2`); generator arguments not given come
from `sandbox_settings_from_env()`. Stop it with `server.stop()` or `with server: ...`.

API (base `/api/v2`, HTTP Basic with the API key as username and an empty password): see the
route table in `create_app`. Every `{id}` accepts the numeric id or `external_id:<value>`. Errors
always have Bayou's body `{error_type, error_code, error_message, docs_url}`.

Ops hooks (no auth): `GET /_sandbox/calls`, `POST /_sandbox/reset-calls`, `POST|GET|DELETE
/_sandbox/faults`, `GET /_sandbox/state`, `GET /_sandbox/files/<bill id>.pdf`. In Python,
`app.state.sandbox` is the `SandboxState` (dataset, calls, unlocked_bill_ids, inject_faults()).

Fault scripts: `{"path": "/api/v2/customers", "method": "GET" (optional), "responses": [...]}`;
each response is `{"status": 429, "retry_after": 1}`, `{"status": 500}`, optionally with
`"body"` (any JSON, replaces the error body), `"raw"` (text sent as is, e.g. truncated JSON),
`"headers"` and `"delay"` (seconds to wait first). A response without `status` only delays,
then the request is served normally. The next requests whose path starts with `path` (under
/api/v2; a path without the prefix gets it) consume the responses in order, then normal
behaviour resumes. Faulted calls are recorded with `"fault": true`.

Rate-based faults (`SANDBOX_FAULT_RATE`, `BAYOU_SANDBOX_FAULT_RATE`, `--fault-rate`,
`state.configure_faults(...)`, `POST /_sandbox/fault-rate`; see `connectors/core/sandbox_kit.py`):
the lists (customers, a customer's bills, utilities) are single pages, so `duplicate` repeats some
of the list's own records and `reorder` shuffles it.

Choices where Bayou publishes nothing: the password of the Basic auth is ignored; 429 and 403
use `error_type: request_blocked`; `/customers/` is served like `/customers`; a `meter_id`
not on the customer is a 404; unlock filters are validated and recorded but always unlock the
whole bill; unlocking an `unparsed` bill is accepted and recorded, the bill stays unparsed;
`POST /bills` needs a file starting with `%PDF` and creates a bill with no statement date.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import itertools
import logging
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, ClassVar

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Scope

from ...core.sandbox_kit import (
    CallLogAndFaults,
    FaultScript,
    RecordingGate,
    fault_response,
    json_response,
    listing_faults,
    method_route,
    ops_routes,
    sandbox_app,
    sandbox_dataset,
    tiny_pdf,
)
from ...core.sandbox_server import SandboxServer
from .generator import (
    BayouDataset,
    BillRecord,
    CustomerRecord,
    UTILITIES,
    generate_dataset,
    sandbox_settings_from_env,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v2"
DOCS_URL = "https://docs.bayou.energy/v2.0/reference/errors"
# Bodies above this many readings are streamed instead of built in one piece.
STREAM_ABOVE_READINGS = 50_000

ERROR_TYPES = {
    400: "invalid_input",
    401: "auth_error",
    403: "request_blocked",
    404: "invalid_request",
    405: "invalid_request",
    409: "invalid_request",
    415: "invalid_request",
    429: "request_blocked",
}
ERROR_CODES = {
    400: "invalid_input",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
ERROR_MESSAGES = {
    401: "Invalid API key. Use HTTP Basic auth with your API key as the username and an empty password.",
    403: "This request is not allowed.",
    404: "The requested resource does not exist.",
    405: "Method not allowed.",
    429: "Too many requests. Retry later.",
    500: "Something went wrong on Bayou's end.",
    502: "Bad gateway.",
    503: "Bayou is temporarily unavailable.",
    504: "Gateway timeout.",
}
CUSTOMER_WRITABLE = (
    "external_id", "email", "first_name", "last_name", "address_line_1", "address_line_2",
    "city", "state", "zipcode", "tags",
)
UNLOCK_FILTERS = ("meter_id", "period_from", "period_to", "meter_type")
UPLOADED_BILL_IDS_FROM = 1_000_000


class ApiError(Exception):
    def __init__(self, status: int, message: str | None = None, code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or ERROR_CODES.get(status, "api_error" if status >= 500 else "error")
        self.message = message or ERROR_MESSAGES.get(status, "Request failed.")
        self.headers = headers or {}


def error_body(status: int, code: str | None = None, message: str | None = None) -> dict[str, str]:
    return {
        "error_type": ERROR_TYPES.get(status, "api_error" if status >= 500 else "invalid_request"),
        "error_code": code or ERROR_CODES.get(status, "api_error" if status >= 500 else "error"),
        "error_message": message or ERROR_MESSAGES.get(status, "Request failed."),
        "docs_url": DOCS_URL,
    }


def error_response(error: ApiError) -> Response:
    return json_response(error_body(error.status, error.code, error.message), error.status, error.headers)


# ---------------------------------------------------------------------------------------------
# Server-side state
# ---------------------------------------------------------------------------------------------


@dataclass
class SandboxState(CallLogAndFaults):
    """What the sandbox server remembers: calls, unlocks, edits, uploads and scripted faults.

    The dataset itself is never mutated, so one dataset can back several servers.
    """

    api_prefix: ClassVar[str] = API_PREFIX

    dataset: BayouDataset
    api_key: str
    calls: list[dict] = field(default_factory=list)
    unlocked_bill_ids: set[int] = field(default_factory=set)
    unlock_requests: list[dict] = field(default_factory=list)
    customers: dict[int, dict] = field(default_factory=dict)
    extra_customers: dict[int, CustomerRecord] = field(default_factory=dict)
    uploaded_bills: dict[int, BillRecord] = field(default_factory=dict)
    bill_external_ids: dict[int, str | None] = field(default_factory=dict)
    faults: list[FaultScript] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _sequence: itertools.count = field(default_factory=itertools.count, repr=False)

    def __post_init__(self) -> None:
        # Shallow copies: PATCH only ever replaces top-level keys.
        self.customers = {c.id: dict(c.payload) for c in self.dataset.customers}

    # -- lookups ------------------------------------------------------------------------------

    def customer_record(self, raw_id: str) -> CustomerRecord:
        customer_id = None
        if raw_id.startswith("external_id:"):
            wanted = raw_id[len("external_id:"):]
            for cid, payload in self.customers.items():
                if payload.get("external_id") == wanted:
                    customer_id = cid
                    break
        elif raw_id.isdigit():
            customer_id = int(raw_id)
        record = None
        if customer_id is not None:
            record = self.dataset.customer(customer_id) or self.extra_customers.get(customer_id)
        if record is None:
            raise ApiError(404, f"Customer {raw_id} not found.")
        return record

    def bill_record(self, raw_id: str) -> BillRecord:
        bill = None
        if raw_id.startswith("external_id:"):
            wanted = raw_id[len("external_id:"):]
            matches = [bid for bid, ext in self.bill_external_ids.items() if ext == wanted]
            if matches:
                bill = self.bill_by_id(matches[0])
        elif raw_id.isdigit():
            bill = self.bill_by_id(int(raw_id))
        if bill is None:
            raise ApiError(404, f"Bill {raw_id} not found.")
        return bill

    def bill_by_id(self, bill_id: int) -> BillRecord | None:
        return self.dataset.bill(bill_id) or self.uploaded_bills.get(bill_id)

    def bills_of(self, customer: CustomerRecord) -> list[BillRecord]:
        uploaded = [b for b in self.uploaded_bills.values() if b.customer_id == customer.id]
        return customer.bills + uploaded

    # -- rendering ----------------------------------------------------------------------------

    def bill_status(self, bill: BillRecord) -> str:
        if bill.default_status == "locked" and bill.id in self.unlocked_bill_ids:
            return "unlocked"
        return bill.default_status

    def render_bill(self, bill: BillRecord) -> dict:
        status = self.bill_status(bill)
        view = bill.unlocked if status == "unlocked" else bill.unparsed if status == "unparsed" else bill.locked
        external_id = self.bill_external_ids.get(bill.id, view["external_id"])
        customer_external_id = self.customers[bill.customer_id]["external_id"]
        if external_id != view["external_id"] or customer_external_id != view["customer_external_id"]:
            view = {**view, "external_id": external_id, "customer_external_id": customer_external_id}
        return view


def _fault_response(fault: dict) -> Response:
    status = fault["status"]
    return fault_response(fault, error_body(status))


# ---------------------------------------------------------------------------------------------
# Gate: faults, auth and call recording for everything under /api/v2
# ---------------------------------------------------------------------------------------------


class ApiGate(RecordingGate):
    label = "Bayou sandbox"

    def fault_reply(self, fault: dict) -> Response:
        return _fault_response(fault)

    def problem(self, scope: Scope, path: str) -> Response | None:
        problem = self._auth_problem(scope)
        return error_response(problem) if problem is not None else None

    def crash_reply(self) -> Response:
        return error_response(ApiError(500))

    def _auth_problem(self, scope: Scope) -> ApiError | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        challenge = {"WWW-Authenticate": 'Basic realm="Bayou"'}
        if header is None:
            return ApiError(401, "Missing API key. Use HTTP Basic auth with your API key as the username.",
                            "missing_api_key", challenge)
        scheme, _, encoded = header.decode("latin-1").partition(" ")
        username = None
        if scheme.lower() == "basic":
            try:
                username = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                username = None
        if username is None or not hmac.compare_digest(username.encode(), self.state.api_key.encode()):
            return ApiError(401, code="invalid_api_key", headers=challenge)
        return None


# ---------------------------------------------------------------------------------------------
# Request parsing helpers
# ---------------------------------------------------------------------------------------------


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _call(request: Request) -> dict:
    return request.scope.get("state", {}).get("sandbox_call", {})


async def _json_object(request: Request, *, allow_empty: bool = False) -> dict:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "A JSON object body is required.", "invalid_body")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError(400, "The body is not valid JSON.", "invalid_body") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.", "invalid_body")
    return body


def _parse_date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value[:10]) if len(value) > 10 and value[10] in "T " else date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date, got {value!r}.", "invalid_parameter") from None


def _parse_moment(name: str, value: str) -> datetime:
    if len(value) > 19 and value[19] == " ":
        # An unencoded "+00:00" in a query string arrives as " 00:00".
        value = value[:19] + "+" + value[20:]
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace(" ", "T", 1) if len(value) > 10 and value[10] == " " else value)
    except ValueError:
        message = f"{name} must be an ISO 8601 date or datetime, got {value!r}."
        raise ApiError(400, message, "invalid_parameter") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _optional(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value if value not in (None, "") else None


# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------


async def list_customers(request: Request) -> Response:
    state = _state(request)
    return json_response(listing_faults(request, list(state.customers.values()))[0])


async def create_customer(request: Request) -> Response:
    state = _state(request)
    body = await _json_object(request)
    unknown = sorted(set(body) - set(CUSTOMER_WRITABLE) - {"utility"})
    if unknown:
        raise ApiError(400, f"Unknown fields: {', '.join(unknown)}.", "invalid_parameter")
    utility = body.get("utility")
    if not utility:
        raise ApiError(400, "utility is required.", "missing_parameter")
    if utility not in UTILITIES:
        raise ApiError(400, f"Unsupported utility {utility!r}. See GET /utilities.", "invalid_parameter")
    _check_customer_fields(state, body, None)
    customer_id = max(state.customers, default=1000) + 1
    token = hashlib.sha256(f"onboarding:{state.dataset.seed}:created:{customer_id}".encode()).hexdigest()[:32]
    payload = {
        "id": customer_id,
        "external_id": body.get("external_id"),
        "email": body.get("email"),
        "first_name": body.get("first_name"),
        "last_name": body.get("last_name"),
        "address_line_1": body.get("address_line_1"),
        "address_line_2": body.get("address_line_2"),
        "city": body.get("city"),
        "state": body.get("state"),
        "zipcode": body.get("zipcode"),
        "utility": utility,
        "onboarding_link": f"https://sandbox.bayou.energy/onboard/{token}",
        "onboarding_token": token,
        "tags": body.get("tags") or [],
        "has_accepted_terms_on": None,
        "has_filled_credentials": False,
        "has_filled_credentials_on": None,
        "bills_are_ready": False,
        "utility_has_intervals": UTILITIES[utility].supports_intervals,
        "account_has_intervals": False,
        "intervals_are_ready": False,
        "first_interval_discovered": None,
        "last_interval_discovered": None,
        "account_numbers": [],
    }
    state.customers[customer_id] = payload
    state.extra_customers[customer_id] = CustomerRecord(customer_id, -1, payload, [], [], None)
    return json_response(payload, 201)


def _check_customer_fields(state: SandboxState, body: dict, customer_id: int | None) -> None:
    for name in CUSTOMER_WRITABLE:
        if name not in body:
            continue
        value = body[name]
        if name == "tags":
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ApiError(400, "tags must be an array of strings.", "invalid_parameter")
        elif value is not None and not isinstance(value, str):
            raise ApiError(400, f"{name} must be a string or null.", "invalid_parameter")
    external_id = body.get("external_id")
    if external_id is not None:
        for cid, payload in state.customers.items():
            if cid != customer_id and payload.get("external_id") == external_id:
                raise ApiError(409, f"external_id {external_id!r} is already used by another customer.",
                               "external_id_already_exists")


async def get_customer(request: Request) -> Response:
    state = _state(request)
    customer = state.customer_record(request.path_params["id"])
    return json_response(state.customers[customer.id])


async def update_customer(request: Request) -> Response:
    state = _state(request)
    customer = state.customer_record(request.path_params["id"])
    body = await _json_object(request)
    unknown = sorted(set(body) - set(CUSTOMER_WRITABLE))
    if unknown:
        raise ApiError(400, f"These fields cannot be updated: {', '.join(unknown)}.", "invalid_parameter")
    _check_customer_fields(state, body, customer.id)
    state.customers[customer.id] = {**state.customers[customer.id], **body}
    return json_response(state.customers[customer.id])


async def list_bills(request: Request) -> Response:
    state = _state(request)
    customer = state.customer_record(request.path_params["id"])
    account_number = _optional(request, "account_number")
    meter_id = _optional(request, "meter_id")
    start = _optional(request, "start")
    end = _optional(request, "end")
    start_day = _parse_date("start", start) if start else None
    end_day = _parse_date("end", end) if end else None
    limit = _optional(request, "limit")
    if limit is not None:
        if not limit.isdigit() or int(limit) < 1:
            raise ApiError(400, f"limit must be a positive integer, got {limit!r}.", "invalid_parameter")
    bills = []
    for bill in state.bills_of(customer):
        if account_number is not None and bill.account_number != account_number:
            continue
        if meter_id is not None and meter_id not in bill.meter_ids:
            continue
        if start_day is not None and (bill.billed_on is None or bill.billed_on < start_day):
            continue
        if end_day is not None and (bill.billed_on is None or bill.billed_on > end_day):
            continue
        bills.append(bill)
    # Newest first; uploads not parsed yet have no statement date and count as newest.
    bills.sort(key=lambda b: (b.billed_on is None, b.billed_on or date.min, b.id), reverse=True)
    if limit is not None:
        bills = bills[: int(limit)]
    return json_response(listing_faults(request, [state.render_bill(b) for b in bills])[0])


async def get_intervals(request: Request) -> Response:
    state = _state(request)
    customer = state.customer_record(request.path_params["id"])
    start = _optional(request, "start")
    end = _optional(request, "end")
    start_at = _parse_moment("start", start) if start else None
    end_at = _parse_moment("end", end) if end else None
    if start_at and end_at and end_at < start_at:
        raise ApiError(400, "end must not be before start.", "invalid_parameter")
    meter_id = _optional(request, "meter_id")
    if meter_id is not None and meter_id not in {m.id for m in customer.meters}:
        raise ApiError(404, f"Meter {meter_id} not found for customer {customer.id}.")
    selection = state.dataset.intervals(customer, start_at, end_at, meter_id)
    if selection.reading_count <= STREAM_ABOVE_READINGS:
        return Response(selection.to_bytes(), media_type="application/json")

    async def body() -> AsyncIterator[bytes]:
        for chunk in selection.iter_json(chunk_readings=20 * 96):
            yield chunk
            # Let other connections in between chunks: one large history must not stall them.
            await asyncio.sleep(0)

    return StreamingResponse(body(), media_type="application/json")


async def get_bill(request: Request) -> Response:
    state = _state(request)
    return json_response(state.render_bill(state.bill_record(request.path_params["id"])))


async def update_bill(request: Request) -> Response:
    state = _state(request)
    bill = state.bill_record(request.path_params["id"])
    body = await _json_object(request)
    unknown = sorted(set(body) - {"external_id"})
    if unknown:
        raise ApiError(400, f"Only external_id can be updated on a bill, not: {', '.join(unknown)}.",
                       "invalid_parameter")
    if "external_id" in body:
        external_id = body["external_id"]
        if external_id is not None and not isinstance(external_id, str):
            raise ApiError(400, "external_id must be a string or null.", "invalid_parameter")
        if external_id is not None and any(
            ext == external_id and bid != bill.id for bid, ext in state.bill_external_ids.items()
        ):
            raise ApiError(409, f"external_id {external_id!r} is already used by another bill.",
                           "external_id_already_exists")
        state.bill_external_ids[bill.id] = external_id
    return json_response(state.render_bill(bill))


async def unlock_bill(request: Request) -> Response:
    state = _state(request)
    bill = state.bill_record(request.path_params["id"])
    body = await _json_object(request, allow_empty=True)
    unknown = sorted(set(body) - set(UNLOCK_FILTERS))
    if unknown:
        raise ApiError(400, f"Unknown unlock filters: {', '.join(unknown)}.", "invalid_parameter")
    if body.get("meter_type") not in (None, "electric", "gas"):
        raise ApiError(400, "meter_type must be 'electric' or 'gas'.", "invalid_parameter")
    for name in ("period_from", "period_to"):
        if body.get(name) is not None:
            if not isinstance(body[name], str):
                raise ApiError(400, f"{name} must be an ISO 8601 date.", "invalid_parameter")
            _parse_date(name, body[name])
    if body.get("meter_id") is not None and str(body["meter_id"]) not in bill.meter_ids:
        raise ApiError(400, f"Meter {body['meter_id']} is not on bill {bill.id}.", "invalid_parameter")
    filters = {k: v for k, v in body.items() if v is not None} or None
    state.unlocked_bill_ids.add(bill.id)
    state.unlock_requests.append({"bill_id": bill.id, "filters": filters})
    call = _call(request)
    call["bill_id"] = bill.id
    if filters:
        call["unlock_filters"] = filters
    return json_response({"status": "ok", "details": "Bill was unlocked"})


async def upload_bill(request: Request) -> Response:
    state = _state(request)
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ApiError(415, "Upload the bill as multipart/form-data with customer_id and file.")
    fields, files = _parse_multipart(content_type, await request.body())
    if "customer_id" not in fields:
        raise ApiError(400, "customer_id is required.", "missing_parameter")
    if "file" not in files:
        raise ApiError(400, "file is required.", "missing_parameter")
    if not files["file"].startswith(b"%PDF"):
        raise ApiError(400, "file must be a PDF.", "invalid_parameter")
    customer = state.customer_record(fields["customer_id"].strip())
    bill_id = max(state.uploaded_bills, default=UPLOADED_BILL_IDS_FROM - 1) + 1
    payload = state.customers[customer.id]
    unparsed = {
        "status": "unparsed",
        "external_id": None,
        "id": bill_id,
        "customer_id": customer.id,
        "customer_external_id": payload["external_id"],
        "billed_on": None,
        "utility": payload["utility"],
        "account_number": None,
        "billing_period_from": None,
        "billing_period_to": None,
        "meters": [],
    }
    bill = BillRecord(bill_id, customer.id, "", (), None, None, None, "unparsed", unparsed, unparsed, unparsed)
    state.uploaded_bills[bill_id] = bill
    _call(request)["bill_id"] = bill_id
    return json_response(state.render_bill(bill), 201)


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ApiError(400, "Malformed multipart body.", "invalid_body")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = data
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


async def list_utilities(request: Request) -> Response:
    return json_response(listing_faults(request, [u.public() for u in _state(request).dataset.utilities])[0])


# -- ops hooks -----------------------------------------------------------------------------------


async def sandbox_summary(request: Request) -> Response:
    state = _state(request)
    return json_response({
        **state.dataset.summary(),
        "api_unlocked_bill_ids": sorted(state.unlocked_bill_ids),
        "default_unlocked_bill_ids": sorted(state.dataset.default_unlocked_bill_ids),
        "calls": len(state.calls),
    })


async def sandbox_file(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    stem = name.removesuffix(".pdf")
    if not name.endswith(".pdf") or not stem.isdigit() or state.bill_by_id(int(stem)) is None:
        raise ApiError(404, f"No file {name}.")
    return Response(_tiny_pdf(f"Bayou sandbox bill {stem}"), media_type="application/pdf")


def _tiny_pdf(text: str) -> bytes:
    return tiny_pdf(text, width=300)


# ---------------------------------------------------------------------------------------------
# App factory
# ---------------------------------------------------------------------------------------------


def _route(path: str, handlers: dict[str, Any]) -> Route:
    return method_route(path, handlers, ApiError, error_response)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    if status == 404:
        error = ApiError(404, f"No route for {request.method} {request.url.path}.")
    elif status == 405:
        message = f"{request.method} is not allowed on {request.url.path}."
        error = ApiError(405, message, headers=dict(exc.headers or {}))
    else:
        error = ApiError(status, exc.detail if isinstance(exc.detail, str) else None, headers=dict(exc.headers or {}))
    return error_response(error)


def create_app(dataset: BayouDataset, api_key: str = "sandbox-key") -> Starlette:
    if not api_key:
        raise ValueError("the sandbox needs a non-empty API key")
    p = API_PREFIX
    routes = [
        _route(f"{p}/customers", {"GET": list_customers, "POST": create_customer}),
        _route(f"{p}/customers/{{id}}", {"GET": get_customer, "PATCH": update_customer}),
        _route(f"{p}/customers/{{id}}/bills", {"GET": list_bills}),
        _route(f"{p}/customers/{{id}}/intervals", {"GET": get_intervals}),
        _route(f"{p}/bills", {"POST": upload_bill}),
        _route(f"{p}/bills/{{id}}", {"GET": get_bill, "PATCH": update_bill}),
        _route(f"{p}/bills/{{id}}/unlock", {"POST": unlock_bill}),
        _route(f"{p}/utilities", {"GET": list_utilities}),
        *ops_routes(_route, _json_object, lambda message: ApiError(400, message, "invalid_body")),
        _route("/_sandbox/state", {"GET": sandbox_summary}),
        _route("/_sandbox/files/{name}", {"GET": sandbox_file}),
    ]
    return sandbox_app(routes, _http_exception, ApiGate, SandboxState(dataset, api_key), vendor="bayou")


def start_bayou_sandbox(
    api_key: str = "sandbox-key",
    *,
    dataset: BayouDataset | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    **generator_kwargs: Any,
) -> tuple[SandboxServer, str]:
    """Start a sandbox server; returns it (running) and its API base URL."""
    dataset = sandbox_dataset(dataset, generator_kwargs, sandbox_settings_from_env, generate_dataset)
    server = SandboxServer(create_app(dataset, api_key), host=host, port=port, name="bayou-sandbox")
    server.start()
    return server, server.url + API_PREFIX


__all__ = [
    "API_PREFIX", "ApiError", "SandboxState", "create_app", "error_body", "start_bayou_sandbox",
]
