"""The one HTTP layer every vendor connector uses.

* httpx with explicit timeouts and TLS verification always on (there is no switch to turn it
  off; a plain-HTTP base URL is allowed, for loopback sandboxes and test servers).
* One retry policy (tenacity): 429, 5xx and connection/timeout errors are retried with capped
  exponential backoff and jitter; a `Retry-After` header wins over the backoff, capped too.
  Transport errors include a connection closed before the answer (RemoteProtocolError), a read
  timeout, and a body cut short of its Content-Length or its last chunk (RemoteProtocolError /
  ReadError): the body is read inside the retried call, so a truncated body is retried like a
  reset. A complete 2xx body that is not valid JSON is NOT retried (`json_of` raises
  VendorResponseError): the transfer was whole, so the vendor sent it that way and would again.
  A token or login request that an auth flow makes on the side fails with a VendorError; when
  it is transient (no response, 408/429/5xx) the whole call is retried too.
* Bounded concurrency: at most `max_concurrency` requests in flight per client, so callers may
  fan out with threads (`map_concurrent`) without overrunning a vendor.
* Logging names method, path and status, never headers or credentials; secrets handed to the
  client are registered with the log redactor as a second line of defence.
* Counters (requests, retries, by status) so assets can report what a sync cost.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import orjson
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from .errors import (
    VendorAuthError,
    VendorError,
    VendorNotFoundError,
    VendorRequestError,
    VendorResponseError,
    VendorUnavailableError,
)
from .redaction import register_secret

log = logging.getLogger("connectors.http")
# httpx logs every request URL at INFO; ours are enough and carry no query strings.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

T = TypeVar("T")
R = TypeVar("R")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    jitter_s: float = 0.5
    # A vendor asking us to wait longer than this is treated as an outage, not a pause.
    max_retry_after_s: float = 120.0


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 10.0
    read_s: float = 60.0
    write_s: float = 60.0
    pool_s: float = 60.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_s, read=self.read_s, write=self.write_s, pool=self.pool_s)


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    by_status: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, status: int | str, *, retried: bool) -> None:
        with self._lock:
            self.requests += 1
            self.by_status[str(status)] += 1
            if retried:
                self.retries += 1

    def as_metadata(self) -> dict[str, Any]:
        return {"requests": self.requests, "retries": self.retries, "by_status": dict(sorted(self.by_status.items()))}


class _RetryableResponse(Exception):
    """A response we will retry; carries the server's Retry-After if it sent one."""

    def __init__(self, response: httpx.Response, retry_after_s: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after_s = retry_after_s


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _is_transient_auth_failure(exc: BaseException) -> bool:
    """A VendorError raised inside a request by an auth flow (Arcadia's token, Urjanet's login)
    when its own request found no answer or a retryable status: as transient as the call."""
    return isinstance(exc, VendorError) and (exc.status is None or exc.status in RETRYABLE_STATUSES)


def is_certificate_failure(exc: BaseException) -> bool:
    """The TLS handshake rejected the vendor's certificate (untrusted CA, wrong host, expired):
    a configuration problem that no retry can fix, so it fails at once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError) and is_certificate_failure(exc):
        return False
    return isinstance(exc, (_RetryableResponse, httpx.TransportError)) or _is_transient_auth_failure(exc)


class VendorHttpClient:
    """A vendor's base URL, auth and retry policy around one httpx.Client."""

    def __init__(
        self,
        vendor: str,
        base_url: str,
        *,
        auth: httpx.Auth | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: Iterable[str | None] = (),
        retry: RetryPolicy = RetryPolicy(),
        timeouts: Timeouts = Timeouts(),
        max_concurrency: int = 8,
        cert: tuple[str, str] | None = None,
        ca_file: str | None = None,
        error_parser: Callable[[httpx.Response], tuple[str | None, str]] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        for secret in secrets:
            register_secret(secret)
        if isinstance(auth, tuple):
            register_secret(auth[0])
            register_secret(auth[1])
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self.stats = RequestStats()
        self._sleep = sleep
        self._error_parser = error_parser or default_error_parser
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self.max_concurrency = max_concurrency
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            headers=dict(headers or {}),
            timeout=timeouts.to_httpx(),
            verify=tls_context(cert=cert, ca_file=ca_file),
            limits=httpx.Limits(max_connections=max_concurrency, max_keepalive_connections=max_concurrency),
            follow_redirects=False,
        )

    def __enter__(self) -> VendorHttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def __repr__(self) -> str:  # never show auth
        return f"VendorHttpClient(vendor={self.vendor!r}, base_url={self.base_url!r})"

    # -- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        files: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        expected: Iterable[int] = (),
    ) -> httpx.Response:
        """Send a request with the retry policy; raise a VendorError on a final failure.

        `expected` lists non-2xx statuses the caller handles itself (returned, not raised).
        """
        # Absolute URLs are allowed (e.g. a sandbox's own hooks beside the API root).
        endpoint = path if path.startswith(("/", "http://", "https://")) else f"/{path}"
        expected = frozenset(expected)
        attempt_box = {"n": 0}

        def send_once() -> httpx.Response:
            attempt_box["n"] += 1
            retried = attempt_box["n"] > 1
            with self._slots:
                try:
                    response = self._client.request(
                        method, endpoint, params=_clean_params(params), json=json, content=content,
                        files=files, data=data, headers=headers,
                    )
                except httpx.TransportError as exc:
                    self.stats.record(type(exc).__name__, retried=retried)
                    raise
                except VendorError as exc:  # from an auth flow's own request
                    self.stats.record(exc.status if exc.status is not None else "auth_no_response", retried=retried)
                    raise
            self.stats.record(response.status_code, retried=retried)
            log.debug("%s %s %s -> %s", self.vendor, method, endpoint, response.status_code)
            _detach_body(response)
            if response.status_code in RETRYABLE_STATUSES and response.status_code not in expected:
                raise _RetryableResponse(response, parse_retry_after(response.headers.get("Retry-After")))
            return response

        retrying = Retrying(
            stop=stop_after_attempt(self.retry.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_retryable),
            before_sleep=lambda state: self._log_retry(method, endpoint, state),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            response = retrying(send_once)
        except _RetryableResponse as exc:
            raise self._error_for(method, endpoint, exc.response, attempts=attempt_box["n"]) from None
        except httpx.TransportError as exc:
            raise VendorUnavailableError(
                self.vendor, method, endpoint, None, f"{type(exc).__name__}: {exc}", attempts=attempt_box["n"]
            ) from None
        if response.is_success or response.status_code in expected:
            return response
        raise self._error_for(method, endpoint, response, attempts=attempt_box["n"])

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.json_of(self.request("GET", path, params=params), "GET", path)

    def get_bytes(self, path: str, *, params: Mapping[str, Any] | None = None) -> bytes:
        """The raw 2xx body, undecoded (for native parsers: no Python object per record).

        Same retries, errors, logging and counters as `get_json`. The response is released
        before this returns, so the body lives exactly as long as the caller keeps it.
        """
        return self.request("GET", path, params=params).content

    def post_json(self, path: str, *, json: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self.json_of(self.request("POST", path, json=json, params=params), "POST", path)

    def json_of(self, response: httpx.Response, method: str, path: str) -> Any:
        """Parse a 2xx body; an HTML page or truncated JSON is a clear error, not a skip."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            snippet = response.content[:80].decode("utf-8", "replace")
            raise VendorResponseError(
                self.vendor, method, path, response.status_code,
                f"response is not valid JSON ({exc}); content-type {response.headers.get('content-type')!r}, "
                f"starts with {snippet!r}",
            ) from None

    # -- concurrency ------------------------------------------------------------------------

    def map_concurrent(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        """Apply fn to items on up to max_concurrency threads, yielding results in order.

        At most 2 x max_concurrency calls are in flight or waiting to be consumed, so a slow
        consumer never makes results pile up in memory. On error the pending calls are cancelled.
        """
        if self.max_concurrency <= 1:
            yield from map(fn, items)
            return
        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix=f"{self.vendor}-http")
        window: deque = deque()
        try:
            for item in items:
                window.append(pool.submit(fn, item))
                if len(window) >= 2 * self.max_concurrency:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- internals --------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.retry_after_s is not None:
            return min(exc.retry_after_s, self.retry.max_retry_after_s)
        backoff = wait_exponential_jitter(
            initial=self.retry.initial_backoff_s, max=self.retry.max_backoff_s, jitter=self.retry.jitter_s
        )
        return backoff(state)

    def _log_retry(self, method: str, endpoint: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse):
            reason = f"HTTP {exc.response.status_code}"
        elif isinstance(exc, VendorError):
            reason = f"{exc.method} {exc.endpoint} {'HTTP ' + str(exc.status) if exc.status else 'no response'}"
        else:
            reason = type(exc).__name__
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s %s %s: %s, retry %d/%d in %.1fs",
            self.vendor, method, endpoint, reason, state.attempt_number, self.retry.max_attempts - 1, wait,
        )

    def _error_for(self, method: str, endpoint: str, response: httpx.Response, *, attempts: int) -> VendorError:
        status = response.status_code
        error_code, detail = self._error_parser(response)
        if status in (401, 403):
            cls: type[VendorError] = VendorAuthError
            detail = f"{detail} (check the credentials for {self.vendor})"
        elif status == 404:
            cls = VendorNotFoundError
        elif status in RETRYABLE_STATUSES:
            cls = VendorUnavailableError
        else:
            cls = VendorRequestError
        return cls(self.vendor, method, endpoint, status, detail, error_code=error_code, attempts=attempts)


def _detach_body(response: httpx.Response) -> None:
    """Read the body and break httpx's `response -> BoundSyncStream -> response` cycle.

    httpx wraps every response stream in a `BoundSyncStream` that points back at the response
    (to set `elapsed` on close). The body is stored on the response, so with that cycle every
    body (about 1.3 MB for a month of Bayou intervals) would wait for the cyclic garbage
    collector instead of being freed when the caller drops it. Once the body is read and the
    stream closed, the stream is never used again: swap it for an empty, response-free one.
    """
    response.read()  # a no-op when the client already read it (requests are never streamed here)
    response.close()
    response.stream = httpx.ByteStream(b"")


def tls_context(*, cert: tuple[str, str] | None = None, ca_file: str | None = None) -> ssl.SSLContext:
    """Server verification always on: the default trust store, plus `ca_file` when a vendor (or a
    sandbox) uses its own CA; `cert` is a client certificate and key (PEM files) to present."""
    context = httpx.create_ssl_context(verify=True)
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if cert:
        context.load_cert_chain(certfile=cert[0], keyfile=cert[1])
    return context


def default_error_parser(response: httpx.Response) -> tuple[str | None, str]:
    """(error code, message) from a JSON error body, or a short text snippet."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        text = response.content[:200].decode("utf-8", "replace").strip()
        return None, text or response.reason_phrase
    if isinstance(body, dict):
        # Bayou: error_code/error_message; WattzOn and Arcadia: {"error": "<message>"}.
        code = body.get("error_code") or body.get("code")
        message = (body.get("error_message") or body.get("message") or body.get("error") or body.get("detail")
                   or str(body)[:200])
        return (str(code) if code is not None else None), str(message)
    return None, str(body)[:200]


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {k: v for k, v in params.items() if v is not None}
