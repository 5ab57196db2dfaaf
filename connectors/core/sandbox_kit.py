"""What every vendor sandbox has in common: a call log and scripted faults.

A sandbox's state class mixes in `CallLogAndFaults` (it provides the fields `calls`, `faults`,
`_lock` and `_sequence`, and sets `api_prefix`); its ASGI gate asks `take_fault()` before
serving a request and answers `fault_response()` when one is scripted.

Fault scripts: `inject_faults(path, [{"status": 429, "retry_after": 1}, {"status": 500}, ...])`
makes the next requests whose path starts with `path` answer those responses in order. A
response may carry `body` (any JSON), `raw` (text sent as is, e.g. truncated JSON), `headers`
and `delay` (seconds to wait first); one with only a `delay` is served normally after it.

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

        try:
            fault = self.state.take_fault(scope["method"], path)
            if fault is not None:
                if fault.get("delay"):
                    await asyncio.sleep(fault["delay"])
                if fault.get("status") is not None:
                    call["fault"] = True
                    await self.fault_reply(fault)(scope, receive, send_and_watch)
                    return
            refusal = self.problem(scope, path)
            if refusal is not None:
                await refusal(scope, receive, send_and_watch)
                return
            await self.app(scope, receive, send_and_watch)
        except Exception:
            logging.getLogger(type(self).__module__).exception("%s failed on %s %s", self.label, scope["method"], path)
            if not started:
                await self.crash_reply()(scope, receive, send_and_watch)
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
    """The ops hooks every sandbox serves: `GET /_sandbox/calls`, `POST /_sandbox/reset-calls` and
    `GET|POST|DELETE /_sandbox/faults` (`{"path", "responses", "method"?}`).

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

    return [
        route("/_sandbox/calls", {"GET": sandbox_calls}),
        route("/_sandbox/reset-calls", {"POST": sandbox_reset_calls}),
        route("/_sandbox/faults", {"GET": sandbox_list_faults, "POST": sandbox_add_faults,
                                   "DELETE": sandbox_clear_faults}),
    ]


def sandbox_app(routes: list, http_exception, gate: type[RecordingGate], state):
    """The Starlette app: `routes`, the vendor's answer to Starlette's own errors (404, 405) and
    its gate in front; `app.state.sandbox` is `state`."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException

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
    return parser


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
