"""What every vendor sandbox has in common: a call log and scripted faults.

A sandbox's state class mixes in `CallLogAndFaults` (it provides the fields `calls`, `faults`,
`_lock` and `_sequence`, and sets `api_prefix`); its ASGI gate asks `take_fault()` before
serving a request and answers `fault_response()` when one is scripted.

Fault scripts: `inject_faults(path, [{"status": 429, "retry_after": 1}, {"status": 500}, ...])`
makes the next requests whose path starts with `path` answer those responses in order. A
response may carry `body` (any JSON), `raw` (text sent as is, e.g. truncated JSON), `headers`
and `delay` (seconds to wait first); one with only a `delay` is served normally after it.

Rate-based faults (off unless a rate is set): `configure_faults(FaultRate(rate=0.2, seed=7))` on
the state, `SANDBOX_FAULT_RATE` / `SANDBOX_FAULT_SEED` / `SANDBOX_FAULT_KINDS` (and the same with a
`<VENDOR>_` prefix, which wins) when the app is created, `--fault-rate`, `--fault-seed`,
`--fault-kinds` on every sandbox command line, or `POST /_sandbox/fault-rate`. Each API call then
fails with probability `rate`, as one of `FAULT_KINDS`: 429 with Retry-After, 500, 502, 503, a
connection reset (closed with no response), a slow answer (held `slow_s` seconds, past a short
client timeout) or a truncated body (a Content-Length for the whole body, the connection cut part
way). List endpoints also repeat records of the previous page and shuffle a page's order
(`listing_faults`). Decisions are deterministic: a hash of the seed, the request (method, path,
query, body) and how many times that same request was seen, so thread interleavings do not
change them. Scripted faults win over rate-based ones; `/_sandbox` hooks are never faulted. The
call log says `"fault": "<kind>"` for a rate-based fault (`true` for a scripted one).

Also here: the ops hooks every sandbox serves (`ops_routes`), the app assembly (`sandbox_app`) and
the command lines' common arguments (`cli_arguments`, `announce_and_serve`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from starlette.responses import Response

MAX_RECORDED_CALLS = 100_000  # a long-lived sandbox (the Dagster UI) must not grow without bound


@dataclass
class FaultScript:
    prefix: str
    method: str | None
    responses: deque[dict]


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), status_code=status, headers=headers, media_type="application/json")


def status_phrase(status: int) -> str:
    """`Not Found` for 404; `Error` for a status HTTP does not name."""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def path_matches(path: str, prefix: str) -> bool:
    return prefix == "/" or path == prefix or path.startswith(prefix.rstrip("/") + "/")


def validate_fault(response: dict) -> dict:
    status = response.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError(f"fault status must be an HTTP status code, got {status!r}")
    delay = response.get("delay", 0)
    if not isinstance(delay, (int, float)) or delay < 0:
        raise ValueError(f"fault delay must be a non-negative number, got {delay!r}")
    if status is None and not delay:
        raise ValueError("a fault needs a status or a delay")
    return response


def fault_response(fault: dict, default_body: Any) -> Response:
    """The scripted answer; `default_body` is the vendor's own error body for that status."""
    status = fault["status"]
    headers = {str(k): str(v) for k, v in (fault.get("headers") or {}).items()}
    if fault.get("retry_after") is not None:
        retry_after = fault["retry_after"]
        headers["Retry-After"] = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
    if "raw" in fault:
        return Response(str(fault["raw"]).encode(), status_code=status, headers=headers, media_type="application/json")
    body = fault["body"] if "body" in fault else default_body
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


# -- rate-based faults ---------------------------------------------------------------------------

# What a faulted API call can get; the two listing kinds only apply to list endpoints.
HTTP_FAULT_KINDS = ("429", "500", "502", "503", "reset", "slow", "truncate")
LISTING_FAULT_KINDS = ("duplicate", "reorder")
FAULT_KINDS = HTTP_FAULT_KINDS + LISTING_FAULT_KINDS
# Faults that let the handler run (its answer is delayed or cut): only for requests that change
# nothing, so a client's retry cannot apply a change twice. The others answer before the handler.
READ_ONLY_FAULT_KINDS = frozenset({"slow", "truncate"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class FaultRate:
    """Rate-based fault injection: each API call fails with probability `rate` (0 = off)."""

    rate: float = 0.0
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after_s: float = 1.0  # the Retry-After of a 429
    slow_s: float = 5.0  # how long a slow answer is held: set it past the client's read timeout

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be between 0 and 1, got {self.rate!r}")
        unknown = sorted(set(self.kinds) - set(FAULT_KINDS))
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; use some of {', '.join(FAULT_KINDS)}")
        if self.retry_after_s < 0 or self.slow_s < 0:
            raise ValueError("retry_after_s and slow_s must not be negative")

    @property
    def enabled(self) -> bool:
        return self.rate > 0 and bool(self.kinds)

    def as_json(self) -> dict:
        return {"rate": self.rate, "seed": self.seed, "kinds": list(self.kinds),
                "retry_after_s": self.retry_after_s, "slow_s": self.slow_s}


FAULTS_OFF = FaultRate()


def parse_fault_kinds(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    """`"429,503,reset"` (or a list) to kinds; empty or None = every kind; `5xx` = 500, 502, 503."""
    if raw is None:
        return FAULT_KINDS
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    kinds: list[str] = []
    for part in (str(p).strip().lower() for p in parts):
        for kind in (("500", "502", "503") if part == "5xx" else (part,) if part else ()):
            if kind not in kinds:
                kinds.append(kind)
    return tuple(kinds) or FAULT_KINDS


def fault_rate_from_env(environ=None, vendor: str | None = None) -> FaultRate:
    """`SANDBOX_FAULT_RATE`, `_SEED`, `_KINDS`, `_RETRY_AFTER`, `_SLOW`; each overridden by
    `<VENDOR>_SANDBOX_FAULT_*` when set. Nothing set = off."""
    import os

    env = os.environ if environ is None else environ

    def value(name: str) -> str:
        for prefix in ((f"{vendor.upper()}_",) if vendor else ()) + ("",):
            raw = env.get(f"{prefix}SANDBOX_FAULT_{name}", "").strip()
            if raw:
                return raw
        return ""

    def number(name: str, default: float) -> float:
        raw = value(name)
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ValueError(f"SANDBOX_FAULT_{name} must be a number, got {raw!r}") from None

    seed = value("SEED")
    if seed and not seed.lstrip("-").isdigit():
        raise ValueError(f"SANDBOX_FAULT_SEED must be an integer, got {seed!r}")
    return FaultRate(rate=number("RATE", 0.0), seed=int(seed) if seed else 0,
                     kinds=parse_fault_kinds(value("KINDS") or None),
                     retry_after_s=number("RETRY_AFTER", FaultRate.retry_after_s),
                     slow_s=number("SLOW", FaultRate.slow_s))


def fault_roll(seed: int, *parts: Any) -> float:
    """A number in [0, 1) that depends only on the seed and the parts (no shared RNG state)."""
    import hashlib

    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class CallLogAndFaults:
    """Mixin for a sandbox state dataclass with fields calls, faults, _lock and _sequence."""

    api_prefix: ClassVar[str] = ""  # fault paths are relative to it (e.g. "/api/v2")

    def record(self, call: dict) -> None:
        with self._lock:
            call["seq"] = next(self._sequence)
            self.calls.append(call)
            if len(self.calls) > MAX_RECORDED_CALLS:
                del self.calls[: len(self.calls) - MAX_RECORDED_CALLS]

    def calls_snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(call) for call in self.calls]

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    def inject_faults(self, path: str, responses: Iterable[dict], method: str | None = None) -> None:
        """Script the next responses for requests whose path starts with `path` (under api_prefix)."""
        path = "/" + path.strip().lstrip("/")
        prefix = path if not self.api_prefix or path.startswith(self.api_prefix) else self.api_prefix + path
        scripted = deque(validate_fault(dict(r)) for r in responses)
        with self._lock:
            self.faults.append(FaultScript(prefix.rstrip("/") or "/", method.upper() if method else None, scripted))

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> dict | None:
        with self._lock:
            for script in self.faults:
                if script.responses and path_matches(path, script.prefix) and script.method in (None, method):
                    response = script.responses.popleft()
                    self.faults = [s for s in self.faults if s.responses]
                    return response
        return None

    def faults_snapshot(self) -> list[dict]:
        with self._lock:
            return [{"path": s.prefix, "method": s.method, "responses": list(s.responses)} for s in self.faults]

    # -- rate-based faults --------------------------------------------------------------------------
    # Kept outside the dataclass fields (set on first use), so vendor states need no new field.

    @property
    def fault_rate(self) -> FaultRate:
        return self.__dict__.get("_fault_rate", FAULTS_OFF)

    def configure_faults(self, rate: FaultRate | float = 0.0, **options: Any) -> FaultRate:
        """Turn rate-based faults on (`configure_faults(0.2, seed=7)` or a FaultRate), or off (0).
        Restarts the per-request counters, so the same calls meet the same faults again."""
        settings = rate if isinstance(rate, FaultRate) else FaultRate(rate=float(rate), **options)
        with self._lock:
            self.__dict__["_fault_rate"] = settings
            self.__dict__["_fault_seen"] = {}
        return settings

    def is_read_only(self, method: str, path: str) -> bool:
        """Whether a request changes nothing (its answer may be delayed or cut, then retried).
        Vendors whose searches are POSTs override this."""
        return method in SAFE_METHODS

    def take_rate_fault(self, method: str, path: str, query: str, body_digest: str = "") -> tuple[str | None, tuple]:
        """(the kind of fault for this call or None, the call's fault key for `listing_faults`)."""
        settings = self.fault_rate
        if not settings.enabled:
            return None, ()
        request = (method, path, query, body_digest)
        with self._lock:
            seen = self.__dict__.setdefault("_fault_seen", {})
            occurrence = seen.get(request, 0)
            seen[request] = occurrence + 1
        key = (*request, occurrence)
        kinds = [k for k in settings.kinds if k in HTTP_FAULT_KINDS
                 and (k not in READ_ONLY_FAULT_KINDS or self.is_read_only(method, path))]
        if not kinds or fault_roll(settings.seed, "http", key) >= settings.rate:
            return None, key
        return kinds[int(fault_roll(settings.seed, "kind", key) * len(kinds))], key


def env_int(env, name: str, default: int) -> int:
    """A sandbox scale setting from the environment; a bad value names the variable."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None


def env_date(env, name: str):
    """An ISO date from the environment (None when unset)."""
    from datetime import date

    raw = env.get(name, "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise ValueError(f"{name} must be an ISO date (YYYY-MM-DD), got {raw!r}") from None


def serve_until_stopped(server) -> int:
    """For a sandbox's command line: serve until SIGINT/SIGTERM, then stop the server."""
    import signal
    import threading

    stop = threading.Event()
    # Explicit handlers: a shell starting us in the background may have set SIGINT to ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


def sandbox_dataset(dataset, generator_kwargs: dict, settings_from_env, generate):
    """The dataset to serve: the one given, or one generated from the environment's settings
    (`<VENDOR>_SANDBOX_*`) overridden by explicit generator arguments."""
    if dataset is not None:
        if generator_kwargs:
            raise TypeError("pass either a dataset or generator arguments, not both")
        return dataset
    settings = settings_from_env().generator_kwargs()
    settings.update(generator_kwargs)
    return generate(**settings)


async def _buffered_body(scope, receive):
    """(a receive that replays the request body, a digest of the body): a fault decision may
    depend on the body (Urjanet's searches are POSTs to one path). GET bodies are not read."""
    import hashlib

    if scope["method"] in SAFE_METHODS:
        return receive, ""
    chunks, first = [], None
    while True:
        message = await receive()
        if message["type"] != "http.request":
            first = message
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    pending = [first] if first is not None else [{"type": "http.request", "body": body, "more_body": False}]

    async def replay():
        return pending.pop(0) if pending else await receive()

    return replay, hashlib.blake2b(body, digest_size=8).hexdigest() if body else ""


async def abort_connection(scope, send) -> None:
    """Close the client's connection without an answer (a reset). `SandboxServer` puts the
    connection's abort into the scope; elsewhere, announce a body and never send it."""
    import asyncio

    abort = (scope.get("extensions") or {}).get("sandbox.abort")
    if abort is not None:
        abort()
        # Let the server see the disconnect before the app returns, so it neither answers a 500
        # nor logs "returned without starting response".
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})


class TruncatingSend:
    """An ASGI `send` that holds the whole answer, then sends its headers with the full
    Content-Length and only part of the body before cutting the connection: what a client sees
    when the network drops mid-body."""

    def __init__(self, scope, send, fraction: float) -> None:
        self.scope, self.send, self.fraction = scope, send, fraction
        self.start: dict | None = None
        self.chunks: list[bytes] = []

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            return
        if message["type"] != "http.response.body":
            await self.send(message)
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = b"".join(self.chunks)
        headers = [(k, v) for k, v in (self.start or {}).get("headers", [])
                   if k.lower() not in (b"content-length", b"transfer-encoding")]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.send({**(self.start or {"type": "http.response.start", "status": 200}), "headers": headers})
        cut = min(len(body) - 1, int(len(body) * (0.1 + 0.8 * self.fraction))) if body else 0
        if cut > 0:
            await self.send({"type": "http.response.body", "body": body[:cut], "more_body": True})
        await abort_connection(self.scope, self.send)


def listing_faults(request, records: list, preceding=(), *, more: bool = False,
                   kinds: tuple[str, ...] = LISTING_FAULT_KINDS) -> tuple[list, int]:
    """A list endpoint's page as a faulty vendor may serve it: (records to serve, how many of
    `records` were pushed to the next page). With rate-based faults on, a page is faulted with
    the fault rate, as one of:

    * `duplicate`: records of the previous page (`preceding`, in the listing's order) are served
      again at the start of this one, as when a list shifts between two page requests; when
      `more` pages follow, as many records at the end of this page move to the next one (the
      caller moves its next offset back by the count returned), so the page keeps its size and
      nothing is lost. A first or only page repeats some of its own records.
    * `reorder`: the page's records are shuffled.

    `kinds` narrows the kinds for one endpoint. Deterministic from the fault seed and the call;
    the call log says which."""
    import random

    state = request.app.state.sandbox
    settings: FaultRate = state.fault_rate
    request_state = request.scope.get("state") or {}
    call, key = request_state.get("sandbox_call"), request_state.get("sandbox_fault_key")
    if not settings.enabled or not key or call is None or call.get("fault") or not records:
        return records, 0
    kinds = [k for k in LISTING_FAULT_KINDS if k in settings.kinds and k in kinds]
    if not kinds or fault_roll(settings.seed, "listing", key) >= settings.rate:
        return records, 0
    kind = kinds[int(fault_roll(settings.seed, "listing kind", key) * len(kinds))]
    rng = random.Random(fault_roll(settings.seed, "listing order", key))
    served, deferred = list(records), 0
    if kind == "duplicate":
        count = max(1, len(records) // 5)
        if preceding:
            count = min(count, len(preceding))
            repeated = list(preceding)[-count:]
            if more and len(records) > count:
                served, deferred = repeated + served[:-count], count
            else:
                served = repeated + served
        else:
            served = served + rng.sample(served, min(count, len(served)))
    else:
        rng.shuffle(served)
    call["fault"] = kind
    return served, deferred


class RecordingGate:
    """ASGI middleware in front of a sandbox's routes: serves `/x/` as `/x`, records every API
    call (never a credential), plays scripted faults, asks the vendor's checks (auth, version
    headers), and answers the vendor's own 500 when a handler crashes.

    Vendors subclass it and override the hooks below.
    """

    label = "sandbox"  # for the crash log line
    hooks_prefix = "/_sandbox"  # test hooks: never recorded, never faulted, never authenticated

    def __init__(self, app, state) -> None:
        self.app = app
        self.state = state

    # -- hooks ------------------------------------------------------------------------------------

    def is_api(self, path: str) -> bool:
        return not path_matches(path, self.hooks_prefix) and (
            not self.state.api_prefix or path_matches(path, self.state.api_prefix))

    def query_text(self, scope) -> str:
        return scope.get("query_string", b"").decode("latin-1")

    def fault_reply(self, fault: dict) -> Response:
        raise NotImplementedError

    def problem(self, scope, path: str) -> Response | None:
        """A refusal (auth, missing headers) before the route runs, or None."""
        return None

    def crash_reply(self) -> Response:
        raise NotImplementedError

    # -- the middleware ---------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        import asyncio
        import logging

        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if len(path) > 1 and path.endswith("/"):
            # Clients differ on trailing slashes (WattzOn's reference client always sends one):
            # serve both forms rather than redirecting, which many clients do not follow.
            path = path.rstrip("/") or "/"
            scope = {**scope, "path": path, "raw_path": path.encode()}
        if not self.is_api(path):
            await self.app(scope, receive, send)
            return
        call: dict[str, Any] = {"method": scope["method"], "path": path, "query": self.query_text(scope),
                                "status": None, "fault": False}
        scope.setdefault("state", {})["sandbox_call"] = call
        started = False

        async def send_and_watch(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                call["status"] = message["status"]
            await send(message)

        reply = send_and_watch
        try:
            fault = self.state.take_fault(scope["method"], path)
            if fault is not None:
                if fault.get("delay"):
                    await asyncio.sleep(fault["delay"])
                if fault.get("status") is not None:
                    call["fault"] = True
                    await self.fault_reply(fault)(scope, receive, send_and_watch)
                    return
            elif self.state.fault_rate.enabled:  # scripted faults win over rate-based ones
                receive, digest = await _buffered_body(scope, receive)
                kind, key = self.state.take_rate_fault(scope["method"], path, self.query_text(scope), digest)
                scope["state"]["sandbox_fault_key"] = key
                if kind is not None:
                    call["fault"] = kind
                    if kind == "reset":
                        await abort_connection(scope, send_and_watch)
                        return
                    if kind == "slow":
                        await asyncio.sleep(self.state.fault_rate.slow_s)
                    elif kind == "truncate":
                        reply = TruncatingSend(scope, send_and_watch, fault_roll(self.state.fault_rate.seed, "cut", key))
                    else:
                        status = int(kind)
                        retry_after = self.state.fault_rate.retry_after_s if status == 429 else None
                        await self.fault_reply({"status": status, "retry_after": retry_after})(
                            scope, receive, send_and_watch)
                        return
            refusal = self.problem(scope, path)
            if refusal is not None:
                await refusal(scope, receive, reply)
                return
            await self.app(scope, receive, reply)
        except Exception:
            logging.getLogger(type(self).__module__).exception("%s failed on %s %s", self.label, scope["method"], path)
            if not started:
                await self.crash_reply()(scope, receive, reply)
            else:
                call["status"] = call["status"] or 500
        finally:
            self.state.record(call)


class SandboxSettings:
    """A sandbox's generator settings (seed, scale, as_of), read from `<VENDOR>_SANDBOX_*`."""

    def __init__(self, **values: Any) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["_values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def generator_kwargs(self) -> dict:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"SandboxSettings({self._values!r})"


def settings_from_env(environ, vendor: str, scale_defaults: dict[str, int]) -> SandboxSettings:
    """`<VENDOR>_SANDBOX_<NAME>` for each scale setting (whole numbers), and `_AS_OF` (a date)."""
    import os

    env = os.environ if environ is None else environ
    prefix = f"{vendor.upper()}_SANDBOX_"
    values: dict[str, Any] = {name: env_int(env, prefix + name.upper(), default) for name, default in scale_defaults.items()}
    values["as_of"] = env_date(env, prefix + "AS_OF")
    return SandboxSettings(**values)


def method_route(path: str, handlers: dict, error_type: type[Exception], error_reply):
    """One route per path and a handler per method, so a wrong method gets a 405 that lists every
    allowed method; the vendor's own exception type becomes its error reply."""
    from starlette.routing import Route

    async def endpoint(request):
        handler = handlers["GET" if request.method == "HEAD" else request.method]
        try:
            return await handler(request)
        except error_type as error:
            return error_reply(error)

    endpoint.__name__ = "_".join(h.__name__ for h in handlers.values())
    return Route(path, endpoint, methods=list(handlers))


FAULTS_USAGE = 'Expected {"path": str, "responses": [{"status": int, ...}]}.'


def ops_routes(route, read_body, bad_request, usage: str = FAULTS_USAGE) -> list:
    """The ops hooks every sandbox serves: `GET /_sandbox/calls`, `POST /_sandbox/reset-calls`,
    `GET|POST|DELETE /_sandbox/faults` (`{"path", "responses", "method"?}`) and
    `GET|POST|DELETE /_sandbox/fault-rate` (`{"rate", "seed"?, "kinds"?, "retry_after_s"?, "slow_s"?}`).

    `route(path, {method: handler})` is the vendor's route maker, `read_body(request)` its reader of
    a JSON object body and `bad_request(message)` the vendor's error for a bad fault script (`usage`
    when the body is not one)."""

    def state(request) -> CallLogAndFaults:
        return request.app.state.sandbox

    async def sandbox_calls(request) -> Response:
        return json_response(state(request).calls_snapshot())

    async def sandbox_reset_calls(request) -> Response:
        state(request).reset_calls()
        return json_response({"status": "ok"})

    async def sandbox_add_faults(request) -> Response:
        sandbox = state(request)
        body = await read_body(request)
        path, responses = body.get("path"), body.get("responses")
        if not (isinstance(path, str) and isinstance(responses, list)
                and all(isinstance(r, dict) for r in responses)):
            raise bad_request(usage)
        try:
            sandbox.inject_faults(path, responses, body.get("method"))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return json_response({"status": "ok", "faults": sandbox.faults_snapshot()}, 201)

    async def sandbox_list_faults(request) -> Response:
        return json_response(state(request).faults_snapshot())

    async def sandbox_clear_faults(request) -> Response:
        state(request).clear_faults()
        return json_response({"status": "ok"})

    async def sandbox_fault_rate(request) -> Response:
        return json_response(state(request).fault_rate.as_json())

    async def sandbox_set_fault_rate(request) -> Response:
        body = await read_body(request)
        options = {k: body[k] for k in ("seed", "retry_after_s", "slow_s") if body.get(k) is not None}
        try:
            settings = state(request).configure_faults(
                float(body.get("rate", 0.0)), kinds=parse_fault_kinds(body.get("kinds")), **options)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"{exc}. Expected {{\"rate\": 0..1, \"seed\"?, \"kinds\"?, "
                              f"\"retry_after_s\"?, \"slow_s\"?}}.") from None
        return json_response({"status": "ok", **settings.as_json()})

    async def sandbox_clear_fault_rate(request) -> Response:
        state(request).configure_faults(FAULTS_OFF)
        return json_response({"status": "ok"})

    return [
        route("/_sandbox/calls", {"GET": sandbox_calls}),
        route("/_sandbox/reset-calls", {"POST": sandbox_reset_calls}),
        route("/_sandbox/faults", {"GET": sandbox_list_faults, "POST": sandbox_add_faults,
                                   "DELETE": sandbox_clear_faults}),
        route("/_sandbox/fault-rate", {"GET": sandbox_fault_rate, "POST": sandbox_set_fault_rate,
                                       "DELETE": sandbox_clear_fault_rate}),
    ]


def sandbox_app(routes: list, http_exception, gate: type[RecordingGate], state, vendor: str | None = None):
    """The Starlette app: `routes`, the vendor's answer to Starlette's own errors (404, 405) and
    its gate in front; `app.state.sandbox` is `state`, with the rate-based faults the environment
    asks for (`SANDBOX_FAULT_*`, `<VENDOR>_SANDBOX_FAULT_*`; off when unset)."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException

    faults = fault_rate_from_env(vendor=vendor)
    if faults.enabled:
        state.configure_faults(faults)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_exception})
    app.state.sandbox = state
    app.add_middleware(gate, state=state)
    return app


def cli_arguments(vendor: str, doc: str, port: int, scale: str, settings: SandboxSettings):
    """A sandbox command line's parser with the arguments all take: --host, --port, `--<scale>`
    (e.g. customers), --months, --seed and --as-of, their defaults from `settings`. The vendor adds
    its own, then parses."""
    import argparse
    from datetime import date

    parser = argparse.ArgumentParser(prog=f"python -m connectors.{vendor}.sandbox", description=doc.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=port, help="0 picks a free port")
    parser.add_argument(f"--{scale}", type=int, default=getattr(settings, scale))
    parser.add_argument("--months", type=int, default=settings.months)
    parser.add_argument("--seed", type=int, default=settings.seed)
    parser.add_argument("--as-of", type=date.fromisoformat, default=settings.as_of,
                        help="YYYY-MM-DD, default today (UTC)")
    faults = fault_rate_from_env(vendor=vendor)
    group = parser.add_argument_group("rate-based faults (default: SANDBOX_FAULT_* / "
                                      f"{vendor.upper()}_SANDBOX_FAULT_*, off when unset)")
    group.add_argument("--fault-rate", type=float, default=faults.rate, help="0..1, e.g. 0.2; 0 = off")
    group.add_argument("--fault-seed", type=int, default=faults.seed)
    group.add_argument("--fault-kinds", default=",".join(faults.kinds),
                       help=f"comma list among {','.join(FAULT_KINDS)} (5xx = 500,502,503)")
    group.add_argument("--fault-retry-after", type=float, default=faults.retry_after_s,
                       help="seconds, the Retry-After of a 429")
    group.add_argument("--fault-slow", type=float, default=faults.slow_s,
                       help="seconds a slow answer is held")
    return parser


def configure_faults_from_arguments(server, args) -> FaultRate:
    """Apply a sandbox command line's --fault-* arguments to the running server's state."""
    return server.app.state.sandbox.configure_faults(FaultRate(
        rate=args.fault_rate, seed=args.fault_seed, kinds=parse_fault_kinds(args.fault_kinds),
        retry_after_s=args.fault_retry_after, slow_s=args.fault_slow))


def announce_and_serve(server, base_url: str, *notes: str) -> int:
    """For a sandbox's command line: print the base URL (stdout, for scripts) and the notes
    (stderr), then serve until SIGINT/SIGTERM."""
    import sys

    print(base_url, flush=True)
    for note in notes:
        print(note, file=sys.stderr, flush=True)
    return serve_until_stopped(server)


def tiny_pdf(text: str, width: int = 400) -> bytes:
    """A small valid one-page PDF saying `text` (sandbox bill documents)."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 " + str(width).encode()
        + b" 100]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length " + str(len(stream)).encode() + b">>stream\n" + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<</Size {len(objects) + 1}/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
