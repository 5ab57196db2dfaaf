"""Arc webhook events to targeted syncs (the receiver itself is shared: connectors/webhooks/)."""

from __future__ import annotations

from typing import Any

from ..core.vendor import Notification

ACCOUNT_EVENTS = {"utility_accounts_discovered", "utility_account_updated"}
STATEMENT_EVENTS = {"historical_utility_statements_discovered", "new_utility_statement_available"}
INTERVAL_EVENTS = {"historical_utility_intervals_discovered", "new_utility_intervals_available"}
CREDENTIAL_EVENTS = {"utility_credential_verified", "utility_credential_rejected", "utility_credential_revoked",
                     "utility_credential_verification_error", "utility_accounts_discovery_error"}


def _ids(values: Any) -> str:
    return ",".join(sorted({str(v) for v in values if v is not None}))


def event_to_notification(event: dict, receipt: str) -> Notification | None:
    """Which sync an Arc event asks for, narrowed to what it concerns. `test` and unknown types: none."""
    body = event.get("body") if isinstance(event.get("body"), dict) else event
    kind, data = body.get("type"), body.get("data") or {}
    event_id = str(event.get("event_id") or receipt)
    summary = f"{kind}"
    if kind in ACCOUNT_EVENTS:
        accounts = data.get("utility_accounts") or ([data] if data.get("id") else [])
        # The accounts travel in the event: they land from the inbox, then statements and intervals follow.
        return Notification(event_id, {"event_id": event_id, "account_id": _ids(a.get("id") for a in accounts)},
                            receipt, summary, syncs=("accounts",))
    if kind in STATEMENT_EVENTS:
        account_id = data.get("utility_account_id")
        return Notification(event_id, {"account_id": _ids([account_id])}, receipt, summary, syncs=("statements",))
    if kind in INTERVAL_EVENTS:
        scope = ({"meter_id": _ids([data["utility_meter_id"]])} if data.get("utility_meter_id")
                 else {"account_id": _ids([data.get("utility_account_id")])})
        return Notification(event_id, scope, receipt, summary, syncs=("intervals",))
    if kind in CREDENTIAL_EVENTS:
        credential_id = data.get("utility_credential_id") or data.get("id")
        return Notification(event_id, {"credential_id": _ids([credential_id])}, receipt, summary,
                            syncs=("credentials",))
    return None
