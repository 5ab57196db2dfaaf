"""Where WattzOn's job-completion notifications come from.

With WATTZON_SQS_QUEUE_URL set: Amazon SQS through boto3 (the real product's channel; region and
credentials from the usual AWS environment). Otherwise the sandbox's queue
(`GET /_sandbox/notifications`), which removes what it returns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from pydantic import ValidationError

from ..core.vendor import Notification
from .records import Notification as WattzonNotification

log = logging.getLogger("connectors.wattzon.notifications")
SQS_VISIBILITY_TIMEOUT_S = 300  # hidden while the run request is stored; redelivered if never acknowledged


def to_event(body: Any, receipt: str | None) -> Notification | None:
    """A Link notification to a targeted-sync event; None for messages that are not Link's."""
    try:
        message = WattzonNotification.model_validate(body)
    except ValidationError as exc:
        log.warning("wattzon: ignoring a malformed notification (%s)", exc.errors(include_url=False)[:1])
        return None
    if message.app not in (None, "link") or message.profile_id is None or not message.job_id:
        return None
    return Notification(
        key=message.job_id,
        scope={"profile_id": str(message.profile_id)},
        receipt=receipt,
        summary=f"profile {message.profile_id} {message.mode or ''} job {message.job_id} {message.final_state}",
    )


class SqsNotifications:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        import boto3

        self.queue_url = queue_url
        self.sqs = client or boto3.client("sqs")

    def receive(self, max_events: int) -> list[Notification]:
        events: list[Notification] = []
        while len(events) < max_events:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, max_events - len(events)),
                VisibilityTimeout=SQS_VISIBILITY_TIMEOUT_S, WaitTimeSeconds=0,
            )
            messages = answer.get("Messages", [])
            if not messages:
                break
            for message in messages:
                try:
                    body = orjson.loads(message["Body"])
                except orjson.JSONDecodeError:
                    log.warning("wattzon: SQS message %s is not JSON; deleting it", message.get("MessageId"))
                    self.acknowledge([message["ReceiptHandle"]])
                    continue
                event = to_event(body, message["ReceiptHandle"])
                if event is None:
                    self.acknowledge([message["ReceiptHandle"]])
                else:
                    events.append(event)
        return events

    def acknowledge(self, receipts: list[str]) -> None:
        for start in range(0, len(receipts), 10):
            batch = receipts[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": handle} for i, handle in enumerate(batch)],
            )

    def close(self) -> None:
        pass


class SandboxNotifications:
    """The sandbox's queue: receiving removes messages, so acknowledging is a no-op."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def receive(self, max_events: int) -> list[Notification]:
        client = self.connection.client
        root = client.base_url.rsplit("/link/", 1)[0]
        body = client.http.get_json(f"{root}/_sandbox/notifications", params={"max": max_events})
        return [e for e in (to_event(m, None) for m in body.get("messages", [])) if e is not None]

    def acknowledge(self, receipts: list[str]) -> None:
        pass

    def close(self) -> None:
        self.connection.close()


def notification_source(env: Mapping[str, str]):
    queue_url = env.get("WATTZON_SQS_QUEUE_URL", "").strip()
    if queue_url:
        return SqsNotifications(queue_url)
    from . import connect

    connection = connect(env)
    if not connection.is_sandbox:
        connection.close()
        log.info("wattzon: WATTZON_SQS_QUEUE_URL is not set: no job notifications to read")
        return NoNotifications()
    return SandboxNotifications(connection)


class NoNotifications:
    def receive(self, max_events: int) -> list[Notification]:
        return []

    def acknowledge(self, receipts: list[str]) -> None:
        pass

    def close(self) -> None:
        pass
