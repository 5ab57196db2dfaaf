"""The WattzOn Link API 4.0, simulated over real HTTPS with client certificates (Starlette app).

    create_app(dataset: WattzonDataset, client_name: str = "utility-data-client") -> Starlette
    start_wattzon_sandbox(dataset=None, tls=True, directory=None, *, port=0, host="127.0.0.1",
                          client_name="utility-data-client", seed=..., profiles=..., months=...,
                          as_of=...) -> tuple[SandboxServer, str, SandboxPKI | None]

`start_wattzon_sandbox` starts a `SandboxServer` (already accepting connections) and returns it
with the API base URL (`https://127.0.0.1:<port>/link/4.0`) and the PKI: with `tls=True` the
server requires a client certificate signed by the throwaway CA in `directory` (created with
`make_throwaway_pki`, reused if already there; a fresh temporary directory when None). With
`tls=False` it serves plain HTTP, needs no certificate, and the PKI is None. Generator arguments
not given come from `sandbox_settings_from_env()` (WATTZON_SANDBOX_SEED / _PROFILES / _MONTHS /
_AS_OF). Stop it with `server.stop()` or `with server: ...`.

API: base `/link/4.0`, every path served with and without a trailing slash, JSON bodies read
whatever the Content-Type (curl's `-d` sends JSON as form data). Errors are
`{"error": "<message>"}` with the seed's statuses and messages; an unknown route is 404
`{"error": "Not found"}`, a wrong method 405 `{"error": "Method not allowed"}`. Authentication
is the TLS client certificate only (no 403 "Permission denied" is ever produced).

Choices where the seed is silent:
* POST profiles answers 201 with the profile (`id` and `profile_id`, `utility_provider`,
  `utility_provider_id`, `label`, `tags`, `zipcode`, `created`, `modified`); PUT answers 200 with
  the same shape; DELETE answers `{"message": "Deleted"}`. `created` / `modified` are UTC
  `YYYY-MM-DDTHH:MM:SS`. Profile ids of created profiles start at 501.
* GET profiles filters: `id` repeated and/or comma-separated; `tags` matches profiles having ANY
  of the listed tags; `start_date` / `end_date` are inclusive bounds on `created` (a date-only
  `end_date` includes that whole day); `label` is an exact match. An unparsable filter value
  matches nothing (the endpoint never errors). Results are sorted by id.
* Sensitive values: base64 of RSA-OAEP with MGF1-SHA1 and SHA-1 (PyCrypto's `PKCS1_OAEP`
  default, which WattzOn's Python reference client most plausibly used), UTF-8 plaintext.
  GET profiles/keys serves the current RSA 2048 transmission key (a new one when the current one
  has less than a minute left) with `expires` = issue time + 600 s, in real (wall-clock) unix
  time so clients can compare it with their own clock. Every issued key is kept: the sandbox
  tries them all; a value decrypted by an expired key is 403 "Key expired", one no key decrypts
  is 403 "Decryption failed". POST on an existing field is 409 "Field already exists" (checked
  before decryption); success is 201 `{"message": "Success"}` (PUT: 200).
* Tags: POST answers 201 `{"message": "Created", "name"}` for a tag name never seen before by
  this sandbox, else 200 `{"message": "Success", "name"}` (also when already attached).
* Jobs: `profile_id` int or numeric string; `mode` bill|interval (other: 400 "Error loading the
  JSON"); `send_notification` must be a JSON boolean (else 400 "Error loading the JSON").
  A profile whose provider has no agent: 404 "No agent for provider". The job's outcome is fixed
  at start from the decrypted credentials (Mock Agent diagnostics, for every provider): no
  username or password -> `incomplete_parameters`; username `credential_error` ->
  `credential_error`; `partial` -> `partial_success` (extracts every new statement but the
  newest); `action_needed` -> `action_needed`; any other terminal code name as username
  (`site_error`, `timeout_site`, `agent_failure`, ...) -> that code; anything else -> `success`.
* Job status moves one step per status poll (`jobs/{job_id}` or `jobs/profiles/{profile_id}`):
  the first poll says `AgentState.queued`, then `init`, `start`, `login`, `account_navigation`,
  `bill_extract`, `bill_processing` (or `interval_extract`, `interval_processing`), `logout`,
  `worker_wait` and the terminal code; failures stop after `login` (`init` for
  incomplete_parameters). Profiles at rotation slot 3 (id 104 with the default scale: see
  `dataset.summary()["unknown_status_profile_ids"]`) pass through `AgentState.captcha_wait`,
  a code not in the seed's list, right after `login`. `finished` is true only at the terminal
  code. Data becomes visible at the `*_processing` step (agents "can make data available before
  finishing"). `detail` is a short text or null. Historical jobs report `AgentState.success`.
* Runtime events use a virtual clock starting at `dataset.now` (as_of 12:00Z): each job start
  advances it by one minute, each profile creation or change by one second; a job finishes
  20 s per status step after it started. Job ids are UUIDs derived from the seed and a counter.
* Bills: `GET data/bills/{id}` lists every extracted record once; a record is `cached: false`
  when the profile's latest bill job (that extracted anything, even zero new records) extracted
  it, else `cached: true`; `cached_job_id` is always the job that extracted it. `?job_id=X` is
  what job X returned: every record extracted by X or an earlier bill job, `cached: false` for
  X's own. No record (or an interval / failed / unfinished job): 404 "Bills not found". Records
  are sorted by bill_date, then type (electricity, gas, water, billing), then meter.
* Interval jobs re-extract the current month (later `extraction_time`, readings up to one hour
  before the job started) and, for a profile without history, extract every month at once.
  Notification counts for interval jobs are interval periods (meter-months), not readings.
* Notifications (the seed's SQS message, `final_state` without the `AgentState.` prefix,
  `created_at` = the job's finish time like `2017-01-16 04:47:17.155559+00:00`) are queued when a
  job reaches its terminal code and `send_notification` is true (the default).

Ops hooks (no auth beyond TLS): `GET /_sandbox/calls`, `POST /_sandbox/reset-calls`,
`GET|POST|DELETE /_sandbox/faults`, `GET /_sandbox/notifications?max=10` (returns
`{"messages": [...]}` and removes them, oldest first, like an SQS receive + delete),
`POST /_sandbox/expire-keys`, `POST /_sandbox/jobs/finish` (runs every unfinished job to its
end), `GET /_sandbox/state`. In Python, `app.state.sandbox` is the `SandboxState`.

Fault scripts (as Bayou's): `{"path": "/link/4.0/profiles", "method": "GET" (optional),
"responses": [{"status": 429, "retry_after": 2}, {"status": 500}, {"delay": 1.5}, ...]}`; each
response may have `body` (JSON replacing `{"error": ...}`), `raw` (text sent as is), `headers`
and `delay` (seconds first). The next requests whose path (without trailing slash) starts with
`path` consume them in order. Faulted calls are recorded with `"fault": true`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import logging
import tempfile
import threading
import time as wallclock
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import orjson
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

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
    tiny_pdf,
)
from ...core.sandbox_server import SandboxServer
from ...core.tls import DEFAULT_CLIENT_NAME, SandboxPKI, load_or_make_pki
from .generator import (
    API_PREFIX,
    RECORD_TYPE_ORDER,
    IntervalMonth,
    ProfileData,
    WattzonDataset,
    add_months,
    floor_interval,
    generate_dataset,
    iso_utc,
    parse_month_id,
    sandbox_settings_from_env,
    stable_uuid,
)

log = logging.getLogger(__name__)

KEY_LIFETIME_S = 600
KEY_REUSE_MARGIN_S = 60
JOB_STEP_SECONDS = 20
TERMINAL_CODES = (
    "success", "partial_success", "credential_error", "action_needed", "unexpected_presentation",
    "incomplete_parameters", "timeout_site", "site_error", "terminated", "agent_failure", "timeout_agent",
)
UNKNOWN_CODE = "captcha_wait"
USERNAME_OUTCOMES = {"partial": "partial_success", **{code: code for code in TERMINAL_CODES if code != "success"}}
DETAILS = {
    "queued": "Waiting for an agent",
    "init": "Loading profile",
    "start": "Agent starting",
    "login": "Logging in to the utility site",
    UNKNOWN_CODE: "Waiting for a CAPTCHA to be solved",
    "account_navigation": "Navigating the account",
    "bill_extract": "Downloading bills",
    "bill_processing": "Processing bills",
    "interval_extract": "Downloading interval data",
    "interval_processing": "Processing interval files",
    "logout": "Logging out",
    "worker_wait": "Cleaning up",
    "partial_success": "Some bills could not be downloaded from the utility site",
    "credential_error": "Mock Agent: the utility site rejected the username or password",
    "action_needed": "Mock Agent: the utility site requires the user to accept new terms",
    "incomplete_parameters": "The profile needs the sensitive fields username and password",
}
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def error_response(error: ApiError) -> Response:
    return json_response({"error": error.message}, error.status, error.headers)


# ---------------------------------------------------------------------------------------------
# Server-side state
# ---------------------------------------------------------------------------------------------


@dataclass
class TransmissionKey:
    private_key: rsa.RSAPrivateKey
    public_pem: str
    expires: float  # unix time (wall clock)

    @property
    def expired(self) -> bool:
        return wallclock.time() >= self.expires


@dataclass
class ProfileState:
    """A profile as the API sees it now: editable fields, sensitive values and extraction state."""

    data: ProfileData
    provider_id: int
    zipcode: str | None
    label: str
    tags: list[str]
    created: datetime
    modified: datetime
    sensitive: dict[str, str]
    statement_jobs: list[str | None]
    bill_job_order: list[str]
    interval_completed: dict[date, tuple[str, datetime]]
    interval_current: tuple[str, datetime, datetime] | None
    last_job_id: str | None


@dataclass
class RuntimeJob:
    job_id: str
    profile_id: int
    mode: str
    send_notification: bool
    steps: list[str]
    started_at: datetime
    position: int = 0
    extracted: bool = False
    notified: bool = False
    existing_records: int = 0
    new_records: int = 0

    @property
    def final_state(self) -> str:
        return self.steps[-1]

    @property
    def finished_at(self) -> datetime:
        return self.started_at + timedelta(seconds=JOB_STEP_SECONDS * len(self.steps))

    @property
    def current(self) -> str:
        return self.steps[self.position]

    @property
    def finished(self) -> bool:
        return self.position == len(self.steps) - 1


@dataclass
class SandboxState(CallLogAndFaults):
    """What the sandbox server remembers: profiles, keys, jobs, notifications, calls and faults.

    The dataset itself is never mutated, so one dataset can back several servers.
    """

    api_prefix: ClassVar[str] = API_PREFIX

    dataset: WattzonDataset
    client_name: str = DEFAULT_CLIENT_NAME
    calls: list[dict] = field(default_factory=list)
    faults: list[FaultScript] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)
    profiles: dict[int, ProfileState] = field(default_factory=dict)
    known_tags: set[str] = field(default_factory=set)
    keys: list[TransmissionKey] = field(default_factory=list)
    jobs: dict[str, RuntimeJob] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _sequence: itertools.count = field(default_factory=itertools.count, repr=False)
    _job_counter: itertools.count = field(default_factory=lambda: itertools.count(1), repr=False)
    _ticks: int = 0
    _next_profile_id: int = 0

    def __post_init__(self) -> None:
        for data in self.dataset.profiles:
            sensitive = {}
            if data.username is not None:
                sensitive["username"] = data.username
            if data.password is not None:
                sensitive["password"] = data.password
            historical = data.historical_jobs
            self.profiles[data.id] = ProfileState(
                data=data, provider_id=data.provider_id, zipcode=data.zipcode, label=data.label,
                tags=list(data.tags), created=data.created, modified=data.modified, sensitive=sensitive,
                statement_jobs=list(data.statement_jobs),
                bill_job_order=[j.job_id for j in data.bill_jobs],
                interval_completed={m: (j.job_id, j.finished_at) for m, j in data.interval_months.items()},
                interval_current=(
                    (data.interval_current.job_id, data.interval_current.finished_at, data.interval_current.cutoff)
                    if data.interval_current is not None else None
                ),
                last_job_id=historical[-1].job_id if historical else None,
            )
            self.known_tags.update(data.tags)
        self._next_profile_id = self.dataset.first_new_profile_id

    # -- clock ----------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.dataset.now + timedelta(seconds=self._ticks)

    def _advance(self, seconds: int) -> datetime:
        with self._lock:
            moment = self.now()
            self._ticks += seconds
            return moment

    # -- notifications --------------------------------------------------------------------------

    def receive_notifications(self, max_messages: int = 10) -> list[dict]:
        """Take (and remove) up to `max_messages` queued notifications, oldest first."""
        with self._lock:
            taken = self.notifications[:max_messages]
            del self.notifications[:max_messages]
            return taken

    # -- transmission keys ----------------------------------------------------------------------

    def current_key(self) -> TransmissionKey:
        with self._lock:
            if self.keys and self.keys[-1].expires - wallclock.time() > KEY_REUSE_MARGIN_S:
                return self.keys[-1]
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public_pem = private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode()
            key = TransmissionKey(private_key, public_pem.strip(), wallclock.time() + KEY_LIFETIME_S)
            self.keys.append(key)
            return key

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        """The private half of the current transmission key (issued now if there is none)."""
        return self.current_key().private_key

    def expire_keys(self) -> None:
        """Make every issued transmission key expired (values encrypted for them get 403 Key expired)."""
        with self._lock:
            past = wallclock.time() - 1
            for key in self.keys:
                key.expires = min(key.expires, past)

    def decrypt(self, value: Any) -> str:
        if not isinstance(value, str):
            raise ApiError(400, "Error loading the JSON")
        try:
            ciphertext = base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(403, "Decryption failed") from None
        with self._lock:
            keys = list(reversed(self.keys))
        for key in keys:
            try:
                plaintext = key.private_key.decrypt(ciphertext, OAEP)
            except ValueError:
                continue
            if key.expired:
                raise ApiError(403, "Key expired")
            try:
                return plaintext.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(403, "Decryption failed") from None
        raise ApiError(403, "Decryption failed")

    def sensitive_values(self, profile_id: int) -> dict[str, str]:
        """The decrypted sensitive fields of a profile (tests check the encryption round trip)."""
        with self._lock:
            return dict(self.profile(profile_id).sensitive)

    def set_sensitive(self, profile_id: int, field_name: str, plaintext: str | None) -> None:
        """Test helper: set (or, with None, remove) a sensitive value without encryption."""
        with self._lock:
            profile = self.profile(profile_id)
            if plaintext is None:
                profile.sensitive.pop(field_name, None)
            else:
                profile.sensitive[field_name] = plaintext

    # -- profiles -------------------------------------------------------------------------------

    def profile(self, profile_id: int) -> ProfileState:
        profile = self.profiles.get(profile_id)
        if profile is None:
            raise ApiError(404, "Profile not found")
        return profile

    def profile_view(self, profile: ProfileState) -> dict:
        provider = self.dataset.providers[profile.provider_id]
        return {
            "id": profile.data.id,
            "utility_provider": provider.name,
            "utility_provider_id": provider.id,
            "label": profile.label,
            "tags": list(profile.tags),
            "zipcode": profile.zipcode,
            "created": iso_utc(profile.created),
            "modified": iso_utc(profile.modified),
        }

    def create_profile(self, provider_id: int, zipcode: str | None, label: str) -> ProfileState:
        with self._lock:
            profile_id = self._next_profile_id
            self._next_profile_id += 1
            created = self._advance(1)
            data = self.dataset.build_profile(profile_id, provider_id, created, zipcode, label)
            profile = ProfileState(
                data=data, provider_id=provider_id, zipcode=zipcode, label=label, tags=[], created=created,
                modified=created, sensitive={}, statement_jobs=list(data.statement_jobs), bill_job_order=[],
                interval_completed={}, interval_current=None, last_job_id=None,
            )
            self.profiles[profile_id] = profile
            return profile

    def change_profile(self, profile: ProfileState, provider_id: int | None, zipcode: Any, label: Any) -> None:
        with self._lock:
            if provider_id is not None and provider_id != profile.provider_id:
                profile.provider_id = provider_id
                if not profile.bill_job_order and not profile.interval_completed and profile.interval_current is None:
                    # Nothing extracted yet: the agent of the new provider will see the new provider's data.
                    profile.data = self.dataset.build_profile(
                        profile.data.id, provider_id, profile.created, profile.zipcode, profile.label
                    )
                    profile.statement_jobs = list(profile.data.statement_jobs)
            if zipcode is not None:
                profile.zipcode = zipcode
            if label is not None:
                profile.label = label
            profile.modified = self._advance(1)

    # -- jobs -----------------------------------------------------------------------------------

    def start_job(self, profile: ProfileState, mode: str, send_notification: bool) -> RuntimeJob:
        with self._lock:
            number = next(self._job_counter)
            job_id = stable_uuid(self.dataset.seed, "runtime-job", number)
            started = self._advance(60)
            job = RuntimeJob(job_id, profile.data.id, mode, send_notification, self._steps(profile, mode), started)
            self.jobs[job_id] = job
            profile.last_job_id = job_id
            return job

    def _steps(self, profile: ProfileState, mode: str) -> list[str]:
        username, password = profile.sensitive.get("username"), profile.sensitive.get("password")
        if not username or not password:
            return ["queued", "init", "incomplete_parameters"]
        outcome = USERNAME_OUTCOMES.get(username.strip().lower(), "success")
        login = ["queued", "init", "start", "login"]
        if profile.data.unknown_status:
            login.append(UNKNOWN_CODE)
        if outcome in ("credential_error", "action_needed"):
            return [*login, outcome]
        if outcome not in ("success", "partial_success"):
            return [*login, "account_navigation", outcome]
        return [*login, "account_navigation", f"{mode}_extract", f"{mode}_processing", "logout", "worker_wait", outcome]

    def job_status(self, job_id: str, *, advance: bool = True) -> dict:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None:
                historical = self.dataset.job(job_id)
                if historical is None:
                    raise ApiError(404, "Job not found")
                return {"job_id": job_id, "job_status": "AgentState.success", "finished": True, "detail": None}
            view = self._job_view(job)
            if advance:
                self._step(job)
            return view

    def _job_view(self, job: RuntimeJob) -> dict:
        code = job.current
        if code in ("bill_processing", "interval_processing") or (job.finished and code in ("success", "partial_success")):
            self._extract(job)
        if job.finished:
            self._notify(job)
        detail = DETAILS.get(code)
        if job.finished and code == "success":
            detail = f"Extracted {job.new_records} new records"
        return {"job_id": job.job_id, "job_status": f"AgentState.{code}", "finished": job.finished, "detail": detail}

    def _step(self, job: RuntimeJob) -> None:
        if not job.finished:
            job.position += 1

    def finish_jobs(self) -> list[str]:
        """Run every unfinished job to its terminal code (extraction and notification included)."""
        with self._lock:
            finished = []
            for job in self.jobs.values():
                while not job.finished:
                    self._job_view(job)
                    self._step(job)
                if not job.notified:
                    finished.append(job.job_id)
                self._job_view(job)
            return finished

    def _extract(self, job: RuntimeJob) -> None:
        if job.extracted:
            return
        job.extracted = True
        profile = self.profiles.get(job.profile_id)
        if profile is None or job.final_state not in ("success", "partial_success"):
            return
        extraction_time = job.finished_at
        if job.mode == "bill":
            statements = profile.data.statements
            job.existing_records = sum(
                len(s.records) for s, j in zip(statements, profile.statement_jobs) if j is not None
            )
            new = [i for i, (s, j) in enumerate(zip(statements, profile.statement_jobs))
                   if j is None and s.bill_date <= job.started_at.date()]
            if job.final_state == "partial_success" and new:
                new = new[:-1]
            for i in new:
                profile.statement_jobs[i] = job.job_id
            job.new_records = sum(len(statements[i].records) for i in new)
            profile.bill_job_order.append(job.job_id)
            return
        meters = len(profile.data.interval_meters)
        if not meters:
            return
        job.existing_records = meters * (len(profile.interval_completed) + (profile.interval_current is not None))
        anchor = self.dataset.anchor
        added = 0
        if not profile.interval_completed and profile.data.interval_first_month is not None:
            month = profile.data.interval_first_month
            while month < anchor:
                profile.interval_completed[month] = (job.job_id, extraction_time)
                month = add_months(month, 1)
                added += 1
        cutoff = floor_interval(job.started_at - timedelta(hours=1))
        if profile.interval_current is not None:
            cutoff = max(cutoff, profile.interval_current[2])
        profile.interval_current = (job.job_id, extraction_time, cutoff)
        job.new_records = meters * (added + 1)

    def _notify(self, job: RuntimeJob) -> None:
        if job.notified:
            return
        job.notified = True
        if not job.send_notification:
            return
        profile = self.profiles.get(job.profile_id)
        finished = job.finished_at
        self.notifications.append({
            "app": "link",
            "profile_id": job.profile_id,
            "job_id": job.job_id,
            "tags": list(profile.tags) if profile else [],
            "created_at": f"{finished:%Y-%m-%d %H:%M:%S.%f}+00:00",
            "final_state": job.final_state,
            "mode": job.mode,
            "existing_records": job.existing_records,
            "new_records": job.new_records,
        })

    # -- bills ----------------------------------------------------------------------------------

    def bill_records(self, profile: ProfileState, job_id: str | None = None) -> list[dict]:
        with self._lock:
            order = profile.bill_job_order
            if job_id is None:
                if not order:
                    return []
                view_job, rank_limit = order[-1], len(order) - 1
            else:
                if job_id not in order:
                    return []
                view_job, rank_limit = job_id, order.index(job_id)
            rank = {j: i for i, j in enumerate(order)}
            out = []
            for statement, extracted_by in zip(profile.data.statements, profile.statement_jobs):
                if extracted_by is None or rank.get(extracted_by, len(order)) > rank_limit:
                    continue
                for record in statement.records:
                    out.append({**record, "cached": extracted_by != view_job, "cached_job_id": extracted_by})
        out.sort(key=lambda r: (r["bill_date"], RECORD_TYPE_ORDER.get(r["type"], 9)))
        return out

    def job_belongs(self, job_id: str, profile_id: int) -> bool:
        job = self.jobs.get(job_id)
        if job is not None:
            return job.profile_id == profile_id
        historical = self.dataset.job(job_id)
        return historical is not None and historical.profile_id == profile_id

    # -- intervals ------------------------------------------------------------------------------

    def interval_months(self, profile: ProfileState) -> list[IntervalMonth]:
        with self._lock:
            completed = dict(profile.interval_completed)
            current = profile.interval_current
        if not completed and current is None:
            return []
        return self.dataset.interval_months(profile.data, completed, current, history=False)


def _fault_response(fault: dict) -> Response:
    status = fault["status"]
    return fault_response(fault, {"error": status_phrase(status)})


# ---------------------------------------------------------------------------------------------
# Gate: trailing slashes, faults and call recording for everything under /link/4.0
# ---------------------------------------------------------------------------------------------


class ApiGate(RecordingGate):
    label = "WattzOn sandbox"

    def fault_reply(self, fault: dict) -> Response:
        return _fault_response(fault)

    def crash_reply(self) -> Response:
        return error_response(ApiError(500, "Internal server error"))


# ---------------------------------------------------------------------------------------------
# Request parsing helpers
# ---------------------------------------------------------------------------------------------


def _state(request: Request) -> SandboxState:
    return request.app.state.sandbox


async def _json_object(request: Request, *, allow_empty: bool = False, form: bool = False) -> dict:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise ApiError(400, "Error loading the JSON")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        if form:
            try:
                return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
            except (UnicodeDecodeError, ValueError):
                pass
        raise ApiError(400, "Error loading the JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Error loading the JSON")
    return body


def _int_id(raw: Any, message: str) -> int:
    if isinstance(raw, bool):
        raise ApiError(400, message)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    raise ApiError(400, message)


def _profile(request: Request) -> ProfileState:
    state = _state(request)
    return state.profile(_int_id(request.path_params["profile_id"], "Error loading the Profile ID"))


def _parse_moment(value: str) -> tuple[datetime, bool] | None:
    """(moment, date_only) or None when unparsable."""
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), True
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)), False


def _tiny_pdf(text: str) -> bytes:
    return tiny_pdf(text, width=400)


# ---------------------------------------------------------------------------------------------
# Endpoints: basic services, ZIPs and utilities
# ---------------------------------------------------------------------------------------------


async def echo_get(request: Request) -> Response:
    return json_response(dict(request.query_params))


async def echo_post(request: Request) -> Response:
    return json_response(await _json_object(request, allow_empty=True, form=True))


async def certificate_info(request: Request) -> Response:
    state = _state(request)
    tls = (request.scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    now = datetime.now(UTC)
    if chain:
        cert = x509.load_pem_x509_certificate(chain[0].encode())
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        client_name = str(names[0].value) if names else cert.subject.rfc4514_string()
        created, expires = cert.not_valid_before_utc, cert.not_valid_after_utc
    else:
        # Plain HTTP (or a server without the TLS extension): the configured client, a 1-year cert.
        client_name = state.client_name
        created = state.dataset.now - timedelta(days=30)
        expires = created + timedelta(days=365)
    return json_response({
        "client_name": client_name,
        "enabled": created <= now < expires,
        "expiration_date": iso_utc(expires),
        "created_date": iso_utc(created),
    })


async def zip_info(request: Request) -> Response:
    zipcode = request.path_params["zipcode"]
    if len(zipcode) != 5 or not zipcode.isdigit():
        raise ApiError(400, "Error loading the zipcode")
    info = _state(request).dataset.zips.get(zipcode)
    if info is None:
        raise ApiError(404, "ZIP not found")
    return json_response(info.public())


TYPE_ALIASES = {"electric": "electricity", "power": "electricity", "natural gas": "gas"}


async def find_utilities(request: Request) -> Response:
    params = request.query_params
    zipcode, name, kind = params.get("zipcode") or None, params.get("name") or None, params.get("type") or None
    if zipcode is None and name is None:
        raise ApiError(400, "Name or Zipcode not found in URI")
    if kind is not None:
        kind = TYPE_ALIASES.get(kind.strip().lower(), kind.strip().lower())
    ids = []
    for provider in _state(request).dataset.providers.values():
        if zipcode is not None and zipcode.strip() not in provider.zipcodes:
            continue
        if name is not None and name.strip().lower() not in provider.name.lower():
            continue
        if kind is not None and kind not in provider.types:
            continue
        ids.append(provider.id)
    if not ids:
        raise ApiError(404, "Utility Provider not found")
    return json_response({"provider_ids": sorted(ids)})


async def get_utility(request: Request) -> Response:
    provider_id = _int_id(request.path_params["provider_id"], "Error loading the Provider ID")
    provider = _state(request).dataset.providers.get(provider_id)
    if provider is None:
        raise ApiError(404, "Utility Provider not found")
    return json_response(provider.public())


# ---------------------------------------------------------------------------------------------
# Endpoints: profiles, sensitive fields, tags
# ---------------------------------------------------------------------------------------------


async def list_profiles(request: Request) -> Response:
    state = _state(request)
    params = request.query_params
    ids: set[int] | None = None
    raw_ids = [part.strip() for value in params.getlist("id") for part in value.split(",") if part.strip()]
    if raw_ids:
        ids = {int(v) for v in raw_ids if v.isdigit()}
    provider: int | None = None
    raw_provider = (params.get("provider") or "").strip()
    if raw_provider:
        provider = int(raw_provider) if raw_provider.isdigit() else -1
    start = end = None
    if params.get("start_date"):
        parsed = _parse_moment(params["start_date"])
        if parsed is None:
            return json_response({"profiles": []})
        start = parsed[0]
    if params.get("end_date"):
        parsed = _parse_moment(params["end_date"])
        if parsed is None:
            return json_response({"profiles": []})
        end = parsed[0] + (timedelta(days=1) if parsed[1] else timedelta(microseconds=1))
    tags = {t.strip() for t in (params.get("tags") or "").split(",") if t.strip()}
    label = params.get("label")
    out = []
    with state._lock:
        for profile_id in sorted(state.profiles):
            profile = state.profiles[profile_id]
            if ids is not None and profile_id not in ids:
                continue
            if provider is not None and profile.provider_id != provider:
                continue
            if start is not None and profile.created < start:
                continue
            if end is not None and profile.created >= end:
                continue
            if tags and not tags.intersection(profile.tags):
                continue
            if label is not None and label != "" and profile.label != label:
                continue
            out.append(profile_id)
    return json_response({"profiles": listing_faults(request, out)[0]})


def _checked_provider(state: SandboxState, raw: Any) -> int:
    try:
        provider_id = _int_id(raw, "Error loading the JSON")
    except ApiError:
        raise ApiError(400, "Error loading the JSON") from None
    if provider_id not in state.dataset.providers:
        raise ApiError(404, "Utility provider not found")
    return provider_id


def _checked_zip(state: SandboxState, raw: Any) -> str | None:
    if raw is None or raw == "":
        return None if raw is None else ""
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise ApiError(400, "Error loading the JSON")
    zipcode = str(raw).strip()
    if zipcode not in state.dataset.zips:
        raise ApiError(404, "ZIP not found")
    return zipcode


def _checked_label(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApiError(400, "Error loading the JSON")
    return raw


async def create_profile(request: Request) -> Response:
    state = _state(request)
    body = await _json_object(request)
    if "provider_id" not in body:
        raise ApiError(400, "Error loading the JSON")
    label = _checked_label(body.get("label")) or ""
    provider_id = _checked_provider(state, body["provider_id"])
    zipcode = _checked_zip(state, body.get("zipcode"))
    profile = state.create_profile(provider_id, zipcode, label)
    view = state.profile_view(profile)
    return json_response({**view, "profile_id": view["id"]}, 201)


async def get_profile(request: Request) -> Response:
    return json_response(_state(request).profile_view(_profile(request)))


async def change_profile(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    body = await _json_object(request)
    label = _checked_label(body.get("label"))
    provider_id = _checked_provider(state, body["provider_id"]) if body.get("provider_id") is not None else None
    zipcode = _checked_zip(state, body.get("zipcode")) if "zipcode" in body else None
    state.change_profile(profile, provider_id, zipcode, label)
    return json_response(state.profile_view(profile))


async def delete_profile(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    with state._lock:
        state.profiles.pop(profile.data.id, None)
    return json_response({"message": "Deleted"})


async def transmission_key(request: Request) -> Response:
    key = _state(request).current_key()
    return json_response({"expires": int(key.expires), "public_key": key.public_pem})


async def list_sensitive(request: Request) -> Response:
    profile = _profile(request)
    return json_response({"fields": sorted(profile.sensitive)})


async def _sensitive_body(request: Request) -> tuple[str, Any]:
    body = await _json_object(request)
    name, value = body.get("field"), body.get("value")
    if not isinstance(name, str) or not name.strip() or not isinstance(value, str) or not value:
        raise ApiError(400, "Error loading the JSON")
    return name.strip(), value


async def add_sensitive(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    name, value = await _sensitive_body(request)
    if name in profile.sensitive:
        raise ApiError(409, "Field already exists")
    plaintext = state.decrypt(value)
    with state._lock:
        if name in profile.sensitive:
            raise ApiError(409, "Field already exists")
        profile.sensitive[name] = plaintext
    return json_response({"message": "Success"}, 201)


async def change_sensitive(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    name, value = await _sensitive_body(request)
    if name not in profile.sensitive:
        raise ApiError(404, "Sensitive field not found")
    plaintext = state.decrypt(value)
    with state._lock:
        profile.sensitive[name] = plaintext
    return json_response({"message": "Success"})


async def delete_sensitive(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    name = request.path_params["field"]
    with state._lock:
        if name not in profile.sensitive:
            raise ApiError(404, "Field not found")
        del profile.sensitive[name]
    return json_response({"message": "Deleted"})


async def list_tags(request: Request) -> Response:
    return json_response({"tags": list(_profile(request).tags)})


async def _tag_name(request: Request) -> str:
    body = await _json_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Error loading the JSON")
    return name.strip()


async def add_tag(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    name = await _tag_name(request)
    with state._lock:
        created = name not in state.known_tags
        state.known_tags.add(name)
        if name not in profile.tags:
            profile.tags.append(name)
    if created:
        return json_response({"message": "Created", "name": name}, 201)
    return json_response({"message": "Success", "name": name})


async def delete_tag(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    name = await _tag_name(request)
    with state._lock:
        if name not in profile.tags:
            raise ApiError(404, "Tag not found")
        profile.tags.remove(name)
    return json_response({"message": "Deleted"})


# ---------------------------------------------------------------------------------------------
# Endpoints: jobs
# ---------------------------------------------------------------------------------------------


async def start_job(request: Request) -> Response:
    state = _state(request)
    body = await _json_object(request)
    if "profile_id" not in body:
        raise ApiError(400, "Error loading the JSON")
    try:
        profile_id = _int_id(body["profile_id"], "Error loading the JSON")
    except ApiError:
        raise ApiError(400, "Error loading the JSON") from None
    mode = body.get("mode", "bill")
    send_notification = body.get("send_notification", True)
    if mode not in ("bill", "interval") or not isinstance(send_notification, bool):
        raise ApiError(400, "Error loading the JSON")
    profile = state.profile(profile_id)
    if not state.dataset.providers[profile.provider_id].has_agent:
        raise ApiError(404, "No agent for provider")
    job = state.start_job(profile, mode, send_notification)
    return json_response({"job_id": job.job_id, "profile_id": profile_id})


def _checked_job_id(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise ApiError(400, "Error loading the Job ID") from None


async def job_status(request: Request) -> Response:
    state = _state(request)
    return json_response(state.job_status(_checked_job_id(request.path_params["job_id"])))


async def last_job_status(request: Request) -> Response:
    state = _state(request)
    try:
        profile_id = _int_id(request.path_params["profile_id"], "Error loading the Job ID")
    except ApiError:
        raise ApiError(400, "Error loading the Job ID") from None
    profile = state.profile(profile_id)
    if profile.last_job_id is None:
        raise ApiError(404, "Job not found")
    return json_response(state.job_status(profile.last_job_id))


# ---------------------------------------------------------------------------------------------
# Endpoints: data
# ---------------------------------------------------------------------------------------------


async def get_bills(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    job_id = request.query_params.get("job_id") or None
    if job_id is not None:
        try:
            job_id = _checked_job_id(job_id)
        except ApiError:
            raise ApiError(404, "Job not found") from None
        if not state.job_belongs(job_id, profile.data.id):
            raise ApiError(404, "Job not found")
    records = state.bill_records(profile, job_id)
    if not records:
        raise ApiError(404, "Bills not found")
    return json_response(listing_faults(request, records)[0])


async def get_bill_pdf(request: Request) -> Response:
    state = _state(request)
    profile = _profile(request)
    bill_id = request.path_params["bill_id"].lower()
    if len(bill_id) != 24 or any(c not in "0123456789abcdef" for c in bill_id):
        raise ApiError(404, "Error loading the Bill ID")
    statement = profile.data.statement_of_bill(bill_id)
    with state._lock:
        visible = statement is not None and profile.statement_jobs[statement.index] is not None
    if statement is None or not visible:
        raise ApiError(404, "Bill not found")
    if not statement.has_pdf:
        raise ApiError(404, "PDF not found")
    text = (f"WattzOn sandbox - {profile.data.provider.name} - account {statement.account_number} - "
            f"bill {statement.bill_date.isoformat()}")
    return Response(_tiny_pdf(text), media_type="application/pdf")


async def intervals_without_profile(request: Request) -> Response:
    raise ApiError(400, "Profile ID Required")


async def bills_without_profile(request: Request) -> Response:
    raise ApiError(400, "Error loading the Profile ID")


async def list_intervals(request: Request) -> Response:
    state = _state(request)
    try:
        profile = _profile(request)
    except ApiError as error:
        if error.status == 400:
            raise ApiError(400, "Profile ID Required") from None
        raise
    periods = [m.period() for m in state.interval_months(profile)]
    if not periods:
        raise ApiError(404, "No intervals found")
    # Not repeated, only shuffled: this list is not paged, so a cross-page repeat cannot happen
    # (and the interval sync fetches each listed month: a repeat would land that month twice).
    return json_response({"intervals": listing_faults(request, periods, kinds=("reorder",))[0]})


async def month_without_ym(request: Request) -> Response:
    _profile(request)
    raise ApiError(400, "Year-month Required")


async def interval_month(request: Request) -> Response:
    state = _state(request)
    try:
        profile = _profile(request)
    except ApiError as error:
        if error.status == 400:
            raise ApiError(400, "Profile ID Required") from None
        raise
    meter_id = request.path_params["meter_id"]
    if not meter_id.strip():
        raise ApiError(400, "Meter ID Required")
    month = parse_month_id(request.path_params["ym"])
    if month is None:
        raise ApiError(400, "Year-month Required")
    fmt = (request.query_params.get("format") or "source").strip().lower()
    if fmt not in ("source", "csv", "json"):
        raise ApiError(400, "Format not supported")
    selected = next(
        (m for m in state.interval_months(profile) if m.meter.interval_meter_id == meter_id and m.month == month), None
    )
    if selected is None:
        raise ApiError(404, "Interval not found")
    if fmt != "source" and not selected.normalized_available:
        raise ApiError(404, "Normalized data not available")
    body = await asyncio.to_thread(selected.render, fmt)
    media_type = "application/json" if fmt == "json" else "text/csv; charset=utf-8"
    return Response(body, media_type=media_type)


# ---------------------------------------------------------------------------------------------
# Ops hooks
# ---------------------------------------------------------------------------------------------


async def sandbox_notifications(request: Request) -> Response:
    raw = request.query_params.get("max", "10").strip()
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "max must be a positive integer")
    return json_response({"messages": _state(request).receive_notifications(int(raw))})


async def sandbox_expire_keys(request: Request) -> Response:
    state = _state(request)
    state.expire_keys()
    return json_response({"status": "ok", "expired": len(state.keys)})


async def sandbox_finish_jobs(request: Request) -> Response:
    return json_response({"status": "ok", "finished": _state(request).finish_jobs()})


async def sandbox_summary(request: Request) -> Response:
    state = _state(request)
    with state._lock:
        extra = {
            "live_profile_ids": sorted(state.profiles),
            "runtime_jobs": len(state.jobs),
            "queued_notifications": len(state.notifications),
            "transmission_keys": len(state.keys),
            "calls": len(state.calls),
            "clock": iso_utc(state.now()),
        }
    return json_response({**state.dataset.summary(), **extra})


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


def create_app(dataset: WattzonDataset, client_name: str = DEFAULT_CLIENT_NAME) -> Starlette:
    p = API_PREFIX
    routes = [
        _route(f"{p}/echo", {"GET": echo_get, "POST": echo_post}),
        _route(f"{p}/certificates/info", {"GET": certificate_info}),
        _route(f"{p}/zips/{{zipcode}}", {"GET": zip_info}),
        _route(f"{p}/utilities", {"GET": find_utilities}),
        _route(f"{p}/utilities/{{provider_id}}", {"GET": get_utility}),
        _route(f"{p}/profiles", {"GET": list_profiles, "POST": create_profile}),
        _route(f"{p}/profiles/keys", {"GET": transmission_key}),
        _route(f"{p}/profiles/{{profile_id}}", {"GET": get_profile, "PUT": change_profile,
                                                "DELETE": delete_profile}),
        _route(f"{p}/profiles/{{profile_id}}/sensitive", {"GET": list_sensitive, "POST": add_sensitive,
                                                          "PUT": change_sensitive}),
        _route(f"{p}/profiles/{{profile_id}}/sensitive/{{field}}", {"DELETE": delete_sensitive}),
        _route(f"{p}/profiles/{{profile_id}}/tags", {"GET": list_tags, "POST": add_tag, "DELETE": delete_tag}),
        _route(f"{p}/jobs", {"POST": start_job}),
        _route(f"{p}/jobs/profiles/{{profile_id}}", {"GET": last_job_status}),
        _route(f"{p}/jobs/{{job_id}}", {"GET": job_status}),
        _route(f"{p}/data/bills", {"GET": bills_without_profile}),
        _route(f"{p}/data/bills/{{profile_id}}", {"GET": get_bills}),
        _route(f"{p}/data/bills/{{profile_id}}/{{bill_id}}/pdf", {"GET": get_bill_pdf}),
        _route(f"{p}/data/intervals", {"GET": intervals_without_profile}),
        _route(f"{p}/data/intervals/{{profile_id}}", {"GET": list_intervals}),
        _route(f"{p}/data/intervals/{{profile_id}}/{{meter_id}}/monthly", {"GET": month_without_ym}),
        _route(f"{p}/data/intervals/{{profile_id}}/{{meter_id}}/monthly/{{ym}}", {"GET": interval_month}),
        *ops_routes(_route, _json_object, lambda message: ApiError(400, message),
                    usage='Expected {"path": str, "responses": [{"status": int, ...}]}'),  # no full stop, as before
        _route("/_sandbox/notifications", {"GET": sandbox_notifications}),
        _route("/_sandbox/expire-keys", {"POST": sandbox_expire_keys}),
        _route("/_sandbox/jobs/finish", {"POST": sandbox_finish_jobs}),
        _route("/_sandbox/state", {"GET": sandbox_summary}),
    ]
    return sandbox_app(routes, _http_exception, ApiGate, SandboxState(dataset, client_name), vendor="wattzon")


def start_wattzon_sandbox(
    dataset: WattzonDataset | None = None,
    tls: bool = True,
    directory: Path | str | None = None,
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    client_name: str = DEFAULT_CLIENT_NAME,
    **generator_kwargs: Any,
) -> tuple[SandboxServer, str, SandboxPKI | None]:
    """Start a sandbox server; returns it (running), its API base URL and the PKI (None without TLS)."""
    dataset = sandbox_dataset(dataset, generator_kwargs, sandbox_settings_from_env, generate_dataset)
    app = create_app(dataset, client_name)
    pki = None
    if tls:
        import ssl

        if directory is None:
            directory = tempfile.mkdtemp(prefix="wattzon-sandbox-pki-")
        pki = load_or_make_pki(Path(directory), client_name)
        server = SandboxServer(
            app, host=host, port=port, name="wattzon-sandbox",
            ssl_certfile=pki.server_cert_file, ssl_keyfile=pki.server_key_file,
            ssl_ca_certs=pki.ca_file, ssl_cert_reqs=ssl.CERT_REQUIRED,
        )
    else:
        server = SandboxServer(app, host=host, port=port, name="wattzon-sandbox")
    server.start()
    return server, server.url + API_PREFIX, pki


__all__ = [
    "API_PREFIX", "ApiError", "SandboxState", "create_app", "start_wattzon_sandbox",
]
