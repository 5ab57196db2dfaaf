"""Arcadia Arc's webhook signatures, and the WebhookSpec factory the Arcadia connector uses.

Arc sends `Arc-Webhook-Timestamp` (unix seconds) and `Arc-Webhook-Signature`, the hex
HMAC-SHA256 of `"{timestamp}.{raw body}"` keyed with the endpoint's signing key (the key's
text, UTF-8). Older deliveries spell the headers `Arcadia-Webhook-Timestamp` /
`Arcadia-Webhook-Signature`; both are accepted. A timestamp more than 300 s away from our clock,
in either direction, is rejected (replays, and clocks that drifted too far), and signatures
are compared in constant time.

Outcomes: missing headers, stale or future timestamp, wrong signature -> 401; a timestamp that
is not a whole number of seconds -> 400; no signing key configured -> 503.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.redaction import register_secret
from . import DEFAULT_MAX_BODY_BYTES, WebhookRejected, WebhookRequest, WebhookSpec, sha256_event_id

if TYPE_CHECKING:
    from ..core.vendor import Notification

ARCADIA_SIGNING_KEY_ENV = "ARCADIA_WEBHOOK_SIGNING_KEY"
ARC_WEBHOOK_PATH = "/webhooks/arcadia"
DEFAULT_TOLERANCE_S = 300
# (timestamp header, signature header), current spelling first; lower case.
ARC_HEADER_SPELLINGS = (
    ("arc-webhook-timestamp", "arc-webhook-signature"),
    ("arcadia-webhook-timestamp", "arcadia-webhook-signature"),
)
_MAX_TIMESTAMP_DIGITS = 12


def _key_bytes(key: str | bytes) -> bytes:
    return key if isinstance(key, bytes) else key.encode("utf-8")


def arc_signature(key: str | bytes, timestamp: str | int, body: bytes) -> str:
    """The hex HMAC-SHA256 Arc sends for `body` at `timestamp` (also how tests sign)."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


def arc_signature_headers(key: str | bytes, body: bytes, timestamp: int, *, legacy: bool = False) -> dict[str, str]:
    """The headers of a signed delivery (for tests, sandboxes and replay tools)."""
    prefix = "Arcadia" if legacy else "Arc"
    return {
        f"{prefix}-Webhook-Timestamp": str(timestamp),
        f"{prefix}-Webhook-Signature": arc_signature(key, timestamp, body),
        "Content-Type": "application/json",
    }


def verify_arc_signature(
    headers: Mapping[str, str], body: bytes, key: str | bytes, *, now: float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> int:
    """Check one delivery; returns its timestamp or raises WebhookRejected (401 or 400)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for timestamp_header, signature_header in ARC_HEADER_SPELLINGS:
        if signature_header in lowered:
            break
    else:
        raise WebhookRejected(401, "missing Arc-Webhook-Signature header")
    raw_timestamp = lowered.get(timestamp_header)
    if raw_timestamp is None:
        raise WebhookRejected(401, "missing Arc-Webhook-Timestamp header")
    raw_timestamp = raw_timestamp.strip()
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit()) or len(raw_timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise WebhookRejected(400, "malformed webhook timestamp: expected unix seconds")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > tolerance_s:
        raise WebhookRejected(401, f"webhook timestamp outside the {tolerance_s}s tolerance")
    given = lowered[signature_header].strip().lower()
    # The timestamp is signed as sent: the header's own digits.
    expected = arc_signature(key, raw_timestamp, body)
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise WebhookRejected(401, "invalid webhook signature")
    return timestamp


def arc_authenticator(key_env: str = ARCADIA_SIGNING_KEY_ENV, *, tolerance_s: int = DEFAULT_TOLERANCE_S,
                      vendor: str = "arcadia") -> Callable[[WebhookRequest], None]:
    def authenticate(request: WebhookRequest) -> None:
        key = (request.env.get(key_env) or "").strip()
        if not key:
            raise WebhookRejected(503, f"{vendor} webhooks are not configured: set {key_env}")
        register_secret(key)
        verify_arc_signature(request.headers, request.body, key, now=request.now, tolerance_s=tolerance_s)

    return authenticate


def arc_webhook_spec(
    to_notification: Callable[[dict, str], Notification | None],
    *,
    vendor: str = "arcadia",
    path: str = ARC_WEBHOOK_PATH,
    key_env: str = ARCADIA_SIGNING_KEY_ENV,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    event_id: Callable[[bytes, Any], str] = sha256_event_id,
) -> WebhookSpec:
    """The WebhookSpec of an Arc endpoint: `VendorSpec(..., webhook=arc_webhook_spec(mapping))`.

    The dedupe key is the body's SHA-256: Arc's retries resend the same body with a fresh
    timestamp and signature. `to_notification(stored_event, receipt)` maps an event (envelope
    `{type, created_at, data}` under `stored_event["body"]`) to a targeted sync, or None.
    """
    return WebhookSpec(
        vendor=vendor,
        path=path,
        authenticate=arc_authenticator(key_env, tolerance_s=tolerance_s, vendor=vendor),
        event_id=event_id,
        to_notification=to_notification,
        max_body_bytes=max_body_bytes,
        stored_headers=("content-type", "user-agent", *(t for t, _ in ARC_HEADER_SPELLINGS)),
        secret_env_vars=(key_env,),
    )
