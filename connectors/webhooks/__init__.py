"""The shared webhook receiver: vendors push events, we authenticate them and land them in the
lake inbox before answering, and a NotificationSource hands them to the Dagster sensor.

    vendor ──POST──▶ receiver (receiver.py) ──authenticate──▶ lake/inbox/<vendor>/pending/<id>.json
                       answers 202 only once the file is durable (fsync), 200 for a duplicate
    Dagster sensor ◀── InboxNotifications (inbox.py): receive() pending events, acknowledge()
                       moves them to processed/ one tick later

A vendor plugs in by setting `VendorSpec.webhook` to a `WebhookSpec` (path, how to
authenticate a request, the dedupe key, how a stored event becomes a targeted sync) and
`VendorSpec.notifications` to `inbox_notification_source(...)`. Arcadia's signed webhooks:
`signatures.arc_webhook_spec`; Bayou's token-in-the-path webhooks: `connectors/bayou/webhooks.py`.

Nothing here is vendor-specific: the receiver logs vendor, event type, event id and outcome,
never bodies, paths (Bayou's carries a token), signatures or secrets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.vendor import Notification

DEFAULT_MAX_BODY_BYTES = 1_048_576
# Headers worth keeping with a stored event: never credentials or signatures.
DEFAULT_STORED_HEADERS = ("content-type", "user-agent")


class WebhookRejected(Exception):
    """Raised by `WebhookSpec.authenticate` (and the receiver) to answer with `status`.

    `reason` goes into the response body and the log: it must never contain a secret.
    """

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class WebhookRequest:
    """What an authenticator sees of one delivery."""

    headers: Mapping[str, str]  # names in lower case; the first value of a repeated header
    body: bytes  # the raw body, exactly as received (signatures are computed over it)
    path_params: Mapping[str, str]  # e.g. {"token": ...} for "/webhooks/bayou/{token:path}"
    env: Mapping[str, str]  # where secrets are read from, at request time
    now: float  # unix seconds, from the receiver's clock


def default_event_type(body: Any) -> str | None:
    """The event's type for logs: Arc's envelope says `type`, Bayou's says `event`."""
    if isinstance(body, dict):
        value = body.get("type", body.get("event"))
        if isinstance(value, str):
            return value
    return None


def sha256_event_id(body: bytes, parsed: Any = None) -> str:
    """The default dedupe key: a vendor's retry resends the same body (with a new timestamp and
    signature in the headers), so the same bytes are the same event."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class WebhookSpec:
    vendor: str
    path: str  # a Starlette route path, e.g. "/webhooks/arcadia" or "/webhooks/bayou/{token:path}"
    # Raises WebhookRejected(status, reason) unless the request is the vendor's.
    authenticate: Callable[[WebhookRequest], None]
    # (raw body, parsed JSON body) -> dedupe key; made filename-safe by the inbox.
    event_id: Callable[[bytes, Any], str] = sha256_event_id
    # (stored event, receipt) -> the targeted sync it asks for, or None (stored, no run).
    # The stored event is {"event_id", "vendor", "received_at", "headers", "body"}.
    to_notification: Callable[[dict, str], Notification | None] = lambda event, receipt: None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    stored_headers: tuple[str, ...] = DEFAULT_STORED_HEADERS  # lower case
    event_type: Callable[[Any], str | None] = default_event_type  # for logs only
    secret_env_vars: tuple[str, ...] = field(default=())  # registered with the redactor at start-up


from .inbox import Inbox, InboxNotifications, inbox_notification_source  # noqa: E402
from .signatures import arc_signature, arc_webhook_spec, verify_arc_signature  # noqa: E402


def create_receiver(*args, **kwargs):
    """See `connectors.webhooks.receiver.create_receiver` (imported lazily: Starlette)."""
    from .receiver import create_receiver as _create

    return _create(*args, **kwargs)


__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Inbox",
    "InboxNotifications",
    "WebhookRejected",
    "WebhookRequest",
    "WebhookSpec",
    "arc_signature",
    "arc_webhook_spec",
    "create_receiver",
    "default_event_type",
    "inbox_notification_source",
    "sha256_event_id",
    "verify_arc_signature",
]
