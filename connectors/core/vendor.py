"""What a vendor module declares, so that orchestration can stay generic.

A vendor is one module in `connectors/<vendor>/` that exports `VENDOR: VendorSpec`, plus one
line in `connectors/registry.py`. Orchestration builds its Dagster assets from the spec
(one multi-asset per `SyncSpec`, or a fan-out of shard steps for a sync with a `shard_key`), dbt reads its lake datasets from its staging folder.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from ..lake import Entity, Lake
    from ..policy import CompiledPolicy, CustomerLink

T = TypeVar("T")


def shard_of(key: str | None, count: int) -> int:
    """The shard (0..count-1) a key belongs to: CRC-32 of its UTF-8 text, modulo `count`.

    Stable across processes, machines and Python versions (never Python's salted `hash()`), so
    every step process of a fanned-out sync agrees on who owns which customer. A missing key
    belongs to shard 0."""
    if count < 1:
        raise ValueError(f"a shard count is at least 1, got {count}")
    return zlib.crc32((key or "").encode("utf-8")) % count


@dataclass(frozen=True)
class Shard:
    """One of `count` disjoint parts of a sync's work (`SyncSpec.shard_key` says over what)."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    def owns(self, key: str | None) -> bool:
        return shard_of(key, self.count) == self.index

    def __str__(self) -> str:
        return f"shard {self.index + 1}/{self.count}"


def in_shard(shard: Shard | None, items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
    """The items `shard` owns (all of them without a shard), in their order."""
    return list(items) if shard is None else [item for item in items if shard.owns(key(item))]


@dataclass
class VendorConnection:
    """An open client to the real vendor or its sandbox (what `VendorSpec.connect` returns)."""

    vendor: str
    client: Any
    is_sandbox: bool
    base_url: str

    def close(self) -> None:
        self.client.close()


@dataclass
class SyncContext:
    vendor: str
    connection: Any
    lake: Lake
    load_id: str
    policy: CompiledPolicy | None
    log: logging.Logger | logging.LoggerAdapter
    # Narrows a sync to part of the vendor's data, e.g. {"profile_id": "516"} for a run requested
    # by a job-completion notification. Empty = everything. Dagster passes run tags `scope/<key>`.
    scope: Mapping[str, str] = field(default_factory=dict)
    # The [start, end) of the month partitions a partitioned sync runs for (a backfill or the
    # trailing-months re-sync): fetch all of it again, whatever the incremental cursors say.
    window: tuple[datetime, datetime] | None = None
    # A fanned-out sync runs as `Shard.count` steps; this one handles only the customers (or
    # files) its shard owns (`in_shard`). None = everything, in one step.
    shard: Shard | None = None


@dataclass
class EntityResult:
    rows: int = 0
    files: int = 0
    preview: list[dict[str, Any]] = field(default_factory=list)
    # Records met more than once in one sync (a vendor repeating records across pages), dropped
    # before landing by the entity's key; `land_quarantine` sums them into the sync's counters.
    duplicates_dropped: int = 0


@dataclass
class SyncResult:
    entities: dict[str, EntityResult] = field(default_factory=dict)
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)


PREVIEW_ROWS = 5


def _add(total: Any, value: Any) -> Any:
    """Sum numbers, and dicts of numbers key by key (HTTP counters by status); else keep the first."""
    if isinstance(total, bool) or isinstance(value, bool):
        return total
    if isinstance(total, (int, float)) and isinstance(value, (int, float)):
        return total + value
    if isinstance(total, dict) and isinstance(value, dict):
        merged = dict(total)
        for key, item in value.items():
            merged[key] = _add(merged[key], item) if key in merged else item
        return merged
    return total


def merge_results(results: Iterable[SyncResult]) -> SyncResult:
    """The shards of one sync as one SyncResult: rows, files, quarantine, counters and HTTP
    counters summed; the preview is the first rows of the shards' previews."""
    merged = SyncResult()
    for result in results:
        for name, entity in result.entities.items():
            total = merged.entities.setdefault(name, EntityResult())
            total.rows += entity.rows
            total.files += entity.files
            total.duplicates_dropped += entity.duplicates_dropped
            total.preview = (total.preview + entity.preview)[:PREVIEW_ROWS]
        merged.quarantined += result.quarantined
        merged.quarantine_reasons = _add(merged.quarantine_reasons, result.quarantine_reasons)
        merged.counters = _add(merged.counters, result.counters)
        merged.http = _add(merged.http, result.http)
    merged.quarantine_reasons = dict(sorted(merged.quarantine_reasons.items()))
    return merged


@dataclass(frozen=True)
class SyncSpec:
    """One unit of ingestion: calls some endpoints, lands one or more entities."""

    name: str
    produces: tuple[str, ...]
    run: Callable[[SyncContext], SyncResult]
    depends_on: tuple[str, ...] = ()  # entities of the same vendor that must be landed first
    uses_policy: bool = False
    description: str = ""
    # Month-partitioned in Dagster (interval syncs): runs get SyncContext.window.
    partitioned_by_month: bool = False
    # What the sync's work splits on, e.g. "customer_id": set = the sync honours SyncContext.shard
    # and orchestration may run it as several independent steps (docs/architecture.md, Fan-out).
    # Empty = one step (lists of shared entities: customers, utilities, change logs).
    shard_key: str = ""


@dataclass(frozen=True)
class Notification:
    """A vendor event that asks for a targeted sync (e.g. WattzOn's job-completion message)."""

    key: str  # unique per event: Dagster's run key, so a redelivered event requests no second run
    scope: Mapping[str, str]  # becomes SyncContext.scope
    receipt: str | None = None  # what the source needs to acknowledge (delete) the event
    summary: str = ""
    # The SyncSpec names this event concerns; empty = the vendor's `notification_syncs`.
    syncs: tuple[str, ...] = ()


class NotificationSource(Protocol):
    """At-least-once event source: `receive` hides events for a while, `acknowledge` deletes them.

    The Dagster sensor acknowledges a tick's events only on the next tick, after the run requests
    of the tick that received them were stored: an event is never lost between the two.
    """

    def receive(self, max_events: int) -> list[Notification]: ...

    def acknowledge(self, receipts: list[str]) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class RefreshSpec:
    """A periodic vendor-side action (e.g. start WattzOn extraction jobs for every profile)."""

    name: str
    run: Callable[[Any, logging.Logger | logging.LoggerAdapter], dict[str, Any]]  # (connection, log) -> counts
    cron_env: str  # env var that overrides the schedule
    default_cron: str
    description: str = ""


@dataclass(frozen=True)
class VendorSpec:
    name: str
    display_name: str
    entities: Mapping[str, Entity]
    syncs: tuple[SyncSpec, ...]
    connect: Callable[[Mapping[str, str]], VendorConnection]
    customer_links: Callable[[Lake], list[CustomerLink]]
    # The entity that holds the policy's customers and their link times: the policy asset
    # depends on it (Bayou/WattzOn "customers", Arcadia "credentials", Urjanet "accounts").
    customer_entity: str = "customers"
    credential_env_vars: tuple[str, ...] = ()
    # The sandbox: how to start one (returns a server with .url and .stop()), the env var that
    # points every process at a shared one, and everything a process needs to reach it.
    start_sandbox: Callable[[], Any] | None = None
    sandbox_url_env: str = ""
    sandbox_env: Callable[[Any], dict[str, str]] | None = None
    # Optional event-driven and periodic parts, turned into a Dagster sensor and schedule.
    notifications: Callable[[Mapping[str, str]], NotificationSource] | None = None
    notification_syncs: tuple[str, ...] = ()  # the SyncSpec names a notification triggers by default
    refresh: RefreshSpec | None = None
    # Signed (or token-protected) webhooks accepted by the shared receiver (connectors/webhooks/).
    webhook: Any = None

    def uses_sandbox(self, env: Mapping[str, str]) -> bool:
        """Any of `credential_env_vars` set means the real vendor."""
        return not any(env.get(name, "").strip() for name in self.credential_env_vars)
