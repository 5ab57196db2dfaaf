"""The Arcadia Arc API (legacy Arc API, version 2022-10-13), simulated over real HTTP (Starlette app).

    create_app(dataset: ArcadiaDataset, client_id="sandbox-client", client_secret="sandbox-secret",
               token_ttl_s=7200) -> Starlette
    start_arcadia_sandbox(dataset=None, client_id="sandbox-client", client_secret="sandbox-secret",
                          token_ttl_s=7200, *, port=0, host="127.0.0.1",
                          seed=..., users=..., months=..., as_of=...) -> tuple[SandboxServer, str]

`start_arcadia_sandbox` starts a `SandboxServer` (already accepting connections) and returns it
with the API root (`http://127.0.0.1:<port>`: paths are `/auth/access_token`, `/users`, ...).
Generator arguments not given come from `sandbox_settings_from_env()` (ARCADIA_SANDBOX_SEED /
_USERS / _MONTHS / _AS_OF). Stop it with `server.stop()` or `with server: ...`.

API
* `POST /auth/access_token` with `client_id` and `client_secret` (JSON, form, query string or
  HTTP Basic) answers `{access_token, token_type: "Bearer", expires_in, scope: "public",
  created_at}` (`created_at`: unix seconds, Doorkeeper style); wrong or missing credentials are
  401 `{"error": "The supplied credentials are invalid."}`. A token is valid for `token_ttl_s`
  seconds of wall-clock time, or until `expire_tokens()`.
* Every other call needs `Arcadia-Version: 2022-10-13` (or the older `Arc-Version`; missing or
  another version: 400) and `Authorization: Bearer <token>` (missing, unknown or expired: 401
  with a `WWW-Authenticate: Bearer ...` header). The version header is checked first.
* `GET /ping` -> `{"pong": true}`.
* Lists (`/users`, `/utility_credentials`, `/utility_accounts`, `/utility_meters`,
  `/plug/utility_statements`): `limit` 1..100 (default 10; else 400), `order` asc|desc on
  `updated_at` (default desc), `updated_after` (strict >) or `updated_before` (strict <), not
  both (400); ISO 8601 (fractions, offsets or a bare date, UTC when naive). Records are sorted by
  (`updated_at`, id); `{"data": [...], "total_count": <records matching every filter>}`.
  Filters: credentials `client_user_id`; accounts `client_user_id`, `utility_credential_id`;
  meters `utility_account_id`, `service_types[]` (repeated, or `service_types` comma-separated;
  electric|gas|water); statements `utility_account_id`, `client_user_id`. A filter naming an
  unknown parent gives an empty list; an empty parameter (`?utility_account_id=`) is ignored;
  a non-integer id filter is 400.
* `GET /users/{client_user_id}`, `/utility_credentials/{id}`, `/utility_accounts/{id}`,
  `/utility_meters/{id}`, `/plug/utility_statements/{id}`; unknown ids: 404
  `{"error": "Couldn't find UtilityAccount with 'id'=..."}`.
* `GET /plug/utility_statements/{id}/intervals`: the electric meter's readings over the
  statement's service window (clipped to what is available; `data: []` without interval data).
* `GET /plug/utility_intervals?utility_meter_id=|utility_account_id=&start_time=&end_time=`:
  exactly one of the two ids (else 400; an account means its electric meter). Defaults:
  `end_time` = the latest available time (or start + one year), `start_time` = 30 days before
  the end (not before the earliest). `end_time` must be after `start_time` and at most one
  calendar year later (400). The window must lie inside the available range, else 400
  `{"error", "available_start_time", "available_end_time"}`. A gas meter has no intervals (400).
  Readings whose start lies in [start_time, end_time) are returned oldest first.
  Answer: `{client_user_id, utility_account_id, utility_meter_id, intervals_earliest_time,
  intervals_latest_time, batch_start_time, batch_end_time, data: [...]}` where
  `intervals_earliest_time` is the start of the first reading and `intervals_latest_time` the
  end of the last one.
* `GET /plug/utility_intervals/metadata?utility_meter_id=|utility_account_id=` ->
  `{client_user_id, utility_account_id, utility_meter_id, intervals_earliest_time,
  intervals_latest_time}` (both null for a gas meter).
* Record shapes: see generator.py. Users are `{client_user_id, created_at, updated_at,
  sandboxed, utility_credentials: [credential + utility_accounts: [account]]}` (Arc's User
  schema); accounts embed `utility_meters` like the seed's webhook example.
* Errors are `{"error": "<message>"}`; unknown route 404 `{"error": "Not found"}`, wrong method
  405 `{"error": "Method not allowed"}` with an `Allow` header. Paths are served with or without
  a trailing slash.

Runtime changes (the dataset is never mutated: one dataset can back several servers)
* A virtual clock starts at `dataset.now` (as_of 12:00Z) and advances one second per change
  (`touch`, triggers), so every changed `updated_at` sorts after all generated ones and a
  scripted sequence gives the same answers. `pdf_url` is signed on that clock.
* `touch(kind, id)`: the record's `updated_at` becomes the clock's now. Kinds: `user`,
  `utility_credential`, `utility_account`, `utility_meter`, `utility_statement` (also
  `credential`, `account`, `meter`, `statement` and the plurals).
* Triggers (Python methods returning the delivery record, or `POST /_sandbox/trigger/<name>`):
  - `trigger_new_statement(utility_account_id)` bills the period after the account's newest
    one (a closed account: ValueError / 400) and sends `new_utility_statement_available` with
    the statement as `data`; the account's `most_recent_tariff`, `flags` and `updated_at` follow.
  - `trigger_new_intervals(utility_meter_id, days=1)` extends the meter's available readings by
    `days` days and sends `new_utility_intervals_available` with `{client_user_id,
    utility_account_id, utility_meter_id, intervals_start_time, intervals_end_time}` (the new
    readings). Gas meters: ValueError / 400.
  - `trigger_credential_revoked(utility_credential_id)`: the credential becomes `rejected`
    (`verification_updated_at`, `updated_at` now) and `utility_credential_revoked` is sent with
    `{client_user_id, utility_credential_id}`.
  - `trigger_accounts_discovered(client_user_id, utility_credential_id=None)` sends
    `utility_accounts_discovered` with the seed's data `{client_user_id, utility_credential_id,
    utility_accounts}` for the user's verified credential (or the one given).
  - `trigger_test()` sends `{"type": "test", ...}` with empty data.
  Unknown ids: LookupError / 404.
* Webhooks: `webhook_target(url, signing_key, legacy_header_names=False)` (or `POST
  /_sandbox/webhook_target {url, signing_key, legacy_header_names}`) sets the receiver. Events
  are `{type, created_at, data}` (`created_at` on the virtual clock), POSTed as JSON with
  `Arc-Webhook-Timestamp` (unix seconds, wall clock) and `Arc-Webhook-Signature` = hex
  HMAC-SHA256 of `"{timestamp}.{raw body}"` keyed with the signing key (`Arcadia-Webhook-*`
  with `legacy_header_names`). Delivery is synchronous httpx from the caller's thread (the HTTP
  trigger hands it to a worker thread), retried twice after a connection error or a non-2xx
  answer (`webhook_retry_delays`, default 0.2 s and 0.5 s; each attempt signed afresh). Every
  event lands in `sent_webhooks`: `{seq, type, url, event, body, headers, attempts: [{status,
  error, timestamp}], status (the receiver's last answer, None when unreachable), delivered}`.
  Without a target the change still happens and the record says `delivered: false`.

Ops hooks (no version header, no token): `GET /_sandbox/calls`, `POST /_sandbox/reset-calls`,
`GET|POST|DELETE /_sandbox/faults`, `GET /_sandbox/state`, `POST /_sandbox/expire-tokens`,
`POST /_sandbox/touch {kind, id}`, `GET|POST|DELETE /_sandbox/webhook_target`,
`GET /_sandbox/webhooks` (sent_webhooks), `POST /_sandbox/trigger/new_statement
{utility_account_id}`, `.../new_intervals {utility_meter_id, days?}`, `.../credential_revoked
{utility_credential_id}`, `.../accounts_discovered {client_user_id, utility_credential_id?}`,
`.../test`. In Python, `app.state.sandbox` is the `SandboxState`.

Calls (`calls_snapshot()`): `{seq, method, path, query, status, fault}` for every API call,
token requests included; `client_secret`, tokens and signing keys in query strings are
replaced by `[REDACTED]`; bodies and headers are never recorded.

Fault scripts (as the other sandboxes'): `inject_faults("/utility_accounts", [{"status": 429,
"retry_after": 2}, {"status": 500}, {"delay": 1.5}, {"status": 200, "raw": "{\\"data\\": ["}],
method="GET")`; each response may have `body` (JSON replacing `{"error": ...}`), `raw` (text
sent as is), `headers` and `delay` (seconds first; without `status` it only delays). The next
requests whose path starts with the prefix consume them in order, before the version and token
checks. Faulted calls are recorded with `"fault": true`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import logging
import secrets
import threading
import time as wallclock
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode

import httpx
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
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
    status_phrase,
)
from ...core.sandbox_server import SandboxServer
from .generator import (
    AccountRecord,
    ArcadiaDataset,
    StatementRecord,
    account_payload,
    build_statement,
    epoch,
    generate_dataset,
    interval_items,
    iso_z,
    midnight,
    pdf_url,
    sandbox_settings_from_env,
)

log = logging.getLogger(__name__)

API_VERSION = "2022-10-13"
VERSION_HEADERS = (b"arcadia-version", b"arc-version")
TOKEN_PATH = "/auth/access_token"
SANDBOX_PREFIX = "/_sandbox"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100
DEFAULT_INTERVAL_WINDOW = timedelta(days=30)
TOKEN_SCOPE = "public"
INVALID_CREDENTIALS = "The supplied credentials are invalid."
SENSITIVE_QUERY_KEYS = frozenset({"client_secret", "access_token", "token", "refresh_token", "signing_key"})
MAX_SENT_WEBHOOKS = 10_000
SERVICE_TYPES = ("electric", "gas", "water")

USERS = "users"
CREDENTIALS = "utility_credentials"
ACCOUNTS = "utility_accounts"
METERS = "utility_meters"
STATEMENTS = "utility_statements"
KIND_ALIASES = {
    **{name: USERS for name in ("user", "users")},
    **{name: CREDENTIALS for name in ("credential", "credentials", "utility_credential", "utility_credentials")},
    **{name: ACCOUNTS for name in ("account", "accounts", "utility_account", "utility_accounts")},
    **{name: METERS for name in ("meter", "meters", "utility_meter", "utility_meters")},
    **{name: STATEMENTS for name in ("statement", "statements", "utility_statement", "utility_statements")},
}
MODEL_NAMES = {
    USERS: "User", CREDENTIALS: "UtilityCredential", ACCOUNTS: "UtilityAccount", METERS: "UtilityMeter",
    STATEMENTS: "UtilityStatement",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


def error_response(error: ApiError) -> Response:
    return json_response({"error": error.message, **error.extra}, error.status, error.headers)


def not_found(kind: str, record_id: Any) -> ApiError:
    key = "client_user_id" if kind == USERS else "id"
    return ApiError(404, f"Couldn't find {MODEL_NAMES[kind]} with '{key}'={record_id}")


# ---------------------------------------------------------------------------------------------
# Server-side state
# ---------------------------------------------------------------------------------------------


@dataclass
class IssuedToken:
    access_token: str
    created_at: float  # wall clock, unix seconds
    expires_at: float
    expired: bool = False  # set by expire_tokens()

    def problem(self, now: float) -> str | None:
        if self.expired or now >= self.expires_at:
            return "The access token expired"
        return None


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    signing_key: str
    legacy_header_names: bool = False

    @property
    def header_prefix(self) -> str:
        return "Arcadia-Webhook" if self.legacy_header_names else "Arc-Webhook"


def sign_webhook(signing_key: str, timestamp: str, body: bytes) -> str:
    """Arc's webhook signature: hex HMAC-SHA256 of `"{timestamp}.{raw body}"`."""
    return hmac.new(signing_key.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class SandboxState(CallLogAndFaults):
    """What the sandbox server remembers: tokens, calls, faults, changed records, webhooks."""

    api_prefix: ClassVar[str] = ""

    def __init__(self, dataset: ArcadiaDataset, client_id: str, client_secret: str, token_ttl_s: float) -> None:
        self.dataset = dataset
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_s = token_ttl_s
        self.calls: list[dict] = []
        self.faults: list[FaultScript] = []
        self.issued_tokens: list[IssuedToken] = []
        self.sent_webhooks: list[dict] = []
        self.webhook: WebhookTarget | None = None
        self.webhook_retry_delays: tuple[float, ...] = (0.2, 0.5)
        self.webhook_timeout_s = 5.0
        self._lock = threading.RLock()
        self._sequence = itertools.count()
        self._webhook_sequence = itertools.count(1)
        self._ticks = 0
        self._tokens: dict[str, IssuedToken] = {}
        self._interval_end: dict[int, datetime] = {}

        ds = dataset
        # Payloads (shallow copies: changes replace top-level keys) and sort keys per kind.
        self._payloads: dict[str, dict[Any, dict]] = {
            USERS: {u.client_user_id: u.payload() for u in ds.users},
            CREDENTIALS: {c.id: c.payload() for c in ds.credentials},
            ACCOUNTS: {a.id: a.payload() for a in ds.accounts},
            METERS: {m.id: m.payload() for m in ds.meters},
            STATEMENTS: {s.id: s.payload() for s in ds.statements},
        }
        self._updated: dict[str, dict[Any, int]] = {
            USERS: {u.client_user_id: epoch(u.updated) for u in ds.users},
            CREDENTIALS: {c.id: epoch(c.updated) for c in ds.credentials},
            ACCOUNTS: {a.id: epoch(a.updated) for a in ds.accounts},
            METERS: {m.id: epoch(m.updated) for m in ds.meters},
            STATEMENTS: {s.id: epoch(s.updated) for s in ds.statements},
        }
        self._statements: dict[int, StatementRecord] = {s.id: s for s in ds.statements}
        self._next_statement_id = max(self._statements, default=0) + 1
        self._credentials_by_user: dict[str, list[int]] = {u.client_user_id: list(u.credential_ids) for u in ds.users}
        self._accounts_by_user: dict[str, list[int]] = {}
        self._accounts_by_credential: dict[int, list[int]] = {c.id: list(c.account_ids) for c in ds.credentials}
        self._meters_by_account: dict[int, list[int]] = {}
        self._statements_by_account: dict[int, list[int]] = {}
        self._statements_by_user: dict[str, list[int]] = {}
        for account in ds.accounts:
            self._accounts_by_user.setdefault(account.client_user_id, []).append(account.id)
            self._meters_by_account[account.id] = [m.id for m in account.meters]
            self._statements_by_account[account.id] = [s.id for s in account.statements]
            self._statements_by_user.setdefault(account.client_user_id, []).extend(s.id for s in account.statements)

    # -- clock ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        with self._lock:
            return self.dataset.now + timedelta(seconds=self._ticks)

    def _tick(self) -> datetime:
        with self._lock:
            self._ticks += 1
            return self.dataset.now + timedelta(seconds=self._ticks)

    # -- tokens ---------------------------------------------------------------------------------

    def credentials_ok(self, client_id: Any, client_secret: Any) -> bool:
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return False
        id_ok = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest(client_secret.encode(), self.client_secret.encode())
        return id_ok and secret_ok

    def issue_token(self) -> IssuedToken:
        now = wallclock.time()
        token = IssuedToken(secrets.token_urlsafe(32), now, now + self.token_ttl_s)
        with self._lock:
            self.issued_tokens.append(token)
            self._tokens[token.access_token] = token
        return token

    def token_problem(self, access_token: str) -> str | None:
        with self._lock:
            token = self._tokens.get(access_token)
        if token is None:
            return "The access token is invalid"
        return token.problem(wallclock.time())

    def expire_tokens(self) -> int:
        """Every token issued so far answers 401 from now on."""
        with self._lock:
            for token in self.issued_tokens:
                token.expired = True
            return len(self.issued_tokens)

    # -- records --------------------------------------------------------------------------------

    def _exists(self, kind: str, record_id: Any) -> bool:
        return record_id in self._payloads[kind]

    def render(self, kind: str, record_id: Any) -> dict:
        with self._lock:
            if kind == USERS:
                return self._render_user(record_id)
            if kind == CREDENTIALS:
                return dict(self._payloads[CREDENTIALS][record_id])
            if kind == ACCOUNTS:
                return self._render_account(record_id)
            if kind == METERS:
                return dict(self._payloads[METERS][record_id])
            if kind == STATEMENTS:
                return self._render_statement(record_id)
        raise ValueError(f"unknown kind {kind!r}")

    def _render_user(self, client_user_id: str) -> dict:
        credentials = []
        for credential_id in self._credentials_by_user.get(client_user_id, []):
            accounts = [self._render_account(a) for a in self._accounts_by_credential.get(credential_id, [])]
            credentials.append({**self._payloads[CREDENTIALS][credential_id], "utility_accounts": accounts})
        return {**self._payloads[USERS][client_user_id], "utility_credentials": credentials}

    def _render_account(self, account_id: int) -> dict:
        meters = [dict(self._payloads[METERS][m]) for m in self._meters_by_account.get(account_id, [])]
        return {**self._payloads[ACCOUNTS][account_id], "utility_meters": meters, "sandboxed": True}

    def _render_statement(self, statement_id: int) -> dict:
        payload = dict(self._payloads[STATEMENTS][statement_id])
        payload["pdf_url"] = pdf_url(self.dataset.seed, statement_id, self.now())
        return payload

    def get(self, kind: str, record_id: Any) -> dict:
        with self._lock:
            if not self._exists(kind, record_id):
                raise not_found(kind, record_id)
            return self.render(kind, record_id)

    def candidates(self, kind: str, parent: str | None = None, parent_id: Any = None) -> list[Any]:
        """Ids of a kind, optionally only under one parent (`client_user_id`, ...)."""
        with self._lock:
            if parent is None:
                return list(self._payloads[kind])
            index = {
                (CREDENTIALS, "client_user_id"): self._credentials_by_user,
                (ACCOUNTS, "client_user_id"): self._accounts_by_user,
                (ACCOUNTS, "utility_credential_id"): self._accounts_by_credential,
                (METERS, "utility_account_id"): self._meters_by_account,
                (STATEMENTS, "utility_account_id"): self._statements_by_account,
                (STATEMENTS, "client_user_id"): self._statements_by_user,
            }[(kind, parent)]
            return list(index.get(parent_id, []))

    def page(self, kind: str, ids: Iterable[Any], *, limit: int = DEFAULT_LIMIT, order: str = "desc",
             updated_after: float | None = None, updated_before: float | None = None,
             where: Callable[[dict], bool] | None = None, request: Request | None = None) -> dict:
        """One page of a list: `{data, total_count}` sorted on (updated_at, id). With `request`,
        rate-based listing faults may repeat records met before the cursor and shuffle the page
        (the keyset client pages on the page's latest `updated_at`, so it loses nothing)."""
        with self._lock:
            updated = self._updated[kind]
            keys, before_cursor = [], []
            for record_id in ids:
                moment = updated[record_id]
                if where is not None and not where(self._payloads[kind][record_id]):
                    continue
                if (updated_after is not None and not moment > updated_after) or (
                        updated_before is not None and not moment < updated_before):
                    before_cursor.append((moment, record_id))
                    continue
                keys.append((moment, record_id))
            keys.sort(reverse=order == "desc")
            data = [self.render(kind, record_id) for _, record_id in keys[:limit]]
            if request is not None and self.fault_rate.enabled and data:
                before_cursor.sort(reverse=order == "desc")
                preceding = [self.render(kind, record_id) for _, record_id in before_cursor[-max(1, limit // 5):]]
                data, _ = listing_faults(request, data, preceding, more=len(keys) > limit)
            return {"data": data, "total_count": len(keys)}

    def touch(self, kind: str, record_id: Any) -> dict:
        """Set a record's `updated_at` to the sandbox clock's now (a record updated mid-sync)."""
        normalized = KIND_ALIASES.get(str(kind).lower())
        if normalized is None:
            raise ValueError(f"unknown kind {kind!r}; use one of {sorted(set(KIND_ALIASES))}")
        if normalized != USERS and isinstance(record_id, str) and record_id.strip().isdigit():
            record_id = int(record_id)
        with self._lock:
            if not self._exists(normalized, record_id):
                raise LookupError(f"no {normalized} record {record_id!r}")
            self._set_updated(normalized, record_id, self._tick())
            return self.render(normalized, record_id)

    def _set_updated(self, kind: str, record_id: Any, moment: datetime, **changes: Any) -> None:
        self._payloads[kind][record_id] = {**self._payloads[kind][record_id], **changes,
                                           "updated_at": iso_z(moment)}
        self._updated[kind][record_id] = epoch(moment)

    # -- intervals ------------------------------------------------------------------------------

    def interval_range(self, meter_id: int) -> tuple[datetime, datetime] | None:
        meter = self.dataset.meter(meter_id)
        if meter is None or meter.profile is None:
            return None
        assert meter.available_start is not None and meter.available_end is not None
        with self._lock:
            return meter.available_start, self._interval_end.get(meter_id, meter.available_end)

    def statement_record(self, statement_id: int) -> StatementRecord | None:
        with self._lock:
            return self._statements.get(statement_id)

    # -- triggers -------------------------------------------------------------------------------

    def webhook_target(self, url: str, signing_key: str, legacy_header_names: bool = False) -> None:
        """Where trigger events are POSTed, and the key that signs them."""
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        if not isinstance(signing_key, str) or not signing_key:
            raise ValueError("signing_key must be a non-empty string")
        with self._lock:
            self.webhook = WebhookTarget(url, signing_key, bool(legacy_header_names))

    def clear_webhook_target(self) -> None:
        with self._lock:
            self.webhook = None

    def trigger_new_statement(self, utility_account_id: int) -> dict:
        with self._lock:
            account = self._account(utility_account_id)
            if account.closed:
                raise ValueError(f"utility account {account.id} is closed: it gets no new statements")
            existing = [self._statements[s] for s in self._statements_by_account[account.id]]
            newest = max(existing, key=lambda s: (s.window_last_day, s.id), default=None)
            period = max((s.key[2] for s in existing), default=-1) + 1
            start = newest.window_last_day + timedelta(days=1) if newest else self.dataset.as_of.replace(day=1)
            moment = self._tick()
            statement = build_statement(account, period, start, created=moment)
            statement.id = self._next_statement_id
            self._next_statement_id += 1
            self._statements[statement.id] = statement
            self._payloads[STATEMENTS][statement.id] = statement.payload()
            self._updated[STATEMENTS][statement.id] = epoch(moment)
            self._statements_by_account[account.id].append(statement.id)
            self._statements_by_user.setdefault(account.client_user_id, []).append(statement.id)
            refreshed = account_payload(account, statement.tariff, statement.statement_date, statement.past_due)
            self._set_updated(ACCOUNTS, account.id, moment, most_recent_tariff=refreshed["most_recent_tariff"],
                              flags=refreshed["flags"])
            event = self._event("new_utility_statement_available", moment, self._render_statement(statement.id))
        return self._deliver(event)

    def trigger_new_intervals(self, utility_meter_id: int, days: int = 1) -> dict:
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 366:
            raise ValueError("days must be an integer between 1 and 366")
        with self._lock:
            meter = self.dataset.meter(utility_meter_id)
            if meter is None:
                raise LookupError(f"no utility meter {utility_meter_id!r}")
            window = self.interval_range(meter.id)
            if window is None:
                raise ValueError(f"utility meter {meter.id} ({meter.service_type}) has no interval data")
            old_end = window[1]
            new_end = old_end + timedelta(days=days)
            self._interval_end[meter.id] = new_end
            assert meter.account is not None
            data = {
                "client_user_id": meter.account.client_user_id,
                "utility_account_id": meter.account.id,
                "utility_meter_id": meter.id,
                "intervals_start_time": iso_z(old_end),
                "intervals_end_time": iso_z(new_end),
            }
            event = self._event("new_utility_intervals_available", self._tick(), data)
        return self._deliver(event)

    def trigger_credential_revoked(self, utility_credential_id: int) -> dict:
        with self._lock:
            if utility_credential_id not in self._payloads[CREDENTIALS]:
                raise LookupError(f"no utility credential {utility_credential_id!r}")
            moment = self._tick()
            self._set_updated(CREDENTIALS, utility_credential_id, moment, verification_status="rejected",
                              verification_updated_at=iso_z(moment), accounts_load_in_progress=False)
            payload = self._payloads[CREDENTIALS][utility_credential_id]
            data = {"client_user_id": payload["client_user_id"], "utility_credential_id": utility_credential_id}
            event = self._event("utility_credential_revoked", moment, data)
        return self._deliver(event)

    def trigger_accounts_discovered(self, client_user_id: str, utility_credential_id: int | None = None) -> dict:
        with self._lock:
            if client_user_id not in self._payloads[USERS]:
                raise LookupError(f"no user {client_user_id!r}")
            credential_ids = self._credentials_by_user.get(client_user_id, [])
            if utility_credential_id is None:
                utility_credential_id = next(
                    (c for c in credential_ids if self._payloads[CREDENTIALS][c]["verification_status"] == "verified"
                     and self._accounts_by_credential.get(c)),
                    next((c for c in credential_ids if self._accounts_by_credential.get(c)), None),
                )
                if utility_credential_id is None:
                    raise ValueError(f"user {client_user_id} has no credential with accounts")
            elif utility_credential_id not in credential_ids:
                raise LookupError(f"no utility credential {utility_credential_id!r} for user {client_user_id}")
            data = {
                "client_user_id": client_user_id,
                "utility_credential_id": utility_credential_id,
                "utility_accounts": [self._render_account(a)
                                     for a in self._accounts_by_credential.get(utility_credential_id, [])],
            }
            event = self._event("utility_accounts_discovered", self._tick(), data)
        return self._deliver(event)

    def trigger_test(self) -> dict:
        return self._deliver(self._event("test", self._tick(), {}))

    def _account(self, account_id: int) -> AccountRecord:
        account = self.dataset.account(account_id) if isinstance(account_id, int) else None
        if account is None:
            raise LookupError(f"no utility account {account_id!r}")
        return account

    @staticmethod
    def _event(event_type: str, moment: datetime, data: dict) -> dict:
        return {"type": event_type, "created_at": iso_z(moment), "data": data}

    # -- webhook delivery -----------------------------------------------------------------------

    def _deliver(self, event: dict) -> dict:
        """POST one event to the target (blocking; retried), record it and return the record."""
        with self._lock:
            target = self.webhook
            delays = (0.0, *self.webhook_retry_delays)
            timeout = self.webhook_timeout_s
        body = orjson.dumps(event)
        delivery: dict[str, Any] = {
            "seq": next(self._webhook_sequence),
            "type": event["type"],
            "url": target.url if target else None,
            "event": event,
            "body": body.decode(),
            "headers": {},
            "attempts": [],
            "status": None,
            "delivered": False,
        }
        if target is None:
            delivery["error"] = "no webhook target set"
        else:
            with httpx.Client(timeout=timeout) as client:
                for delay in delays:
                    if delay:
                        wallclock.sleep(delay)
                    timestamp = str(int(wallclock.time()))
                    headers = {
                        "Content-Type": "application/json",
                        "User-Agent": "Arc-Sandbox-Webhooks/1.0",
                        f"{target.header_prefix}-Timestamp": timestamp,
                        f"{target.header_prefix}-Signature": sign_webhook(target.signing_key, timestamp, body),
                    }
                    status, error = None, None
                    try:
                        status = client.post(target.url, content=body, headers=headers).status_code
                    except httpx.HTTPError as exc:
                        error = f"{type(exc).__name__}: {exc}"
                    delivery["headers"] = headers
                    delivery["attempts"].append({"status": status, "error": error, "timestamp": int(timestamp)})
                    delivery["status"] = status
                    if status is not None and 200 <= status < 300:
                        delivery["delivered"] = True
                        break
        with self._lock:
            self.sent_webhooks.append(delivery)
            if len(self.sent_webhooks) > MAX_SENT_WEBHOOKS:
                del self.sent_webhooks[: len(self.sent_webhooks) - MAX_SENT_WEBHOOKS]
        if not delivery["delivered"] and target is not None:
            log.warning("Arcadia sandbox webhook %s to %s not delivered: %s", event["type"], target.url,
                        delivery["attempts"][-1])
        return delivery

    # -- summary --------------------------------------------------------------------------------

    def summary(self) -> dict:
        with self._lock:
            return {
                **self.dataset.summary(),
                "clock": iso_z(self.now()),
                "calls": len(self.calls),
                "issued_tokens": len(self.issued_tokens),
                "statements_now": len(self._statements),
                "webhook_url": self.webhook.url if self.webhook else None,
                "sent_webhooks": len(self.sent_webhooks),
            }


def _fault_response(fault: dict) -> Response:
    status = fault["status"]
    return fault_response(fault, {"error": status_phrase(status)})


def _redacted_query(raw: bytes) -> str:
    query = raw.decode("latin-1")
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(key.lower() in SENSITIVE_QUERY_KEYS for key, _ in pairs):
        return query
    return urlencode([(k, "[REDACTED]" if k.lower() in SENSITIVE_QUERY_KEYS else v) for k, v in pairs], safe="[]")


# ---------------------------------------------------------------------------------------------
# Gate: trailing slashes, faults, version header, bearer tokens and call recording
# ---------------------------------------------------------------------------------------------


class ApiGate(RecordingGate):
    label = "Arcadia sandbox"

    def query_text(self, scope: Scope) -> str:
        return _redacted_query(scope.get("query_string", b""))

    def fault_reply(self, fault: dict) -> Response:
        return _fault_response(fault)

    def problem(self, scope: Scope, path: str) -> Response | None:
        if path == TOKEN_PATH:
            return None
        problem = self._version_problem(scope) or self._auth_problem(scope)
        return error_response(problem) if problem is not None else None

    def crash_reply(self) -> Response:
        return error_response(ApiError(500, "Internal server error"))

    @staticmethod
    def _version_problem(scope: Scope) -> ApiError | None:
        headers = dict(scope["headers"])
        value = next((headers[name] for name in VERSION_HEADERS if name in headers), None)
        if value is None:
            return ApiError(400, f"Missing Arcadia-Version header: send 'Arcadia-Version: {API_VERSION}' "
                                 "with every request.")
        version = value.decode("latin-1").strip()
        if version != API_VERSION:
            return ApiError(400, f"Unsupported Arcadia-Version {version!r}: this API serves {API_VERSION}.")
        return None

    def _auth_problem(self, scope: Scope) -> ApiError | None:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if header is None:
            return _unauthorized("Missing access token: send 'Authorization: Bearer <token>' "
                                 f"(POST {TOKEN_PATH} gives one).", None)
        scheme, _, token = header.decode("latin-1").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("The Authorization header must be 'Bearer <token>'.", "invalid_request")
        problem = self.state.token_problem(token.strip())
        if problem is not None:
            return _unauthorized(f"{problem}.", "invalid_token")
        return None


def _unauthorized(message: str, error_code: str | None) -> ApiError:
    challenge = 'Bearer realm="Arc"'
    if error_code:
        challenge += f', error="{error_code}", error_description="{message.rstrip(".")}"'
    return ApiError(401, message, {"WWW-Authenticate": challenge})


# ---------------------------------------------------------------------------------------------
# Request parsing helpers
# ---------------------------------------------------------------------------------------------


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


def _optional(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _int_query(request: Request, name: str) -> int | None:
    raw = _optional(request, name)
    if raw is None:
        return None
    if not raw.lstrip("-").isdigit():
        raise ApiError(400, f"{name} must be an integer, got {raw!r}.")
    return int(raw)


def _path_id(request: Request, kind: str) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit():
        raise not_found(kind, raw)
    return int(raw)


def parse_time(name: str, value: str) -> datetime:
    text = value.strip()
    if len(text) > 19 and text[19] == " ":
        # An unencoded "+00:00" in a query string arrives as " 00:00".
        text = text[:19] + "+" + text[20:]
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return midnight(day)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date-time, got {value!r}.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _list_options(request: Request) -> dict:
    raw_limit = _optional(request, "limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise ApiError(400, f"limit must be an integer between 1 and {MAX_LIMIT}, got {raw_limit!r}.")
        limit = int(raw_limit)
    order = (_optional(request, "order") or "desc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(400, f"order must be 'asc' or 'desc', got {order!r}.")
    after = _optional(request, "updated_after")
    before = _optional(request, "updated_before")
    if after is not None and before is not None:
        raise ApiError(400, "Use updated_after or updated_before, not both.")
    return {
        "limit": limit,
        "order": order,
        "updated_after": parse_time("updated_after", after).timestamp() if after else None,
        "updated_before": parse_time("updated_before", before).timestamp() if before else None,
    }


async def _body_fields(request: Request) -> dict:
    """A JSON object or a form body (empty: {})."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(400, "The body must be a JSON object or a form.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "The body must be a JSON object.")
    return body


def _plus_one_year(moment: datetime) -> datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + 1, day=28)


# ---------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------


async def access_token(request: Request) -> Response:
    state = _state(request)
    try:
        fields = await _body_fields(request)
    except ApiError:
        fields = {}
    client_id = fields.get("client_id", request.query_params.get("client_id"))
    client_secret = fields.get("client_secret", request.query_params.get("client_secret"))
    header = request.headers.get("authorization", "")
    if client_id is None and header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            client_id, _, client_secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            pass
    if not state.credentials_ok(client_id, client_secret):
        raise ApiError(401, INVALID_CREDENTIALS)
    token = state.issue_token()
    return json_response({
        "access_token": token.access_token,
        "token_type": "Bearer",
        "expires_in": int(state.token_ttl_s),
        "scope": TOKEN_SCOPE,
        "created_at": int(token.created_at),
    })


async def ping(request: Request) -> Response:
    return json_response({"pong": True})


async def list_users(request: Request) -> Response:
    state = _state(request)
    options = _list_options(request)
    return json_response(state.page(USERS, state.candidates(USERS), request=request, **options))


async def get_user(request: Request) -> Response:
    return json_response(_state(request).get(USERS, request.path_params["client_user_id"]))


async def list_credentials(request: Request) -> Response:
    state = _state(request)
    options = _list_options(request)
    user = _optional(request, "client_user_id")
    ids = state.candidates(CREDENTIALS, "client_user_id", user) if user else state.candidates(CREDENTIALS)
    return json_response(state.page(CREDENTIALS, ids, request=request, **options))


async def get_credential(request: Request) -> Response:
    return json_response(_state(request).get(CREDENTIALS, _path_id(request, CREDENTIALS)))


async def list_accounts(request: Request) -> Response:
    state = _state(request)
    options = _list_options(request)
    user = _optional(request, "client_user_id")
    credential = _int_query(request, "utility_credential_id")
    ids = state.candidates(ACCOUNTS, "client_user_id", user) if user else state.candidates(ACCOUNTS)
    if credential is not None:
        under_credential = set(state.candidates(ACCOUNTS, "utility_credential_id", credential))
        ids = [i for i in ids if i in under_credential]
    return json_response(state.page(ACCOUNTS, ids, request=request, **options))


async def get_account(request: Request) -> Response:
    return json_response(_state(request).get(ACCOUNTS, _path_id(request, ACCOUNTS)))


def _service_types(request: Request) -> set[str] | None:
    values = [*request.query_params.getlist("service_types[]"), *request.query_params.getlist("service_types")]
    wanted = {part.strip() for value in values for part in value.split(",") if part.strip()}
    unknown = sorted(wanted - set(SERVICE_TYPES))
    if unknown:
        raise ApiError(400, f"service_types must be among {', '.join(SERVICE_TYPES)}; got {', '.join(unknown)}.")
    return wanted or None


async def list_meters(request: Request) -> Response:
    state = _state(request)
    options = _list_options(request)
    account = _int_query(request, "utility_account_id")
    ids = state.candidates(METERS, "utility_account_id", account) if account is not None else state.candidates(METERS)
    service_types = _service_types(request)
    where = (lambda payload: payload["service_type"] in service_types) if service_types else None
    return json_response(state.page(METERS, ids, where=where, request=request, **options))


async def get_meter(request: Request) -> Response:
    return json_response(_state(request).get(METERS, _path_id(request, METERS)))


async def list_statements(request: Request) -> Response:
    state = _state(request)
    options = _list_options(request)
    account = _int_query(request, "utility_account_id")
    user = _optional(request, "client_user_id")
    if account is not None:
        ids = state.candidates(STATEMENTS, "utility_account_id", account)
    elif user is not None:
        ids = state.candidates(STATEMENTS, "client_user_id", user)
    else:
        ids = state.candidates(STATEMENTS)
    where = (lambda payload: payload["client_user_id"] == user) if account is not None and user else None
    return json_response(state.page(STATEMENTS, ids, where=where, request=request, **options))


async def get_statement(request: Request) -> Response:
    return json_response(_state(request).get(STATEMENTS, _path_id(request, STATEMENTS)))


def _interval_body(state: SandboxState, meter_id: int, start: datetime, end: datetime,
                   window: tuple[datetime, datetime] | None) -> bytes:
    meter = state.dataset.meter(meter_id)
    assert meter is not None and meter.account is not None
    items = interval_items(meter.profile, start, end) if meter.profile is not None and start < end else []
    return orjson.dumps({
        "client_user_id": meter.account.client_user_id,
        "utility_account_id": meter.account.id,
        "utility_meter_id": meter.id,
        "intervals_earliest_time": iso_z(window[0]) if window else None,
        "intervals_latest_time": iso_z(window[1]) if window else None,
        "batch_start_time": iso_z(start),
        "batch_end_time": iso_z(end),
        "data": items,
    })


async def statement_intervals(request: Request) -> Response:
    state = _state(request)
    statement_id = _path_id(request, STATEMENTS)
    state.get(STATEMENTS, statement_id)  # 404 for unknown ids
    statement = state.statement_record(statement_id)
    assert statement is not None
    meter = statement.account.electric_meter
    if meter is None:
        raise ApiError(400, f"Utility statement {statement_id} has no electric meter.")
    start = midnight(statement.service_start)
    end = midnight(statement.window_last_day + timedelta(days=1))
    window = state.interval_range(meter.id)
    if window is not None:
        start, end = max(start, window[0]), min(end, window[1])
    body = await run_in_threadpool(_interval_body, state, meter.id, start, max(start, end), window)
    return Response(body, media_type="application/json")


def _interval_meter(request: Request) -> int:
    state = _state(request)
    meter_id = _int_query(request, "utility_meter_id")
    account_id = _int_query(request, "utility_account_id")
    if (meter_id is None) == (account_id is None):
        raise ApiError(400, "Provide exactly one of utility_account_id or utility_meter_id.")
    if meter_id is not None:
        state.get(METERS, meter_id)  # 404 for unknown ids
        return meter_id
    state.get(ACCOUNTS, account_id)
    account = state.dataset.account(account_id)  # type: ignore[arg-type]
    assert account is not None
    meter = account.electric_meter
    if meter is None:
        raise ApiError(400, f"Utility account {account_id} has no electric meter.")
    return meter.id


async def intervals(request: Request) -> Response:
    state = _state(request)
    meter_id = _interval_meter(request)
    window = state.interval_range(meter_id)
    if window is None:
        meter = state.dataset.meter(meter_id)
        raise ApiError(400, f"Utility meter {meter_id} ({meter.service_type if meter else '?'}) has no interval data.")
    earliest, latest = window
    raw_start, raw_end = _optional(request, "start_time"), _optional(request, "end_time")
    start = parse_time("start_time", raw_start) if raw_start else None
    end = parse_time("end_time", raw_end) if raw_end else None
    if end is None:
        end = min(latest, _plus_one_year(start)) if start is not None else latest
    if start is None:
        start = max(earliest, end - DEFAULT_INTERVAL_WINDOW)
    if end <= start:
        raise ApiError(400, "end_time must be after start_time.")
    if end > _plus_one_year(start):
        raise ApiError(400, "At most one year of intervals per request: narrow start_time..end_time.")
    if start < earliest or end > latest:
        raise ApiError(
            400,
            f"The requested time range {iso_z(start)}..{iso_z(end)} is outside the available range of "
            f"intervals for utility meter {meter_id}.",
            extra={"available_start_time": iso_z(earliest), "available_end_time": iso_z(latest)},
        )
    body = await run_in_threadpool(_interval_body, state, meter_id, start, end, window)
    return Response(body, media_type="application/json")


async def intervals_metadata(request: Request) -> Response:
    state = _state(request)
    meter_id = _interval_meter(request)
    meter = state.dataset.meter(meter_id)
    assert meter is not None and meter.account is not None
    window = state.interval_range(meter_id)
    return json_response({
        "client_user_id": meter.account.client_user_id,
        "utility_account_id": meter.account.id,
        "utility_meter_id": meter.id,
        "intervals_earliest_time": iso_z(window[0]) if window else None,
        "intervals_latest_time": iso_z(window[1]) if window else None,
    })


# -- ops hooks -----------------------------------------------------------------------------------


async def sandbox_summary(request: Request) -> Response:
    return json_response(_state(request).summary())


async def sandbox_expire_tokens(request: Request) -> Response:
    return json_response({"status": "ok", "expired": _state(request).expire_tokens()})


async def sandbox_touch(request: Request) -> Response:
    body = await _body_fields(request)
    try:
        record = _state(request).touch(body.get("kind", ""), body.get("id"))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except LookupError as exc:
        raise ApiError(404, str(exc)) from None
    return json_response(record)


async def sandbox_get_webhook_target(request: Request) -> Response:
    target = _state(request).webhook
    if target is None:
        return json_response({"url": None})
    return json_response({"url": target.url, "legacy_header_names": target.legacy_header_names})


async def sandbox_set_webhook_target(request: Request) -> Response:
    body = await _body_fields(request)
    try:
        _state(request).webhook_target(body.get("url"), body.get("signing_key"),  # type: ignore[arg-type]
                                       bool(body.get("legacy_header_names", False)))
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response({"status": "ok"})


async def sandbox_clear_webhook_target(request: Request) -> Response:
    _state(request).clear_webhook_target()
    return json_response({"status": "ok"})


async def sandbox_sent_webhooks(request: Request) -> Response:
    state = _state(request)
    with state._lock:
        return json_response(list(state.sent_webhooks))


def _int_field(body: dict, name: str) -> int:
    value = body.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, f"{name} (an integer) is required.")
    return value


async def sandbox_trigger(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    body = await _body_fields(request)
    if name == "new_statement":
        call = (state.trigger_new_statement, _int_field(body, "utility_account_id"))
    elif name == "new_intervals":
        call = (state.trigger_new_intervals, _int_field(body, "utility_meter_id"),
                _int_field(body, "days") if "days" in body else 1)
    elif name == "credential_revoked":
        call = (state.trigger_credential_revoked, _int_field(body, "utility_credential_id"))
    elif name == "accounts_discovered":
        if not isinstance(body.get("client_user_id"), str):
            raise ApiError(400, "client_user_id (a string) is required.")
        credential = _int_field(body, "utility_credential_id") if body.get("utility_credential_id") else None
        call = (state.trigger_accounts_discovered, body["client_user_id"], credential)
    elif name == "test":
        call = (state.trigger_test,)
    else:
        raise ApiError(404, f"Unknown trigger {name!r}: new_statement, new_intervals, credential_revoked, "
                            "accounts_discovered or test.")
    try:
        # Delivery blocks on the receiver: keep the event loop free (the receiver may call back).
        delivery = await run_in_threadpool(*call)
    except LookupError as exc:
        raise ApiError(404, str(exc)) from None
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    return json_response(delivery)


# ---------------------------------------------------------------------------------------------
# App factory
# ---------------------------------------------------------------------------------------------


def _route(path: str, handlers: dict[str, Any]) -> Route:
    return method_route(path, handlers, ApiError, error_response)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(ApiError(404, "Not found"))
    if exc.status_code == 405:
        return error_response(ApiError(405, "Method not allowed", dict(exc.headers or {})))
    return error_response(ApiError(exc.status_code, status_phrase(exc.status_code), dict(exc.headers or {})))


def create_app(dataset: ArcadiaDataset, client_id: str = "sandbox-client", client_secret: str = "sandbox-secret",
               token_ttl_s: float = 7200) -> Starlette:
    if not client_id or not client_secret:
        raise ValueError("the sandbox needs a non-empty client id and secret")
    if token_ttl_s <= 0:
        raise ValueError("token_ttl_s must be positive")
    routes = [
        _route(TOKEN_PATH, {"POST": access_token}),
        _route("/ping", {"GET": ping}),
        _route("/users", {"GET": list_users}),
        _route("/users/{client_user_id}", {"GET": get_user}),
        _route("/utility_credentials", {"GET": list_credentials}),
        _route("/utility_credentials/{id}", {"GET": get_credential}),
        _route("/utility_accounts", {"GET": list_accounts}),
        _route("/utility_accounts/{id}", {"GET": get_account}),
        _route("/utility_meters", {"GET": list_meters}),
        _route("/utility_meters/{id}", {"GET": get_meter}),
        _route("/plug/utility_statements", {"GET": list_statements}),
        _route("/plug/utility_statements/{id}", {"GET": get_statement}),
        _route("/plug/utility_statements/{id}/intervals", {"GET": statement_intervals}),
        _route("/plug/utility_intervals", {"GET": intervals}),
        _route("/plug/utility_intervals/metadata", {"GET": intervals_metadata}),
        *ops_routes(_route, _body_fields, lambda message: ApiError(400, message)),
        _route("/_sandbox/state", {"GET": sandbox_summary}),
        _route("/_sandbox/expire-tokens", {"POST": sandbox_expire_tokens}),
        _route("/_sandbox/touch", {"POST": sandbox_touch}),
        _route("/_sandbox/webhook_target", {"GET": sandbox_get_webhook_target, "POST": sandbox_set_webhook_target,
                                            "DELETE": sandbox_clear_webhook_target}),
        _route("/_sandbox/webhooks", {"GET": sandbox_sent_webhooks}),
        _route("/_sandbox/trigger/{name}", {"POST": sandbox_trigger}),
    ]
    return sandbox_app(routes, _http_exception, ApiGate, SandboxState(dataset, client_id, client_secret, token_ttl_s),
                       vendor="arcadia")


def start_arcadia_sandbox(
    dataset: ArcadiaDataset | None = None,
    client_id: str = "sandbox-client",
    client_secret: str = "sandbox-secret",
    token_ttl_s: float = 7200,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    **generator_kwargs: Any,
) -> tuple[SandboxServer, str]:
    """Start a sandbox server; returns it (running) and its API root URL."""
    dataset = sandbox_dataset(dataset, generator_kwargs, sandbox_settings_from_env, generate_dataset)
    app = create_app(dataset, client_id, client_secret, token_ttl_s)
    server = SandboxServer(app, host=host, port=port, name="arcadia-sandbox")
    server.start()
    return server, server.url


__all__ = [
    "API_VERSION", "ApiError", "IssuedToken", "SandboxState", "WebhookTarget", "create_app", "sign_webhook",
    "start_arcadia_sandbox",
]
