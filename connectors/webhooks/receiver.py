"""The ASGI app that receives vendor webhooks (Starlette).

`create_receiver(specs, lake_root)`: one POST route per WebhookSpec plus `GET /healthz`.
For each delivery, in this order:

1. size: a Content-Length over `max_body_bytes`, or a streamed body growing past it -> 413,
   without reading the rest;
2. `spec.authenticate` (signature, token; secrets read from `env` at request time) -> its status
   (401, 400, 503 when the vendor's secret is not configured);
3. the body must be a UTF-8 JSON object -> else 400;
4. the event is written to `lake/inbox/<vendor>/pending/<event_id>.json` and fsynced, and only
   then answered: 202 {"status": "accepted", "event_id"}, or 200 {"status": "duplicate", ...}
   when the id is already in the inbox. A storage failure answers 500, so the vendor retries.

Logs name vendor, event type, event id and outcome; never bodies, paths (Bayou's path carries
its token), signatures or secrets.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, Router

from ..core.redaction import register_secret
from ..objectstore import ObjectPath, is_object_store_uri
from . import WebhookRejected, WebhookRequest, WebhookSpec
from .inbox import Inbox, safe_event_id

log = logging.getLogger("connectors.webhooks")

_MAX_LOGGED_TYPE = 64


class _BodyTooLarge(Exception):
    pass


def _loggable(value: Any) -> str:
    """An event type as a log token: printable, short (the body is the sender's)."""
    if not isinstance(value, str) or not value:
        return "-"
    cleaned = "".join(c if c.isprintable() and not c.isspace() else "?" for c in value[:_MAX_LOGGED_TYPE])
    return cleaned + ("…" if len(value) > _MAX_LOGGED_TYPE else "")


def _parse_json(body: bytes) -> Any:
    def reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    # The standard library keeps big integers exact (orjson turns them into floats).
    return json.loads(body.decode("utf-8"), parse_constant=reject_constant)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise _BodyTooLarge
        except ValueError:
            pass  # the server's HTTP parser already rejects a malformed Content-Length
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _first_values(request: Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.raw:
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


class _Receiver:
    def __init__(self, spec: WebhookSpec, inbox: Inbox, env: Mapping[str, str], clock: Callable[[], float]) -> None:
        self.spec = spec
        self.inbox = inbox
        self.env = env
        self.clock = clock
        self._reported: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def _reject(self, rejected: WebhookRejected, event_type: str = "-") -> JSONResponse:
        vendor = self.spec.vendor
        if rejected.status == 503:
            # Misconfiguration: say it loudly once, not on every delivery the vendor retries.
            with self._lock:
                first = (503, rejected.reason) not in self._reported
                self._reported.add((503, rejected.reason))
            if first:
                log.error("webhook %s: %s (deliveries are refused with 503 until it is set)", vendor, rejected.reason)
            else:
                log.debug("webhook %s: refused, %s", vendor, rejected.reason)
        elif event_type == "-":
            log.warning("webhook %s: delivery rejected %d: %s", vendor, rejected.status, rejected.reason)
        else:
            log.warning("webhook %s: %s event rejected %d: %s", vendor, event_type, rejected.status, rejected.reason)
        return JSONResponse({"error": rejected.reason}, status_code=rejected.status)

    async def handle(self, request: Request) -> JSONResponse:
        spec = self.spec
        try:
            body = await _read_body(request, spec.max_body_bytes)
        except _BodyTooLarge:
            return self._reject(WebhookRejected(413, f"body larger than {spec.max_body_bytes} bytes"))
        headers = _first_values(request)
        delivery = WebhookRequest(headers=headers, body=body, path_params=dict(request.path_params),
                                  env=self.env, now=self.clock())
        try:
            spec.authenticate(delivery)
        except WebhookRejected as rejected:
            return self._reject(rejected)
        except Exception as exc:  # noqa: BLE001 - the type only: the message could quote a secret
            log.error("webhook %s: the authenticator failed (%s); answered 500", spec.vendor, type(exc).__name__)
            return JSONResponse({"error": "internal error; retry later"}, status_code=500)
        try:
            parsed = _parse_json(body)
        except (UnicodeDecodeError, ValueError, RecursionError):
            return self._reject(WebhookRejected(400, "body is not JSON"))
        if not isinstance(parsed, dict):
            return self._reject(WebhookRejected(400, "body is not a JSON object"))
        try:
            event_type = _loggable(spec.event_type(parsed))
        except Exception:  # noqa: BLE001 - logging aid only
            event_type = "-"
        try:
            event_id = safe_event_id(str(spec.event_id(body, parsed)))
        except WebhookRejected as rejected:
            return self._reject(rejected, event_type)
        except Exception as exc:  # noqa: BLE001
            log.error("webhook %s: %s event without an id (%s); answered 500", spec.vendor, event_type,
                      type(exc).__name__)
            return JSONResponse({"error": "internal error; retry later"}, status_code=500)
        stored_headers = {name: headers[name] for name in spec.stored_headers if name in headers}
        try:
            stored = await run_in_threadpool(self.inbox.store, event_id, parsed, headers=stored_headers,
                                             received_at=delivery.now)
        except Exception as exc:  # noqa: BLE001 - answered 500: the vendor retries, nothing is lost
            log.error("webhook %s: %s event %s NOT stored (%s: %s); answered 500", spec.vendor, event_type,
                      event_id, type(exc).__name__, exc)
            return JSONResponse({"error": "event could not be stored; retry later"}, status_code=500)
        if not stored:
            log.info("webhook %s: %s event %s duplicate", spec.vendor, event_type, event_id)
            return JSONResponse({"status": "duplicate", "event_id": event_id}, status_code=200)
        log.info("webhook %s: %s event %s accepted", spec.vendor, event_type, event_id)
        return JSONResponse({"status": "accepted", "event_id": event_id}, status_code=202)


def create_receiver(
    specs: list[WebhookSpec],
    lake_root: str | Path | ObjectPath,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
) -> Starlette:
    """The receiver app for `specs`, landing events under `lake_root/inbox/`.

    `env` (default os.environ) is read at every request, so setting a vendor's secret needs no
    restart; `clock` gives unix seconds (timestamps are checked and stored with it).
    """
    env = os.environ if env is None else env
    # A local folder, or the lake on S3 (one filesystem shared by every vendor's inbox).
    if isinstance(lake_root, str) and is_object_store_uri(lake_root):
        lake_root = ObjectPath.from_uri(lake_root)
    elif not isinstance(lake_root, ObjectPath):
        lake_root = Path(lake_root)
    paths = [s.path for s in specs]
    if len(set(paths)) != len(paths):
        raise ValueError(f"two webhook specs share a path: {paths}")
    routes = [Route("/healthz", _health([s.vendor for s in specs]), methods=["GET"])]
    for spec in specs:
        for name in spec.secret_env_vars:
            register_secret((env.get(name) or "").strip())
        routes.append(Route(spec.path, _Receiver(spec, Inbox(lake_root, spec.vendor), env, clock).handle,
                            methods=["POST"], name=f"webhook_{spec.vendor}"))
    app = Starlette(routes=routes)
    # Webhooks post to exact URLs; a redirect would echo the path (Bayou's carries a token).
    assert isinstance(app.router, Router)
    app.router.redirect_slashes = False
    app.state.specs = list(specs)
    app.state.lake_root = lake_root
    return app


def _health(vendors: list[str]):
    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "vendors": vendors})

    return health


# -- serving ------------------------------------------------------------------------------------

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787
PORT_ENV = "UTILITY_WEBHOOK_PORT"


def configured_port(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    raw = (env.get(PORT_ENV) or "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        port = int(raw)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        from ..core.errors import ConfigurationError

        raise ConfigurationError(f"{PORT_ENV} must be a port number, got {raw!r}")
    return port


def registered_webhook_specs(vendors: list[str] | tuple[str, ...] | None = None) -> list[WebhookSpec]:
    """The WebhookSpecs of the registered vendors (all, or those named) that declare one."""
    from ..registry import VENDORS

    names = list(VENDORS) if vendors is None else list(vendors)
    return [VENDORS[name].webhook for name in names if VENDORS[name].webhook is not None]


def receiver_from_settings(env: Mapping[str, str] | None = None) -> Starlette:
    """The receiver for the vendors of `UTILITY_VENDORS` (default: all) that declare webhooks,
    landing in the lake (`UTILITY_LAKE_URI`, default `$UTILITY_DATA_DIR/lake`)."""
    from ..settings import load_settings

    env = os.environ if env is None else env
    settings = load_settings(env)
    return create_receiver(registered_webhook_specs(settings.vendors), settings.lake_dir, env)


def describe(app: Starlette, base_url: str, env: Mapping[str, str] | None = None) -> list[str]:
    """One line per endpoint, for start-up messages (path patterns only: never a token)."""
    env = os.environ if env is None else env
    lines = [f"webhook receiver on {base_url} (lake inbox {app.state.lake_root / 'inbox'})"]
    for spec in app.state.specs:
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: f"<{m.group(1)}>", spec.path)
        unset = [name for name in spec.secret_env_vars if not (env.get(name) or "").strip()]
        note = f"  (not configured: set {', '.join(unset)}; answers 503)" if unset else ""
        lines.append(f"  {spec.vendor:<10} POST {base_url}{path}{note}")
    if not app.state.specs:
        lines.append("  no enabled vendor declares webhooks")
    return lines


def serve(host: str = DEFAULT_HOST, port: int | None = None, env: Mapping[str, str] | None = None) -> None:
    """Serve the receiver in the foreground (uvicorn). The access log stays off: Bayou's path
    carries its token."""
    import uvicorn

    from ..core.redaction import install_log_redaction

    env = os.environ if env is None else env
    port = configured_port(env) if port is None else port
    app = receiver_from_settings(env)
    install_log_redaction()
    for line in describe(app, f"http://{host}:{port}", env):
        log.info("%s", line)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("webhook receiver bound to %s: plain HTTP; put a TLS-terminating proxy in front", host)
    uvicorn.run(app, host=host, port=port, access_log=False, log_config=None, server_header=False,
                timeout_graceful_shutdown=5)
