"""What every vendor sandbox has in common: a call log and scripted faults.

A sandbox's state class mixes in `CallLogAndFaults` (it provides the fields `calls`, `faults`,
`_lock` and `_sequence`, and sets `api_prefix`); its ASGI gate asks `take_fault()` before
serving a request and answers `fault_response()` when one is scripted.

Fault scripts: `inject_faults(path, [{"status": 429, "retry_after": 1}, {"status": 500}, ...])`
makes the next requests whose path starts with `path` answer those responses in order. A
response may carry `body` (any JSON), `raw` (text sent as is, e.g. truncated JSON), `headers`
and `delay` (seconds to wait first); one with only a `delay` is served normally after it.
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
