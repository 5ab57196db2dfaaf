"""The Urjanet Utility Data API (v1.0.27), simulated over real HTTP (Starlette app).

    create_app(dataset, username="sandbox-user", password="sandbox-password", token_ttl_s=3600) -> Starlette
    start_urjanet_sandbox(dataset=None, username=..., password=..., token_ttl_s=3600, *, port=0,
                          host="127.0.0.1", seed=..., accounts=..., months=..., as_of=...) -> (SandboxServer, url)

Generator arguments not given come from `sandbox_settings_from_env()` (URJANET_SANDBOX_SEED /
_ACCOUNTS / _MONTHS / _AS_OF).

API (paths under `/api/v1`, except the AuthServer login)
* `POST /auth/login` with JSON (or form) `{username, password}` -> `{token, tokenType: "Bearer",
  expires (ms epoch), expiresIn (s), status: "OK", message: []}`; wrong credentials 401
  NOT_AUTHORIZED. The seed only names "the AuthServer": this path and shape are the sandbox's choice.
  Every other call needs `Authorization: Bearer <token>` (missing, unknown, expired: 401).
* Envelope: `{data, status: "OK", message: []}`, searches add `morePages` and `nextPageOffset`.
  Errors: `{data: null, status: "FAILURE", messageCode, message: [{messageCode, message}]}` with
  the Appendix D status (INVALID_ARGUMENTS / MALFORMED_REQUEST / ALREADY_EXISTS /
  PROVIDIER_NOT_FOUND (sic) 400, NOT_AUTHORIZED 401, NOT_FOUND 404, others 500).
* Searches (`account/search`, `account/candidates`, `meter/search`, `meter/candidate`,
  `credential/search`, `changelog/search`, `provider/search`, `template/status/search`,
  `attribute/search`): body `{customerId?,
  queryCriteria?: {start, length, sorts: [{field, direction}], filter: {conditions: [{field,
  operator, value}]}}}`. No criteria: the first 1000. `length` defaults to 100 and is capped at
  1000; `start`/`length` negative or not integers: 400. `morePages` = more records after this
  page, `nextPageOffset` = start + the page length used. Conditions are ANDed. Operators
  (case-insensitive, Appendix C): eq, neq|ne, gt, lt, gte, lte (numbers and dates), include(s),
  startswith, endswith, notinclude (strings, case-insensitive), is (booleans), before, after, on
  (dates: ms epoch; `on` = the same UTC day), isblank, notblank (null or ""). A field's type comes
  from its name; an unknown field, an operator that does not fit the type or a value that does not
  convert is 400 INVALID_ARGUMENTS. Sorts: any direction other than "asc" is descending, nulls
  first ascending; unsorted results follow creation order. Search fields are the record's own
  top-level scalar fields plus: accounts and candidate accounts `utilityProviderId`/`providerAlias`,
  `extractionChannelId` (for a candidate: the credential it was found on); meters and candidate
  meters `accountId`, `accountNumber`, `utilityProviderId`; credentials `utilityProviderId`,
  `templateId`, and `password`..`password4` (eq only, never sortable, and only beside a
  non-password condition); change log `eventName`, `username`, `timestamp`, `customerId` and
  every eventFields key. A `customerId` other than the dataset's matches nothing.
* `GET account/status/{id}`, `meter/status/{id}`, `meter/byaccount/{account_id}`,
  `credential/status/{id or extractionChannelId}`, `provider/status/{id}`,
  `provider/byServiceType/{id}`, `serviceType/status/{id}`, `serviceType/list`,
  `template/status/{id}`, `attribute/status/{id}`; unknown ids: 404 NOT_FOUND.
* `POST account/create` (accountNumber, utilityProviderId, extractionChannelId (credential id or
  natural key), subscribed, toBeDelivered required; same provider + account number again: 400
  ALREADY_EXISTS; unknown provider 400 PROVIDIER_NOT_FOUND); `account/update` (id plus any of
  subscribed, toBeDelivered, pullHistory, ebillRequirement, utilityProviderId (only before the
  first extraction), extractionChannelId(s), customAttributes); custom attributes must be defined
  ones and the required ones must be present. `credential/create` / `credential/update`
  (id or extractionChannelId): passwords are stored but never rendered; the same usernames with
  the same provider and template as another credential is 400 ALREADY_EXISTS. Changes are logged
  in the change log (AccountNominatedEvent, AccountSubscribeChangeEvent,
  AccountDeliveryChangeEvent, MixinChangeEvent, CredentialInputMapChangeEvent (password changes
  noted as "[CHANGED]"), CredentialStateChangeEvent).
* Candidates (generator.py: discovered on a credential, never requested) are separate from
  `account/search` and `meter/search`. `POST account/enrollCandidate {id, customAttributes?}`
  turns one into a requested account with the same id (SUCCESSFUL_ENROLLED, monitoring UNKNOWN,
  subscribed, toBeDelivered, extractionChannels = its verified channel; its candidate meters
  become meters) and logs AccountNominatedEvent, AccountLinkageEvent (manual, linked; no
  old/new account ids) and EnrollmentStatusChangeEvent (null -> SUCCESSFUL_ENROLLED). Missing id
  400 INVALID_ARGUMENTS, unknown 404 NOT_FOUND, already enrolled 400 ALREADY_EXISTS, undefined
  or missing required attributes 400 INVALID_ARGUMENTS. `account/create` for a candidate's
  provider + number removes the candidate (its meters move to the new account) and logs an
  AccountLinkageEvent (manual false).
* `POST meter/create` (meterNumber, utilityAccountId (an enrolled account), serviceType (name,
  any case, or id; stored upper case) required; customAttributes optional): the same normalized
  number on the account again is 400 ALREADY_EXISTS; unknown account or service type 400
  INVALID_ARGUMENTS. A number matching a candidate meter of that account links it (the
  candidate's id and details kept, MeterLinkageEvent logged). `meter/update {id,
  customAttributes}`: only custom attributes are modifiable (another field is 400), unknown id
  404; a change logs a MeterMixinChangeEvent. Meter attributes must be defined ones; "required"
  is enforced on accounts only.
* `POST attribute/create {name, required?, cnbdPosition?, urjanetKey?}` and `attribute/update
  {id, name?, required?, cnbdPosition?, urjanetKey?}`: a name already used (case-insensitive) is
  400 ALREADY_EXISTS; blank name, non-boolean required, cnbdPosition not a whole number >= 0: 400
  INVALID_ARGUMENTS; unknown id 404. A rename carries values set under the old name along.
* Dates are ms since the epoch. A virtual clock starts at the dataset's `now_ms` and advances one
  second per change, so changed records sort after generated ones.

Ops hooks (no token): `GET /_sandbox/calls`, `POST /_sandbox/reset-calls`, `GET|POST|DELETE
/_sandbox/faults`, `GET /_sandbox/state`, `POST /_sandbox/expire-tokens`, `POST
/_sandbox/change-account-id {id}`. In Python `app.state.sandbox` is the `SandboxState`:
`change_account_id(old_id) -> new_id` gives the account a new id (provider, number, meters kept;
the old id is then 404) and logs an AccountLinkageEvent carrying `oldAccountId`/`newAccountId`
(fields the seed does not list). Calls are `{seq, method, path, query, status, fault}`; bodies
and tokens are never recorded. Faults (as the other sandboxes'): `inject_faults("/account/search",
[{"status": 500}])` (paths relative to /api/v1), consumed before the token check.
"""

from __future__ import annotations

import copy
import itertools
import logging
import random
import secrets
import threading
import time as wallclock
import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from ...core.sandbox_kit import (
    CallLogAndFaults,
    RecordingGate,
    fault_response,
    json_response,
    listing_faults,
    method_route,
    ops_routes,
    path_matches,
    sandbox_app,
    sandbox_dataset,
    status_phrase,
)
from ...core.sandbox_server import SandboxServer
from .generator import (
    DAY_MS,
    UrjanetDataset,
    event,
    generate_dataset,
    link,
    normalize,
    provider_by_alias,
    sandbox_settings_from_env,
    template_for,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
LOGIN_PATH = "/auth/login"
SANDBOX_PREFIX = "/_sandbox"
DEFAULT_LENGTH = 100
MAX_LENGTH = 1000
ERROR_STATUS = {
    "SUCCESS": 200, "INVALID_ARGUMENTS": 400, "NOT_FOUND": 404, "NOT_AUTHORIZED": 401, "ALREADY_EXISTS": 400,
    "PROVIDIER_NOT_FOUND": 400, "MALFORMED_REQUEST": 400, "ACCOUNT_CREATE_FAILURE": 500,
    "ACCOUNT_CREATE_PARTIAL_FAILURE": 500, "ACCOUNT_UPDATE_FAILURE": 500, "ACCOUNT_SEARCH_FAILURE": 500,
    "CREDENTIAL_CREATE_FAILURE": 500, "CREDENTIAL_SEARCH_FAILURE": 500, "CREDENTIAL_UPDATE_FAILURE": 500,
    "METER_SEARCH_FAILURE": 500, "METER_UPDATE_FAILURE": 500, "PROVIDER_SEARCH_FAILURE": 500,
    "TEMPLATE_SEARCH_FAILURE": 500,
}
STATUS_CODE = {400: "INVALID_ARGUMENTS", 401: "NOT_AUTHORIZED", 404: "NOT_FOUND", 405: "MALFORMED_REQUEST"}
PASSWORD_FIELDS = ("password", "password2", "password3", "password4")
USERNAME_FIELDS = ("username", "username2", "username3", "username4")
EBILL_REQUIREMENTS = ("DO_NOT_CHANGE", "TURN_ON_EBILL", "TURN_OFF_EBILL")
DATE_FIELDS = frozenset({
    "created", "modified", "subscriptionLastUpdated", "unsubscribeDate", "deliveryLastUpdated",
    "deliveryDisabledDate", "firstExtractDate", "lastExtracted", "lastSuccessfulExtraction", "lastDelivered",
    "latestOrphanSourceDeliveredDate", "nextExpectedPostDate", "latestIntervalEnd", "latestStatementCreate",
    "historyRequested", "lastAttempted", "lastSuccess", "timestamp",
})
NUMBER_FIELDS = frozenset({"latestTotalBillAmount", "startToEndAvg", "cnbdPosition"})
BOOLEAN_FIELDS = frozenset({
    "pullHistory", "subscribed", "isSummaryAccount", "toBeDelivered", "deactivated", "enabled",
    "intervalDataEnabled", "required", "hasInterval", "hasHistory", "hasPdf", "hasHtml", "hasEdi", "hasXls",
    "hasCsv", "hasOcr", "tracksLoginFailure", "manual", "linked",
})
OPERATORS = {
    "string": {"eq", "neq", "ne", "include", "includes", "startswith", "endswith", "notinclude", "isblank", "notblank"},
    "number": {"eq", "neq", "ne", "gt", "lt", "gte", "lte", "isblank", "notblank"},
    "date": {"eq", "neq", "ne", "gt", "lt", "gte", "lte", "before", "after", "on", "isblank", "notblank"},
    "boolean": {"is", "eq", "neq", "ne", "isblank", "notblank"},
}
ACCOUNTS, METERS, CREDENTIALS, CHANGELOG = "account", "meter", "credential", "changelog"
ACCOUNT_CANDIDATES, METER_CANDIDATES = "account candidate", "meter candidate"
PROVIDERS, TEMPLATES, ATTRIBUTES, SERVICE_TYPES = "provider", "template", "attribute", "serviceType"


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.status = status or ERROR_STATUS.get(code, 500)
        self.message = message
        self.headers = headers or {}


def envelope(data: Any, **extra: Any) -> Response:
    return json_response({"data": data, "status": "OK", "message": [], **extra})


def error_body(code: str, message: str) -> dict:
    return {"data": None, "status": "FAILURE", "messageCode": code, "message": [{"messageCode": code, "message": message}]}


def error_response(error: ApiError) -> Response:
    return json_response(error_body(error.code, error.message), error.status, error.headers)


def render(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def field_type(name: str, value: Any) -> str:
    if name in DATE_FIELDS:
        return "date"
    if name in BOOLEAN_FIELDS or isinstance(value, bool):
        return "boolean"
    if name in NUMBER_FIELDS or isinstance(value, (int, float)):
        return "number"
    return "string"


def _convert(kind: str, field: str, value: Any) -> Any:
    try:
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in ("true", "false"):
                return str(value).strip().lower() == "true"
            raise ValueError
        if kind in ("number", "date"):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            return int(number) if kind == "date" else number
        if isinstance(value, (dict, list)):
            raise ValueError
        return "" if value is None else str(value)
    except (TypeError, ValueError):
        raise ApiError("INVALID_ARGUMENTS", f"Value {value!r} is not a valid {kind} for field '{field}'.") from None


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _predicate(field: str, kind: str, operator: str, raw: Any):
    if operator == "isblank":
        return lambda v: _blank(v)
    if operator == "notblank":
        return lambda v: not _blank(v)
    value = _convert(kind, field, raw)
    if kind == "string":
        low = value.lower()
        text = {
            "eq": lambda v: v is not None and str(v) == value,
            "neq": lambda v: v is None or str(v) != value,
            "include": lambda v: v is not None and low in str(v).lower(),
            "startswith": lambda v: v is not None and str(v).lower().startswith(low),
            "endswith": lambda v: v is not None and str(v).lower().endswith(low),
            "notinclude": lambda v: v is None or low not in str(v).lower(),
        }
        return text[{"ne": "neq", "includes": "include"}.get(operator, operator)]
    if operator == "on":
        day = value // DAY_MS
        return lambda v: v is not None and v // DAY_MS == day
    compare = {
        "eq": lambda v: v is not None and v == value, "is": lambda v: v is not None and v == value,
        "neq": lambda v: v is None or v != value, "ne": lambda v: v is None or v != value,
        "gt": lambda v: v is not None and v > value, "after": lambda v: v is not None and v > value,
        "lt": lambda v: v is not None and v < value, "before": lambda v: v is not None and v < value,
        "gte": lambda v: v is not None and v >= value, "lte": lambda v: v is not None and v <= value,
    }
    return compare[operator]


def _int(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ApiError("INVALID_ARGUMENTS", f"queryCriteria.{name} must be a non-negative integer.")
    try:
        number = int(value)
    except ValueError:
        raise ApiError("INVALID_ARGUMENTS", f"queryCriteria.{name} must be a non-negative integer.") from None
    if number < 0:
        raise ApiError("INVALID_ARGUMENTS", f"queryCriteria.{name} must be a non-negative integer.")
    return number


def search(views: list[dict], body: Any, *, secret_fields: tuple[str, ...] = (),
           secrets_of=None, preceding: list[int] | None = None) -> tuple[list[int], dict]:
    """Run a query-criteria search over `views` (flat dicts); returns (indexes of the page, paging).
    `preceding`, when given, receives the indexes of the matches just before the page (up to a
    fifth of a page: what a listing fault may serve again)."""
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError("MALFORMED_REQUEST", "The request body must be a JSON object.")
    criteria = body.get("queryCriteria")
    if criteria is None:
        start, length, sorts, conditions = 0, MAX_LENGTH, [], []
    else:
        if not isinstance(criteria, dict):
            raise ApiError("MALFORMED_REQUEST", "queryCriteria must be an object.")
        start = _int(criteria.get("start"), "start", 0)
        length = min(_int(criteria.get("length"), "length", DEFAULT_LENGTH), MAX_LENGTH)
        sorts = criteria.get("sorts") or []
        flt = criteria.get("filter") or {}
        if not isinstance(sorts, list) or not isinstance(flt, dict):
            raise ApiError("MALFORMED_REQUEST", "queryCriteria.sorts must be a list and filter an object.")
        conditions = flt.get("conditions") or []
        if not isinstance(conditions, list):
            raise ApiError("MALFORMED_REQUEST", "filter.conditions must be a list.")
    known: dict[str, str] = {}
    for view in views:  # the union: change-log events carry different eventFields
        for k, v in view.items():
            if k not in known or (v is not None and known[k] == "string" and not isinstance(v, str)):
                known[k] = field_type(k, v)
    tests, secret_tests = [], []
    for condition in conditions:
        if not isinstance(condition, dict) or not isinstance(condition.get("field"), str) \
                or not isinstance(condition.get("operator"), str):
            raise ApiError("MALFORMED_REQUEST", "A condition needs string 'field' and 'operator'.")
        name, operator = condition["field"], condition["operator"].strip().lower()
        if name in secret_fields:
            if operator != "eq":
                raise ApiError("INVALID_ARGUMENTS", f"Only 'eq' is allowed on '{name}'.")
            secret_tests.append((name, _convert("string", name, condition.get("value"))))
            continue
        if views and name not in known:
            raise ApiError("INVALID_ARGUMENTS", f"Unknown search field '{name}'.")
        kind = known.get(name) or field_type(name, None)
        if operator not in OPERATORS[kind]:
            raise ApiError("INVALID_ARGUMENTS", f"Operator '{operator}' does not apply to {kind} field '{name}'.")
        tests.append((name, _predicate(name, kind, operator, condition.get("value"))))
    if secret_tests and not tests:
        raise ApiError("INVALID_ARGUMENTS", "A password filter needs at least one non-password filter.")
    customer = body.get("customerId")
    matched = [
        i for i, view in enumerate(views)
        if (customer is None or view.get("customerId", customer) == customer)
        and all(test(view.get(name)) for name, test in tests)
        and all(secrets_of(i).get(name) == value for name, value in secret_tests)
    ]
    for sort in reversed(sorts):
        if not isinstance(sort, dict) or not isinstance(sort.get("field"), str):
            raise ApiError("MALFORMED_REQUEST", "A sort needs a string 'field'.")
        name = sort["field"]
        if name in secret_fields or (views and name not in known):
            raise ApiError("INVALID_ARGUMENTS", f"Cannot sort on '{name}'.")
        descending = str(sort.get("direction", "asc")).lower() != "asc"
        matched.sort(key=lambda i, n=name: (views[i].get(n) is not None, views[i].get(n) or 0
                                           if isinstance(views[i].get(n), (int, float)) else str(views[i].get(n))),
                     reverse=descending)
    page = matched[start:start + length]
    if preceding is not None:
        preceding.extend(matched[max(0, start - max(1, length // 5)):start])
    return page, {"morePages": start + len(page) < len(matched), "nextPageOffset": start + length}


# ---------------------------------------------------------------------------------------------
# Server-side state
# ---------------------------------------------------------------------------------------------


@dataclass
class IssuedToken:
    token: str
    expires_at: float  # wall clock
    expired: bool = False


SEARCH_SUFFIXES = ("/search", "/candidates", "/candidate")


class SandboxState(CallLogAndFaults):
    """Tokens, calls, faults and this server's copy of the records (the dataset is never mutated)."""

    api_prefix: ClassVar[str] = API_PREFIX

    def __init__(self, dataset: UrjanetDataset, username: str, password: str, token_ttl_s: float) -> None:
        self.dataset = dataset
        self.username = username
        self.password = password
        self.token_ttl_s = token_ttl_s
        self.calls: list[dict] = []
        self.faults: list = []
        self._lock = threading.RLock()
        self._sequence = itertools.count(1)
        self.tokens: dict[str, IssuedToken] = {}
        self.clock_ms = dataset.now_ms
        self._rng = random.Random(f"urjanet-runtime-{dataset.seed}")
        self.records = {
            ACCOUNTS: {k: dict(v) for k, v in dataset.accounts.items()},
            METERS: {k: dict(v) for k, v in dataset.meters.items()},
            CREDENTIALS: {k: copy.deepcopy(v) for k, v in dataset.credentials.items()},
            PROVIDERS: dataset.providers, TEMPLATES: dataset.templates,
            ATTRIBUTES: {k: dict(v) for k, v in dataset.attributes.items()},
            SERVICE_TYPES: dataset.service_types,
            ACCOUNT_CANDIDATES: {k: dict(v) for k, v in dataset.candidate_accounts.items()},
            METER_CANDIDATES: {k: dict(v) for k, v in dataset.candidate_meters.items()},
        }
        self.changelog: list[dict] = list(dataset.changelog)

    def is_read_only(self, method: str, path: str) -> bool:
        """Searches are POSTs that change nothing: their answers may be delayed or cut too."""
        return method in ("GET", "HEAD") or (method == "POST" and path.endswith(SEARCH_SUFFIXES))

    # -- tokens -------------------------------------------------------------------------------------

    def login(self, username: Any, password: Any) -> IssuedToken:
        if not (isinstance(username, str) and isinstance(password, str)
                and secrets.compare_digest(username, self.username) and secrets.compare_digest(password, self.password)):
            raise ApiError("NOT_AUTHORIZED", "Invalid username or password.")
        issued = IssuedToken(secrets.token_urlsafe(32), wallclock.time() + self.token_ttl_s)
        with self._lock:
            self.tokens[issued.token] = issued
        return issued

    def token_problem(self, token: str) -> str | None:
        issued = self.tokens.get(token)
        if issued is None:
            return "Unknown bearer token."
        if issued.expired or wallclock.time() >= issued.expires_at:
            return "The bearer token has expired."
        return None

    def expire_tokens(self) -> int:
        with self._lock:
            for issued in self.tokens.values():
                issued.expired = True
            return len(self.tokens)

    # -- records ------------------------------------------------------------------------------------

    def tick(self) -> int:
        self.clock_ms += 1000
        return self.clock_ms

    def new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def get(self, kind: str, record_id: str) -> dict:
        record = self.records[kind].get(record_id)
        if record is None and kind == CREDENTIALS:
            record = next((c for c in self.records[kind].values() if c["extractionChannelId"] == record_id), None)
        if record is None:
            raise ApiError("NOT_FOUND", f"No {kind} with id '{record_id}'.")
        return record

    def _account_of(self, meter: dict) -> dict | None:
        account_id = meter["utilityAccount"]["id"]
        return self.records[ACCOUNTS].get(account_id) or self.records[ACCOUNT_CANDIDATES].get(account_id)

    def view(self, kind: str, record: dict) -> dict:
        flat = {k: v for k, v in record.items() if not k.startswith("_") and not isinstance(v, (dict, list))}
        if kind in (ACCOUNTS, ACCOUNT_CANDIDATES, CREDENTIALS):
            flat["utilityProviderId"] = flat["providerAlias"] = record["utilityProvider"]["naturalKey"]
        if kind in (ACCOUNTS, ACCOUNT_CANDIDATES):
            # A candidate has no assigned channel yet (Appendix E): search it by the one it was found on.
            channels = record["extractionChannels"] or (
                record["verifiedExtractionChannels"] if kind == ACCOUNT_CANDIDATES else [])
            flat["extractionChannelId"] = channels[0]["naturalKey"] if channels else None
        if kind == CREDENTIALS:
            flat["templateId"] = record["template"]["naturalKey"]
            flat.pop("providerAlias")
        if kind in (METERS, METER_CANDIDATES):
            account = self._account_of(record)
            flat["accountId"] = record["utilityAccount"]["id"]
            flat["accountNumber"] = account["accountNumber"] if account else None
            flat["utilityProviderId"] = account["utilityProvider"]["naturalKey"] if account else None
        if kind == PROVIDERS:
            flat["parentProviderAlias"] = (record["parentProvider"] or {}).get("naturalKey")
        if kind == CHANGELOG:
            flat.update(record["eventFields"])
        return flat

    def search(self, kind: str, body: Any, request: Request | None = None) -> tuple[list[dict], dict]:
        """A search's page and paging. With `request`, rate-based listing faults may serve again
        records of the previous page (moving this page's last ones, and `nextPageOffset`, back)
        and shuffle the page."""
        with self._lock:
            records = self.changelog if kind == CHANGELOG else list(self.records[kind].values())
            views = [self.view(kind, r) for r in records]
            secret = PASSWORD_FIELDS if kind == CREDENTIALS else ()
            before: list[int] = []
            page, paging = search(views, body, secret_fields=secret,
                                  secrets_of=lambda i: records[i].get("_passwords", {}), preceding=before)
            data = [render(records[i]) for i in page]
            if request is not None and self.fault_rate.enabled and data:
                data, deferred = listing_faults(request, data, [render(records[i]) for i in before],
                                                more=paging["morePages"])
                paging = {**paging, "nextPageOffset": paging["nextPageOffset"] - deferred}
            return data, paging

    def log_event(self, name: str, timestamp: int, **fields: Any) -> None:
        self.changelog.append(event(self.username, timestamp, name, self.dataset.customer_id, **fields))

    def _provider(self, alias: Any) -> dict:
        provider = provider_by_alias(self.dataset).get(alias) if isinstance(alias, str) else None
        if provider is None:
            provider = self.dataset.providers.get(alias) if isinstance(alias, str) else None
        if provider is None:
            raise ApiError("PROVIDIER_NOT_FOUND", f"No utility provider '{alias}'.")
        return provider

    def _channels(self, ids: list[Any]) -> list[dict]:
        channels = []
        for cid in ids:
            if not isinstance(cid, str):
                raise ApiError("INVALID_ARGUMENTS", "extractionChannelId must be a string.")
            try:
                credential = self.get(CREDENTIALS, cid)
            except ApiError:
                raise ApiError("INVALID_ARGUMENTS", f"No credential '{cid}'.") from None
            channels.append(link("credential", credential["id"], credential["extractionChannelId"]))
        return channels

    def _attributes(self, values: Any, previous: dict, *, enforce_required: bool = True) -> dict:
        if values is None:
            values = {}
        if not isinstance(values, dict):
            raise ApiError("INVALID_ARGUMENTS", "customAttributes must be an object.")
        defined = {a["name"]: a for a in self.records[ATTRIBUTES].values()}
        unknown = sorted(set(values) - set(defined))
        if unknown:
            raise ApiError("INVALID_ARGUMENTS", f"Undefined custom attributes: {', '.join(unknown)}.")
        merged = {**previous, **{k: None if v is None else str(v) for k, v in values.items()}}
        missing = sorted(n for n, a in defined.items() if a["required"] and _blank(merged.get(n)))
        if missing and enforce_required:
            raise ApiError("INVALID_ARGUMENTS", f"Missing required custom attributes: {', '.join(missing)}.")
        return merged

    def create_account(self, body: dict) -> dict:
        for name in ("accountNumber", "utilityProviderId", "extractionChannelId"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError("INVALID_ARGUMENTS", f"'{name}' is required.")
        for name in ("subscribed", "toBeDelivered"):
            if not isinstance(body.get(name), bool):
                raise ApiError("INVALID_ARGUMENTS", f"'{name}' is required (boolean).")
        ebill = body.get("ebillRequirement", "DO_NOT_CHANGE")
        if ebill not in EBILL_REQUIREMENTS:
            raise ApiError("INVALID_ARGUMENTS", f"ebillRequirement must be one of {', '.join(EBILL_REQUIREMENTS)}.")
        with self._lock:
            provider = self._provider(body["utilityProviderId"])
            alias = provider["providerAlias"]
            number = body["accountNumber"].strip()
            if self._enrolled(alias, number) is not None:
                raise ApiError("ALREADY_EXISTS", f"Account {number} already exists for {alias}.")
            channels = self._channels([body["extractionChannelId"]])
            attributes = self._attributes(body.get("customAttributes"), {})
            now = self.tick()
            account_id = self.new_id()
            template = next(iter(self.dataset.accounts.values()), None)
            record = {k: None for k in (template or {})}
            record.update({
                "id": account_id, "customerId": self.dataset.customer_id, "created": now, "modified": now,
                "createdByUsername": self.username, "lastModifiedByUsername": self.username,
                "accountNumber": number, "normalizedAccountNumber": normalize(number),
                "enrollmentStatus": "SUBMITTED", "monitoringStatus": "UNKNOWN",
                "pullHistory": bool(body.get("pullHistory", False)), "subscribed": body["subscribed"],
                "isSummaryAccount": False, "toBeDelivered": body["toBeDelivered"], "ebillRequirement": ebill,
                "utilityProvider": link("provider", provider["id"], alias), "verifiedExtractionChannels": [],
                "extractionChannels": channels, "customAttributes": attributes,
            })
            self.records[ACCOUNTS][account_id] = record
            self.log_event("AccountNominatedEvent", now, accountNumber=number, providerAlias=alias)
            candidate = next((c for c in self.records[ACCOUNT_CANDIDATES].values()
                              if c["utilityProvider"]["naturalKey"] == alias
                              and c["normalizedAccountNumber"] == normalize(number)), None)
            if candidate is not None:  # "the regular account enrollment workflow also works for these accounts"
                del self.records[ACCOUNT_CANDIDATES][candidate["id"]]
                self._promote_meters(candidate["id"], account_id, now)
                self.log_event("AccountLinkageEvent", now, manual=False, linked=True, accountNumber=number,
                               providerAlias=alias)
            return render(record)

    def _enrolled(self, alias: str, number: str) -> dict | None:
        key = normalize(number)
        return next((a for a in self.records[ACCOUNTS].values()
                     if a["utilityProvider"]["naturalKey"] == alias and a["normalizedAccountNumber"] == key), None)

    def _promote_meters(self, candidate_id: str, account_id: str, now: int) -> None:
        """A candidate account's discovered meters come along when it becomes a requested account."""
        for meter_id, meter in list(self.records[METER_CANDIDATES].items()):
            if meter["utilityAccount"]["id"] == candidate_id:
                del self.records[METER_CANDIDATES][meter_id]
                self.records[METERS][meter_id] = {**meter, "utilityAccount": link("account", account_id, None),
                                                  "modified": now, "lastModifiedByUsername": self.username}

    def enroll_candidate(self, body: dict) -> dict:
        """`account/enrollCandidate`: the candidate keeps its id and becomes a requested account on the
        channel it was found on (seed Example C: SUCCESSFUL_ENROLLED, subscribed and delivered)."""
        if not isinstance(body.get("id"), str) or not body["id"].strip():
            raise ApiError("INVALID_ARGUMENTS", "'id' is required.")
        with self._lock:
            if body["id"] in self.records[ACCOUNTS]:
                raise ApiError("ALREADY_EXISTS", f"Account '{body['id']}' is already enrolled.")
            candidate = self.records[ACCOUNT_CANDIDATES].get(body["id"])
            if candidate is None:
                raise ApiError("NOT_FOUND", f"No candidate account with id '{body['id']}'.")
            alias, number = candidate["utilityProvider"]["naturalKey"], candidate["accountNumber"]
            if self._enrolled(alias, number) is not None:
                raise ApiError("ALREADY_EXISTS", f"Account {number} already exists for {alias}.")
            attributes = self._attributes(body.get("customAttributes"), candidate["customAttributes"] or {})
            now = self.tick()
            record = dict(candidate)
            record.update({
                "customerId": self.dataset.customer_id, "modified": now, "createdByUsername": self.username,
                "lastModifiedByUsername": self.username, "enrollmentStatus": "SUCCESSFUL_ENROLLED",
                "monitoringStatus": "UNKNOWN", "subscribed": True, "subscriptionLastUpdated": now,
                "toBeDelivered": True, "deliveryLastUpdated": now, "ebillRequirement": "DO_NOT_CHANGE",
                "extractionChannels": list(candidate["verifiedExtractionChannels"]), "customAttributes": attributes,
            })
            del self.records[ACCOUNT_CANDIDATES][record["id"]]
            self.records[ACCOUNTS][record["id"]] = record
            self._promote_meters(record["id"], record["id"], now)
            fields = {"accountNumber": number, "providerAlias": alias}
            self.log_event("AccountNominatedEvent", now, **fields)
            self.log_event("AccountLinkageEvent", now, manual=True, linked=True, **fields)
            self.log_event("EnrollmentStatusChangeEvent", now, oldStatus=None, newStatus="SUCCESSFUL_ENROLLED",
                           **fields)
            return render(record)

    def update_account(self, body: dict) -> dict:
        if not isinstance(body.get("id"), str):
            raise ApiError("INVALID_ARGUMENTS", "'id' is required.")
        with self._lock:
            old = self.get(ACCOUNTS, body["id"])
            record = dict(old)
            for name in ("subscribed", "toBeDelivered", "pullHistory"):
                if name in body and not isinstance(body[name], bool):
                    raise ApiError("INVALID_ARGUMENTS", f"'{name}' must be a boolean.")
                if name in body:
                    record[name] = body[name]
            if "ebillRequirement" in body:
                if body["ebillRequirement"] not in EBILL_REQUIREMENTS:
                    raise ApiError("INVALID_ARGUMENTS", "Unknown ebillRequirement.")
                record["ebillRequirement"] = body["ebillRequirement"]
            if body.get("utilityProviderId") is not None:
                provider = self._provider(body["utilityProviderId"])
                if provider["id"] != old["utilityProvider"]["id"]:
                    if old["lastExtracted"] is not None:
                        raise ApiError("INVALID_ARGUMENTS", "The provider of an extracted account cannot change.")
                    record["utilityProvider"] = link("provider", provider["id"], provider["providerAlias"])
            ids = body.get("extractionChannelIds")
            if ids is not None and not isinstance(ids, list):
                raise ApiError("INVALID_ARGUMENTS", "extractionChannelIds must be a list.")
            ids = list(ids or []) + ([body["extractionChannelId"]] if body.get("extractionChannelId") else [])
            if ids:
                channels = {c["id"]: c for c in record["extractionChannels"]}
                channels.update({c["id"]: c for c in self._channels(ids)})
                record["extractionChannels"] = list(channels.values())
            if "customAttributes" in body:
                record["customAttributes"] = self._attributes(body["customAttributes"], old["customAttributes"])
            now = self.tick()
            record.update(modified=now, lastModifiedByUsername=self.username)
            fields = {"accountNumber": old["accountNumber"], "providerAlias": record["utilityProvider"]["naturalKey"]}
            if record["subscribed"] != old["subscribed"]:
                record["subscriptionLastUpdated"] = now
                record["unsubscribeDate"] = None if record["subscribed"] else now
                self.log_event("AccountSubscribeChangeEvent", now, oldStatus=old["subscribed"],
                               newStatus=record["subscribed"], **fields)
            if record["toBeDelivered"] != old["toBeDelivered"]:
                record["deliveryLastUpdated"] = now
                record["deliveryDisabledDate"] = None if record["toBeDelivered"] else now
                self.log_event("AccountDeliveryChangeEvent", now, oldStatus=old["toBeDelivered"],
                               newStatus=record["toBeDelivered"], **fields)
            if record["customAttributes"] != old["customAttributes"]:
                self.log_event("MixinChangeEvent", now, oldValues=old["customAttributes"],
                               newValues=record["customAttributes"], **fields)
            self.records[ACCOUNTS][record["id"]] = record
            return render(record)

    def change_account_id(self, old_id: str) -> str:
        """Give an account a new id (the seed warns ids can change); meters follow; logs the change."""
        with self._lock:
            record = dict(self.get(ACCOUNTS, old_id))
            new_id = self.new_id()
            now = self.tick()
            record.update(id=new_id, modified=now, lastModifiedByUsername="system")
            del self.records[ACCOUNTS][old_id]
            self.records[ACCOUNTS][new_id] = record
            for meter_id, meter in list(self.records[METERS].items()):
                if meter["utilityAccount"]["id"] == old_id:
                    self.records[METERS][meter_id] = {**meter, "utilityAccount": link("account", new_id, None)}
            self.changelog.append(event("system", now, "AccountLinkageEvent", self.dataset.customer_id, manual=False,
                                        linked=True, accountNumber=record["accountNumber"],
                                        providerAlias=record["utilityProvider"]["naturalKey"],
                                        oldAccountId=old_id, newAccountId=new_id))
            return new_id

    def _check_duplicate(self, record: dict, skip_id: str | None) -> None:
        key = (tuple(record.get(n) for n in USERNAME_FIELDS), record["utilityProvider"]["id"], record["template"]["id"])
        for other in self.records[CREDENTIALS].values():
            if other["id"] != skip_id and (tuple(other.get(n) for n in USERNAME_FIELDS),
                                           other["utilityProvider"]["id"], other["template"]["id"]) == key:
                raise ApiError("ALREADY_EXISTS", f"A credential with these usernames already exists for "
                                                 f"{record['utilityProvider']['naturalKey']}: "
                                                 f"{other['extractionChannelId']}.")

    def _template(self, name: Any, provider: dict) -> dict:
        if name is None:
            return template_for(self.dataset, provider)
        template = self.dataset.templates.get(name) or next(
            (t for t in self.dataset.templates.values() if t["templateName"] == name), None)
        if template is None:
            raise ApiError("INVALID_ARGUMENTS", f"No template '{name}'.")
        return template

    @staticmethod
    def _credential_fields(body: dict) -> None:
        for name in (*USERNAME_FIELDS, *PASSWORD_FIELDS, "url", "s3BucketName", "s3FilePrefix", "s3EncryptionKeyId",
                     "s3RoleId"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise ApiError("INVALID_ARGUMENTS", f"'{name}' must be a string.")

    @staticmethod
    def _flag(body: dict, name: str, default: bool) -> bool:
        value = body.get(name, default)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ApiError("INVALID_ARGUMENTS", f"'{name}' must be a boolean.")
        return value

    def create_credential(self, body: dict) -> dict:
        self._credential_fields(body)
        acquisition = body.get("acquisitionType") or "WEB"
        if acquisition not in ("WEB", "S3"):
            raise ApiError("INVALID_ARGUMENTS", "acquisitionType must be WEB or S3.")
        required = ("username", "password") if acquisition == "WEB" else ("s3BucketName",)
        for name in ("utilityProviderId", *required):
            if not body.get(name):
                raise ApiError("INVALID_ARGUMENTS", f"'{name}' is required.")
        with self._lock:
            provider = self._provider(body["utilityProviderId"])
            template = self._template(body.get("templateId"), provider)
            now = self.tick()
            cid = self.new_id()
            alias = provider["providerAlias"]
            record = {
                "id": cid, "extractionChannelId": f"{self.dataset.customer_id}_{len(self.records[CREDENTIALS]) + 1}-{alias}_1",
                **{n: body.get(n) for n in USERNAME_FIELDS}, "acquisitionType": acquisition,
                "s3BucketName": body.get("s3BucketName"), "s3FilePrefix": body.get("s3FilePrefix"), "message": None,
                "lastAttempted": None, "lastSuccess": None,
                "template": link("template", template["id"], template["templateName"]),
                "utilityProvider": link("provider", provider["id"], alias), "url": body.get("url"),
                "enabled": self._flag(body, "enabled", True),
                "intervalDataEnabled": self._flag(body, "intervalDataEnabled", False),
                "created": now, "modified": now, "lastModifiedByUsername": self.username,
                "createdByUsername": self.username,
                "_passwords": {n: body[n] for n in PASSWORD_FIELDS if body.get(n) is not None},
            }
            self._check_duplicate(record, None)
            self.records[CREDENTIALS][cid] = record
            return render(record)

    def update_credential(self, body: dict) -> dict:
        self._credential_fields(body)
        if not isinstance(body.get("id"), str):
            raise ApiError("INVALID_ARGUMENTS", "'id' is required.")
        with self._lock:
            old = self.get(CREDENTIALS, body["id"])
            record = copy.deepcopy(old)
            for name in (*USERNAME_FIELDS, "url", "s3BucketName", "s3FilePrefix"):
                if name in body:
                    record[name] = body[name]
            for name in PASSWORD_FIELDS:
                if body.get(name) is not None:
                    record["_passwords"][name] = body[name]
            for name in ("enabled", "intervalDataEnabled"):
                if name in body:
                    record[name] = self._flag(body, name, old[name])
            if body.get("templateId") is not None:
                provider = self.dataset.providers[old["utilityProvider"]["id"]]
                template = self._template(body["templateId"], provider)
                record["template"] = link("template", template["id"], template["templateName"])
            self._check_duplicate(record, old["id"])
            now = self.tick()
            record.update(modified=now, lastModifiedByUsername=self.username)
            channel = old["extractionChannelId"]
            inputs = [n for n in USERNAME_FIELDS if record[n] != old[n]]
            changed_pw = [n for n in PASSWORD_FIELDS if record["_passwords"].get(n) != old["_passwords"].get(n)]
            if inputs or changed_pw:
                self.log_event("CredentialInputMapChangeEvent", now, extractionChannelId=channel,
                               oldValues={**{n: old[n] for n in inputs}, **{n: "[CHANGED]" for n in changed_pw}},
                               newValues={**{n: record[n] for n in inputs}, **{n: "[CHANGED]" for n in changed_pw}})
            state = [n for n in ("url", "enabled", "intervalDataEnabled", "template", "s3BucketName", "s3FilePrefix")
                     if record[n] != old[n]]
            if state:
                self.log_event("CredentialStateChangeEvent", now, extractionChannelId=channel,
                               oldValues={n: old[n] for n in state}, newValues={n: record[n] for n in state})
            self.records[CREDENTIALS][old["id"]] = record
            return render(record)

    # -- meters ------------------------------------------------------------------------------------

    def _service_type(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ApiError("INVALID_ARGUMENTS", "'serviceType' is required.")
        for service_type in self.records[SERVICE_TYPES].values():
            if value.strip().lower() in (service_type["name"].lower(), service_type["id"]):
                return service_type["name"].upper()
        names = ", ".join(t["name"].upper() for t in self.records[SERVICE_TYPES].values())
        raise ApiError("INVALID_ARGUMENTS", f"Unknown serviceType '{value}' (one of {names}).")

    def create_meter(self, body: dict) -> dict:
        for name in ("meterNumber", "utilityAccountId"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError("INVALID_ARGUMENTS", f"'{name}' is required.")
        with self._lock:
            service_type = self._service_type(body.get("serviceType"))
            account = self.records[ACCOUNTS].get(body["utilityAccountId"])
            if account is None:
                hint = " (a candidate account: enroll it first)" \
                    if body["utilityAccountId"] in self.records[ACCOUNT_CANDIDATES] else ""
                raise ApiError("INVALID_ARGUMENTS", f"No account '{body['utilityAccountId']}'{hint}.")
            number = body["meterNumber"].strip()
            key = normalize(number)

            def same(meter: dict) -> bool:
                return meter["utilityAccount"]["id"] == account["id"] and meter["normalizedMeterNumber"] == key

            if any(same(m) for m in self.records[METERS].values()):
                raise ApiError("ALREADY_EXISTS",
                               f"Meter {number} already exists on account {account['accountNumber']}.")
            attributes = self._attributes(body.get("customAttributes"), {}, enforce_required=False)
            now = self.tick()
            candidate = next((m for m in self.records[METER_CANDIDATES].values() if same(m)), None)
            if candidate is not None:  # the requested meter is one Urjanet already found: link them
                del self.records[METER_CANDIDATES][candidate["id"]]
                record = {**candidate, "serviceType": service_type, "customAttributes": attributes, "modified": now,
                          "lastModifiedByUsername": self.username}
                self.log_event("MeterLinkageEvent", now, meterNumber=record["meterNumber"], manual=False, linked=True,
                               accountNumber=account["accountNumber"],
                               providerAlias=account["utilityProvider"]["naturalKey"])
            else:
                record = {
                    "id": self.new_id(), "utilityAccount": link("account", account["id"], None), "created": now,
                    "modified": now, "lastModifiedByUsername": self.username, "createdByUsername": self.username,
                    "meterNumber": number, "normalizedMeterNumber": key, "serviceType": service_type, "tariff": None,
                    "serviceAddress": None, "podNumber": None, "previousMeterNumber": None, "deactivated": False,
                    "customAttributes": attributes,
                }
            self.records[METERS][record["id"]] = record
            return render(record)

    def update_meter(self, body: dict) -> dict:
        """Only custom attributes are modifiable on meters (seed); other fields are 400."""
        if not isinstance(body.get("id"), str):
            raise ApiError("INVALID_ARGUMENTS", "'id' is required.")
        others = sorted(set(body) - {"id", "customerId", "customAttributes"})
        if others:
            raise ApiError("INVALID_ARGUMENTS", f"Only customAttributes can be updated on a meter, not "
                                                f"{', '.join(others)}.")
        if not isinstance(body.get("customAttributes"), dict):
            raise ApiError("INVALID_ARGUMENTS", "'customAttributes' is required (an object).")
        with self._lock:
            old = self.get(METERS, body["id"])
            attributes = self._attributes(body["customAttributes"], old["customAttributes"] or {},
                                          enforce_required=False)
            now = self.tick()
            record = {**old, "customAttributes": attributes, "modified": now, "lastModifiedByUsername": self.username}
            if attributes != (old["customAttributes"] or {}):
                account = self._account_of(old) or {}
                self.log_event("MeterMixinChangeEvent", now, meterNumber=old["meterNumber"],
                               accountNumber=account.get("accountNumber"),
                               providerAlias=(account.get("utilityProvider") or {}).get("naturalKey"),
                               oldValues=old["customAttributes"] or {}, newValues=attributes)
            self.records[METERS][old["id"]] = record
            return render(record)

    # -- attributes ----------------------------------------------------------------------------------

    def _attribute_fields(self, body: dict, record: dict, skip_id: str | None) -> None:
        if "name" in body or skip_id is None:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip():
                raise ApiError("INVALID_ARGUMENTS", "'name' is required (a non-empty string).")
            name = name.strip()
            clash = next((a for a in self.records[ATTRIBUTES].values()
                          if a["id"] != skip_id and a["name"].lower() == name.lower()), None)
            if clash is not None:
                raise ApiError("ALREADY_EXISTS", f"A custom attribute named '{clash['name']}' already exists.")
            record["name"] = name
        if "required" in body:
            record["required"] = self._flag(body, "required", False)
        if body.get("cnbdPosition") is not None:
            position = body["cnbdPosition"]
            if isinstance(position, bool) or not isinstance(position, (int, float)) or position != int(position) \
                    or position < 0:
                raise ApiError("INVALID_ARGUMENTS", "'cnbdPosition' must be a non-negative whole number.")
            record["cnbdPosition"] = int(position)
        if "urjanetKey" in body:
            if body["urjanetKey"] is not None and not isinstance(body["urjanetKey"], str):
                raise ApiError("INVALID_ARGUMENTS", "'urjanetKey' must be a string.")
            record["urjanetKey"] = body["urjanetKey"]

    def create_attribute(self, body: dict) -> dict:
        with self._lock:
            record = {"id": None, "required": False, "name": None, "cnbdPosition": None, "urjanetKey": None}
            self._attribute_fields(body, record, None)
            now = self.tick()
            record.update(id=self.new_id(), created=now, modified=now, lastModifiedByUsername=self.username,
                          createdByUsername=self.username)
            self.records[ATTRIBUTES][record["id"]] = record
            return render(record)

    def update_attribute(self, body: dict) -> dict:
        """Sparse update; a rename carries the values already set under the old name along."""
        if not isinstance(body.get("id"), str):
            raise ApiError("INVALID_ARGUMENTS", "'id' is required.")
        with self._lock:
            old = self.get(ATTRIBUTES, body["id"])
            record = dict(old)
            self._attribute_fields(body, record, old["id"])
            record.update(modified=self.tick(), lastModifiedByUsername=self.username)
            if record["name"] != old["name"]:
                for kind in (ACCOUNTS, METERS, ACCOUNT_CANDIDATES, METER_CANDIDATES):
                    for key, item in self.records[kind].items():
                        values = item.get("customAttributes") or {}
                        if old["name"] in values:  # new dicts: the dataset's own are never mutated
                            renamed = {record["name"] if k == old["name"] else k: v for k, v in values.items()}
                            self.records[kind][key] = {**item, "customAttributes": renamed}
            self.records[ATTRIBUTES][old["id"]] = record
            return render(record)

    def summary(self) -> dict:
        with self._lock:
            return {**self.dataset.summary(), "accounts": len(self.records[ACCOUNTS]),
                    "meters": len(self.records[METERS]), "attributes": len(self.records[ATTRIBUTES]),
                    "candidate_accounts": len(self.records[ACCOUNT_CANDIDATES]),
                    "candidate_meters": len(self.records[METER_CANDIDATES]),
                    "credentials": len(self.records[CREDENTIALS]), "changelog": len(self.changelog),
                    "calls": len(self.calls), "tokens": len(self.tokens), "clock_ms": self.clock_ms}


# ---------------------------------------------------------------------------------------------
# Gate: trailing slashes, faults, bearer tokens and call recording
# ---------------------------------------------------------------------------------------------


def _fault_response(fault: dict) -> Response:
    status = fault["status"]
    code = STATUS_CODE.get(status, "INVALID_ARGUMENTS" if status < 500 else "SERVER_ERROR")
    return fault_response(fault, error_body(code, status_phrase(status)))


class ApiGate(RecordingGate):
    label = "Urjanet sandbox"

    def is_api(self, path: str) -> bool:
        return not path_matches(path, SANDBOX_PREFIX)  # the login path too, outside /api/v1

    def fault_reply(self, fault: dict) -> Response:
        return _fault_response(fault)

    def problem(self, scope: Scope, path: str) -> Response | None:
        if path == LOGIN_PATH:
            return None
        problem = self._auth_problem(scope)
        return error_response(problem) if problem is not None else None

    def crash_reply(self) -> Response:
        return error_response(ApiError("SERVER_ERROR", "Internal server error", 500))

    def _auth_problem(self, scope: Scope) -> ApiError | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        challenge = {"WWW-Authenticate": 'Bearer realm="Urjanet"'}
        if header is None:
            return ApiError("NOT_AUTHORIZED", f"Missing bearer token (POST {LOGIN_PATH} gives one).", headers=challenge)
        scheme, _, token = header.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return ApiError("NOT_AUTHORIZED", "The Authorization header must be 'Bearer <token>'.", headers=challenge)
        problem = self.state.token_problem(token.strip())
        return ApiError("NOT_AUTHORIZED", problem, headers=challenge) if problem else None


# ---------------------------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------------------------


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def _json(request: Request, *, allow_empty: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return None
        raise ApiError("MALFORMED_REQUEST", "A JSON body is required.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiError("MALFORMED_REQUEST", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError("MALFORMED_REQUEST", "The request body must be a JSON object.")
    return body


async def login(request: Request) -> Response:
    state = _state(request)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        body = dict(await request.form())
    else:
        body = await _json(request)
    issued = state.login(body.get("username"), body.get("password"))
    return json_response({"token": issued.token, "tokenType": "Bearer", "expires": int(issued.expires_at * 1000),
                          "expiresIn": int(state.token_ttl_s), "status": "OK", "message": []})


def _searcher(kind: str):
    async def handler(request: Request) -> Response:
        data, paging = _state(request).search(kind, await _json(request, allow_empty=True), request)
        return envelope(data, **paging)

    handler.__name__ = f"search_{kind.replace(' ', '_')}"
    return handler


def _status(kind: str, param: str = "id"):
    async def handler(request: Request) -> Response:
        state = _state(request)
        with state._lock:
            return envelope(render(state.get(kind, request.path_params[param])))

    handler.__name__ = f"status_{kind.replace(' ', '_')}"
    return handler


async def meters_by_account(request: Request) -> Response:
    state = _state(request)
    account_id = request.path_params["account_id"]
    with state._lock:
        state.get(ACCOUNTS, account_id)
        return envelope([render(m) for m in state.records[METERS].values() if m["utilityAccount"]["id"] == account_id])


async def service_type_list(request: Request) -> Response:
    return envelope([render(s) for s in _state(request).records[SERVICE_TYPES].values()])


async def providers_by_service_type(request: Request) -> Response:
    state = _state(request)
    service_type = state.get(SERVICE_TYPES, request.path_params["id"])
    return envelope([render(p) for p in state.records[PROVIDERS].values()
                     if any(s["id"] == service_type["id"] for s in p["serviceTypes"])])


async def create_account(request: Request) -> Response:
    return envelope(_state(request).create_account(await _json(request)))


async def update_account(request: Request) -> Response:
    return envelope(_state(request).update_account(await _json(request)))


async def enroll_candidate(request: Request) -> Response:
    return envelope(_state(request).enroll_candidate(await _json(request)))


async def create_meter(request: Request) -> Response:
    return envelope(_state(request).create_meter(await _json(request)))


async def update_meter(request: Request) -> Response:
    return envelope(_state(request).update_meter(await _json(request)))


async def create_attribute(request: Request) -> Response:
    return envelope(_state(request).create_attribute(await _json(request)))


async def update_attribute(request: Request) -> Response:
    return envelope(_state(request).update_attribute(await _json(request)))


async def create_credential(request: Request) -> Response:
    return envelope(_state(request).create_credential(await _json(request)))


async def update_credential(request: Request) -> Response:
    return envelope(_state(request).update_credential(await _json(request)))


# -- ops hooks -----------------------------------------------------------------------------------


async def sandbox_summary(request: Request) -> Response:
    return json_response(_state(request).summary())


async def sandbox_expire_tokens(request: Request) -> Response:
    return json_response({"status": "ok", "expired": _state(request).expire_tokens()})


async def sandbox_change_account_id(request: Request) -> Response:
    body = await _json(request)
    return json_response({"status": "ok", "id": _state(request).change_account_id(str(body.get("id")))})


def _route(path: str, handlers: dict[str, Any]) -> Route:
    return method_route(path, handlers, ApiError, error_response)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = STATUS_CODE.get(exc.status_code, "MALFORMED_REQUEST")
    return error_response(ApiError(code, status_phrase(exc.status_code), exc.status_code, dict(exc.headers or {})))


def create_app(dataset: UrjanetDataset, username: str = "sandbox-user", password: str = "sandbox-password",
               token_ttl_s: float = 3600) -> Starlette:
    if not username or not password:
        raise ValueError("the sandbox needs a non-empty username and password")
    if token_ttl_s <= 0:
        raise ValueError("token_ttl_s must be positive")
    p = API_PREFIX
    routes = [
        _route(LOGIN_PATH, {"POST": login}),
        _route(f"{p}/account/create", {"POST": create_account}),
        _route(f"{p}/account/update", {"POST": update_account}),
        _route(f"{p}/account/enrollCandidate", {"POST": enroll_candidate}),
        _route(f"{p}/account/search", {"POST": _searcher(ACCOUNTS)}),
        _route(f"{p}/account/candidates", {"POST": _searcher(ACCOUNT_CANDIDATES)}),
        _route(f"{p}/account/status/{{id}}", {"GET": _status(ACCOUNTS)}),
        _route(f"{p}/meter/create", {"POST": create_meter}),
        _route(f"{p}/meter/update", {"POST": update_meter}),
        _route(f"{p}/meter/search", {"POST": _searcher(METERS)}),
        _route(f"{p}/meter/candidate", {"POST": _searcher(METER_CANDIDATES)}),
        _route(f"{p}/meter/status/{{id}}", {"GET": _status(METERS)}),
        _route(f"{p}/meter/byaccount/{{account_id}}", {"GET": meters_by_account}),
        _route(f"{p}/credential/create", {"POST": create_credential}),
        _route(f"{p}/credential/update", {"POST": update_credential}),
        _route(f"{p}/credential/search", {"POST": _searcher(CREDENTIALS)}),
        _route(f"{p}/credential/status/{{id}}", {"GET": _status(CREDENTIALS)}),
        _route(f"{p}/changelog/search", {"POST": _searcher(CHANGELOG)}),
        _route(f"{p}/provider/search", {"POST": _searcher(PROVIDERS)}),
        _route(f"{p}/provider/status/{{id}}", {"GET": _status(PROVIDERS)}),
        _route(f"{p}/provider/byServiceType/{{id}}", {"GET": providers_by_service_type}),
        _route(f"{p}/serviceType/list", {"GET": service_type_list}),
        _route(f"{p}/serviceType/status/{{id}}", {"GET": _status(SERVICE_TYPES)}),
        _route(f"{p}/template/status/search", {"POST": _searcher(TEMPLATES)}),
        _route(f"{p}/template/status/{{id}}", {"GET": _status(TEMPLATES)}),
        _route(f"{p}/attribute/create", {"POST": create_attribute}),
        _route(f"{p}/attribute/update", {"POST": update_attribute}),
        _route(f"{p}/attribute/search", {"POST": _searcher(ATTRIBUTES)}),
        _route(f"{p}/attribute/status/{{id}}", {"GET": _status(ATTRIBUTES)}),
        *ops_routes(_route, _json, lambda message: ApiError("INVALID_ARGUMENTS", message)),
        _route("/_sandbox/state", {"GET": sandbox_summary}),
        _route("/_sandbox/expire-tokens", {"POST": sandbox_expire_tokens}),
        _route("/_sandbox/change-account-id", {"POST": sandbox_change_account_id}),
    ]
    return sandbox_app(routes, _http_exception, ApiGate, SandboxState(dataset, username, password, token_ttl_s),
                       vendor="urjanet")


def start_urjanet_sandbox(
    dataset: UrjanetDataset | None = None,
    username: str = "sandbox-user",
    password: str = "sandbox-password",
    token_ttl_s: float = 3600,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    **generator_kwargs: Any,
) -> tuple[SandboxServer, str]:
    """Start a sandbox server; returns it (running) and its root URL (API under /api/v1)."""
    dataset = sandbox_dataset(dataset, generator_kwargs, sandbox_settings_from_env, generate_dataset)
    server = SandboxServer(create_app(dataset, username, password, token_ttl_s), host=host, port=port,
                           name="urjanet-sandbox")
    server.start()
    return server, server.url


__all__ = ["API_PREFIX", "LOGIN_PATH", "ApiError", "SandboxState", "create_app", "start_urjanet_sandbox"]
