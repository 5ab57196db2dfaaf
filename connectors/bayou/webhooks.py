"""Bayou's webhooks: events in, targeted syncs out.

Bayou posts `{"event": ..., "object": {...}}` to one URL per company and does not sign it, so
the URL itself is the secret: `https://<your host>/webhooks/bayou/<BAYOU_WEBHOOK_TOKEN>`.
The token is compared in constant time and registered with the log redactor; the receiver
never logs paths. BAYOU_WEBHOOK_TOKEN unset -> 503 (not configured); wrong or missing -> 401.

| event | object | sync requested |
|---|---|---|
| new_bill, updated_bill | a bill | bills of its customer |
| bills_ready | a customer | bills of that customer |
| intervals_ready | a customer | intervals of that customer |
| customer_has_filled_credentials, customer_must_reauthenticate | a customer | customers, then bills of that customer |
| anything else (e.g. new_unparsed_bill) | | none: stored in the inbox for the record |

The dedupe key is the body's SHA-256: a redelivery is stored once, while an `updated_bill`
whose bill changed is a new event.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from ..core.redaction import register_secret
from ..core.vendor import Notification
from ..webhooks import WebhookRejected, WebhookRequest, WebhookSpec, sha256_event_id
from ..webhooks.inbox import inbox_notification_source
from .client import VENDOR

log = logging.getLogger("connectors.bayou.webhooks")

TOKEN_ENV = "BAYOU_WEBHOOK_TOKEN"
# `:path` so that an empty token (".../bayou/") reaches the authenticator and gets a 401.
WEBHOOK_PATH = "/webhooks/bayou/{token:path}"

BILL_EVENTS = frozenset({"new_bill", "updated_bill"})
EVENT_SYNCS: dict[str, tuple[str, ...]] = {
    "new_bill": ("bills",),
    "updated_bill": ("bills",),
    "bills_ready": ("bills",),
    "intervals_ready": ("intervals",),
    "customer_has_filled_credentials": ("customers", "bills"),
    "customer_must_reauthenticate": ("customers", "bills"),
}
NOTIFICATION_SYNCS = ("bills",)  # VendorSpec.notification_syncs: what an event asks for by default


def authenticate(request: WebhookRequest) -> None:
    expected = (request.env.get(TOKEN_ENV) or "").strip()
    if not expected:
        raise WebhookRejected(503, f"bayou webhooks are not configured: set {TOKEN_ENV}")
    register_secret(expected)
    given = request.path_params.get("token") or ""
    if not hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8")):
        raise WebhookRejected(401, "unknown webhook token")


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def event_customer_id(event_type: str, obj: Any) -> str | None:
    """The Bayou customer an event concerns: a bill's `customer_id`, a customer's `id`."""
    if not isinstance(obj, dict):
        return None
    if event_type in BILL_EVENTS:
        return _text(obj.get("customer_id"))
    return _text(obj.get("id")) or _text(obj.get("customer_id"))


def to_notification(event: dict, receipt: str) -> Notification | None:
    """A stored Bayou event (see connectors/webhooks/inbox.py) to the sync it asks for."""
    body = event.get("body")
    event_type = body.get("event") if isinstance(body, dict) else None
    syncs = EVENT_SYNCS.get(event_type) if isinstance(event_type, str) else None
    if syncs is None:
        return None
    customer_id = event_customer_id(event_type, body.get("object"))
    if customer_id is None:
        # Still worth a run: unscoped, it covers every customer.
        log.warning("bayou: %s event %s names no customer; requesting an unscoped sync",
                    event_type, event.get("event_id"))
    return Notification(
        key=str(event["event_id"]),
        scope={"customer_id": customer_id} if customer_id else {},
        receipt=receipt,
        summary=f"{event_type} for customer {customer_id or '(all)'}",
        syncs=syncs,
    )


WEBHOOK = WebhookSpec(
    vendor=VENDOR,
    path=WEBHOOK_PATH,
    authenticate=authenticate,
    event_id=sha256_event_id,
    to_notification=to_notification,
    secret_env_vars=(TOKEN_ENV,),
)

notification_source = inbox_notification_source(WEBHOOK)
