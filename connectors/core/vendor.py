"""What a vendor module declares, so that orchestration can stay generic.

A vendor is one module in `connectors/<vendor>/` that exports `VENDOR: VendorSpec`, plus one
line in `connectors/registry.py`. Orchestration builds its Dagster assets from the spec
(one multi-asset per `SyncSpec`), dbt reads its lake datasets from its staging folder.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..lake import Entity, Lake
    from ..policy import CompiledPolicy, CustomerLink


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
