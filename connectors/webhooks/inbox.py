"""The lake inbox: accepted webhook events, one JSON file each, durable before the vendor is answered.

    lake/inbox/<vendor>/pending/<event_id>.json     accepted, not yet turned into a run
    lake/inbox/<vendor>/processed/<event_id>.json   acknowledged by the Dagster sensor

Each file holds {"event_id", "vendor", "received_at", "headers", "body"}: only non-secret
headers (content type, Arc's timestamp; never a signature), the body as parsed JSON.

Writing is atomic and durable: a temporary file in pending/ (`.inbox-tmp-*`, skipped by every
reader), fsync, a hard link to the final name (which fails if the name exists: two concurrent
deliveries of one event store it once), fsync of the directory, then the temporary name goes.
An event id already in pending/ or processed/ is a duplicate and is not rewritten.

`InboxNotifications` is the NotificationSource the vendor's Dagster sensor reads: `receive`
lists pending events oldest first and maps each through `WebhookSpec.to_notification`;
`acknowledge` moves them to processed/ (an atomic rename).

On a lake on S3 (`UTILITY_LAKE_URI=s3://...`) the inbox is `<lake URI>/inbox/<vendor>/...` with the
same layout (`ObjectStoreInbox`): an event is one PUT of its final object (atomic: whole or
absent; no temporary object, no fsync to do), two concurrent deliveries of one event write the
same key (stored once, the later copy wins), `pending/` is listed oldest first by the objects'
LastModified (then by name), and acknowledging is a copy to processed/ then a delete (not atomic:
for a moment the event is in both, which readers treat as processed).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.vendor import Notification
from ..objectstore import LakeStorageError, ObjectPath, is_object_store_uri

if TYPE_CHECKING:
    from . import WebhookSpec

log = logging.getLogger("connectors.webhooks.inbox")

INBOX_NAMESPACE = "inbox"
PENDING = "pending"
PROCESSED = "processed"
SUFFIX = ".json"
TMP_PREFIX = ".inbox-tmp-"  # not the lake's ".tmp-": Lake.cleanup_temp_files must not race a delivery
STALE_TMP_AFTER_S = 3600
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def safe_event_id(event_id: str) -> str:
    """The id as a file name: kept when it is plain, else a digest of it (same id, same name)."""
    if _SAFE_ID.fullmatch(event_id) and not event_id.endswith("."):
        return event_id
    return "sha256-" + hashlib.sha256(event_id.encode("utf-8", "surrogatepass")).hexdigest()


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some filesystems refuse fsync on directories
        pass
    finally:
        os.close(fd)


def _ensure_dir(directory: Path) -> None:
    """mkdir -p, with each new directory entry made durable (fsync of its parent)."""
    if directory.is_dir():
        return
    missing = []
    cursor = directory
    while not cursor.exists():
        missing.append(cursor)
        cursor = cursor.parent
    directory.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        _fsync_dir(created.parent)


class Inbox:
    """One vendor's inbox under a lake root: a local folder, or `s3://...` (ObjectStoreInbox)."""

    def __new__(cls, lake_root: str | Path | ObjectPath, vendor: str):
        if cls is Inbox and is_object_store_uri(lake_root):
            cls = ObjectStoreInbox
        return super().__new__(cls)

    def __init__(self, lake_root: str | Path, vendor: str) -> None:
        self.vendor = vendor
        self.root = Path(lake_root) / INBOX_NAMESPACE / vendor
        self.pending = self.root / PENDING
        self.processed = self.root / PROCESSED

    # -- writing (the receiver) -------------------------------------------------------------------

    def contains(self, event_id: str) -> bool:
        name = safe_event_id(event_id) + SUFFIX
        return (self.pending / name).exists() or (self.processed / name).exists()

    def store(self, event_id: str, body: Any, *, headers: Mapping[str, str] | None = None,
              received_at: float | None = None) -> bool:
        """Write the event durably; False (nothing written) when it is already in the inbox."""
        event_id = safe_event_id(event_id)
        name = event_id + SUFFIX
        if self.contains(event_id):
            return False
        final = self.pending / name
        if not self._publish(final, _record(self.vendor, event_id, body, headers, received_at)):
            return False
        # Acknowledged between our first check and the publish: the copy in processed/ wins.
        if (self.processed / name).exists():
            final.unlink(missing_ok=True)
            return False
        return True

    def _publish(self, final: Path, data: bytes) -> bool:
        """Make `final` appear whole, only if absent; False when it already existed."""
        _ensure_dir(self.pending)
        tmp = self.pending / f"{TMP_PREFIX}{uuid.uuid4().hex}-{final.name}"
        try:
            with open(tmp, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, final)  # atomic create-if-absent
            except FileExistsError:
                return False
            except OSError:
                # A filesystem without hard links: rename, after one more existence check.
                if final.exists():
                    return False
                os.replace(tmp, final)
            _fsync_dir(self.pending)
        finally:
            tmp.unlink(missing_ok=True)
        return True

    # -- reading (the sensor) ---------------------------------------------------------------------

    def pending_files(self) -> list[Path]:
        """Pending events, oldest first."""
        if not self.pending.is_dir():
            return []
        entries = []
        now = time.time()
        with os.scandir(self.pending) as it:
            for entry in it:
                if entry.name.startswith(TMP_PREFIX):
                    try:
                        if now - entry.stat().st_mtime > STALE_TMP_AFTER_S:  # left by a crash
                            os.unlink(entry.path)
                    except OSError:
                        pass
                    continue
                if entry.name.startswith(".") or not entry.name.endswith(SUFFIX) or not entry.is_file():
                    continue
                try:
                    entries.append((entry.stat().st_mtime_ns, entry.name))
                except FileNotFoundError:  # acknowledged meanwhile
                    continue
        return [self.pending / name for _, name in sorted(entries)]

    def read(self, receipt: str) -> dict:
        return json.loads((self.pending / _receipt_name(receipt)).read_bytes())

    def find(self, event_id: str) -> dict | None:
        """A stored event by id, pending or already processed (a run may start after the sensor
        acknowledged the event that requested it); None when it is in neither."""
        name = safe_event_id(event_id) + SUFFIX
        for directory in (self.pending, self.processed):  # the order an acknowledgement moves it
            try:
                return json.loads((directory / name).read_bytes())
            except FileNotFoundError:
                continue
        return None

    def acknowledge(self, receipts: list[str]) -> int:
        """Move events to processed/; unknown or already moved receipts are ignored."""
        moved = 0
        if not receipts:
            return 0
        _ensure_dir(self.processed)
        for receipt in receipts:
            name = _receipt_name(receipt)
            try:
                os.replace(self.pending / name, self.processed / name)
                moved += 1
            except FileNotFoundError:
                continue
        if moved:
            _fsync_dir(self.processed)
            _fsync_dir(self.pending)
        return moved


class ObjectStoreInbox(Inbox):
    """The inbox on object storage (S3): same layout, same contract, object operations."""

    def __init__(self, lake_root: str | ObjectPath, vendor: str) -> None:
        self.vendor = vendor
        root = lake_root if isinstance(lake_root, ObjectPath) else ObjectPath.from_uri(str(lake_root))
        self.root = root / INBOX_NAMESPACE / vendor  # type: ignore[assignment]
        self.pending = self.root / PENDING  # type: ignore[assignment]
        self.processed = self.root / PROCESSED  # type: ignore[assignment]

    def _publish(self, final: ObjectPath, data: bytes) -> bool:  # type: ignore[override]
        final.write_bytes(data)  # one PUT: atomic
        return True

    def pending_files(self) -> list[ObjectPath]:  # type: ignore[override]
        entries = []
        for path, info in self.pending.files(recursive=False):
            if path.name.startswith(".") or not path.name.endswith(SUFFIX):
                continue
            entries.append((info.mtime_ns or 0, path.name, path))
        return [path for _, _, path in sorted(entries, key=lambda e: (e[0], e[1]))]

    def acknowledge(self, receipts: list[str]) -> int:
        moved = 0
        for receipt in receipts:
            name = _receipt_name(receipt)
            source = self.pending / name
            try:
                source.replace(self.processed / name)  # copy, then delete
                moved += 1
            except (FileNotFoundError, LakeStorageError):
                if source.exists():
                    raise
        return moved


def _record(vendor: str, event_id: str, body: Any, headers: Mapping[str, str] | None,
            received_at: float | None) -> bytes:
    record = {
        "event_id": event_id,
        "vendor": vendor,
        "received_at": datetime.fromtimestamp(received_at if received_at is not None else time.time(), UTC)
        .isoformat().replace("+00:00", "Z"),
        "headers": dict(headers or {}),
        "body": body,
    }
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _receipt_name(receipt: str) -> str:
    name = os.path.basename(receipt)
    if name != receipt or not name.endswith(SUFFIX) or name.startswith("."):
        raise ValueError(f"not an inbox receipt: {receipt!r}")
    return name


class InboxNotifications:
    """A NotificationSource over one vendor's inbox (see `connectors.core.vendor`)."""

    def __init__(self, lake_root: str | Path | ObjectPath, spec: WebhookSpec) -> None:
        self.spec = spec
        self.inbox = Inbox(lake_root, spec.vendor)

    def receive(self, max_events: int) -> list[Notification]:
        events: list[Notification] = []
        no_run: list[str] = []
        for path in self.inbox.pending_files():
            if len(events) >= max_events:
                break
            receipt = path.name
            try:
                stored = json.loads(path.read_bytes())
            except FileNotFoundError:
                continue
            except ValueError:
                log.warning("%s inbox: %s is not readable JSON; moving it to processed/", self.spec.vendor, receipt)
                no_run.append(receipt)
                continue
            try:
                notification = self.spec.to_notification(stored, receipt)
            except Exception as exc:  # noqa: BLE001 - one bad event must not block the others
                log.error("%s inbox: event %s could not be mapped (%s: %s); left pending",
                          self.spec.vendor, receipt, type(exc).__name__, exc)
                continue
            if notification is None:
                no_run.append(receipt)
                continue
            if notification.receipt != receipt:
                notification = dataclasses.replace(notification, receipt=receipt)
            events.append(notification)
        if no_run:
            # Stored for the record, no run to request: nothing to wait for.
            self.inbox.acknowledge(no_run)
        return events

    def acknowledge(self, receipts: list[str]) -> None:
        self.inbox.acknowledge(receipts)

    def close(self) -> None:
        pass


def inbox_notification_source(spec: Any):
    """A `VendorSpec.notifications` factory: `(env) -> InboxNotifications` on the lake of `env`.

    `spec` is the vendor's WebhookSpec, or its VendorSpec (whose `.webhook` is used).
    """
    webhook = spec.webhook if hasattr(spec, "webhook") else spec
    if webhook is None:
        raise ValueError(f"vendor {spec.name!r} declares no webhook")

    def factory(env: Mapping[str, str]) -> InboxNotifications:
        from ..settings import load_settings

        return InboxNotifications(load_settings(env).lake_dir, webhook)

    return factory
