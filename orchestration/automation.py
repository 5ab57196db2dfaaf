"""Sensors and schedules generated from vendor specs: notification-driven runs and periodic
vendor-side refreshes (for vendors that declare them)."""

import hashlib
import json
import os

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    OpExecutionContext,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    job,
    op,
    sensor,
)

from connectors.core.vendor import VendorSpec
from connectors.registry import VENDORS

from .partitions import full_range, range_tags
from .ingestion import SCOPE_TAG_PREFIX, vendor_resource_key

MAX_EVENTS_PER_TICK = 25


def notification_asset_keys(spec: VendorSpec, sync_names: tuple[str, ...] = ()) -> list[AssetKey]:
    names = sync_names or spec.notification_syncs
    syncs = [s for s in spec.syncs if s.name in names]
    return [AssetKey([spec.name, entity]) for s in syncs for entity in s.produces]


def other_vendors_ingestion(spec: VendorSpec) -> AssetSelection:
    keys = [AssetKey([name, entity]) for name, other in VENDORS.items() if name != spec.name
            for sync in other.syncs for entity in sync.produces]
    return AssetSelection.assets(*keys)


def event_selection(spec: VendorSpec, sync_names: tuple[str, ...]) -> AssetSelection:
    """The syncs an event asks for, what depends on them (policy, dbt), never other vendors' syncs
    (they are downstream of the policy too, but an event of this vendor is not news for them)."""
    return AssetSelection.assets(*notification_asset_keys(spec, sync_names)).downstream() - other_vendors_ingestion(spec)


def batch_run_key(vendor: str, keys: list[str]) -> str:
    if len(keys) == 1:
        return f"{vendor}:{keys[0]}"
    return f"{vendor}:batch:{hashlib.sha256(','.join(sorted(keys)).encode()).hexdigest()[:16]}"


def merged_scope_tags(events) -> dict[str, str]:
    values: dict[str, set[str]] = {}
    for event in events:
        for key, value in event.scope.items():
            values.setdefault(key, set()).update(str(value).split(","))
    return {f"{SCOPE_TAG_PREFIX}{k}": ",".join(sorted(v)) for k, v in values.items()}


def build_notification_sensor(spec: VendorSpec):
    """Turn the vendor's notifications into runs of the syncs they concern, then dbt.

    At least once: a tick acknowledges (deletes) the events received on the previous tick, whose
    run requests Dagster has stored by then; the run key (the event's key) makes a redelivered
    event harmless.
    """
    every_sync = tuple(sorted({name for name in spec.notification_syncs} | {
        s.name for s in spec.syncs}))
    selection = event_selection(spec, every_sync)

    @sensor(
        name=f"{spec.name}_notifications",
        asset_selection=selection,
        minimum_interval_seconds=30,
        default_status=DefaultSensorStatus.RUNNING,
        description=f"Requests a run for each {spec.display_name} notification (e.g. a finished extraction job).",
    )
    def _sensor(context: SensorEvaluationContext):
        cursor = json.loads(context.cursor) if context.cursor else {}
        source = spec.notifications(os.environ)
        try:
            if cursor.get("unacknowledged"):
                source.acknowledge(cursor["unacknowledged"])
            events = source.receive(MAX_EVENTS_PER_TICK)
        finally:
            source.close()
        context.update_cursor(json.dumps({"unacknowledged": [e.receipt for e in events if e.receipt]}))
        if not events:
            yield SkipReason("no notifications")
            return
        # One run per tick and set of syncs (a refresh finishes many jobs at once): scopes are
        # merged, e.g. profile_id=101,102; the run key is the set of event keys.
        groups: dict[tuple[str, ...], list] = {}
        for event in events:
            context.log.info("%s notification %s: %s", spec.name, event.key, event.summary)
            groups.setdefault(tuple(sorted(event.syncs or spec.notification_syncs)), []).append(event)
        for sync_names, group in sorted(groups.items()):
            tags = merged_scope_tags(group)
            partitioned = any(s.partitioned_by_month for s in spec.syncs if s.name in sync_names)
            if context.repository_def:
                graph = context.repository_def.asset_graph
                selection = list(event_selection(spec, sync_names).resolve(graph))
                if not partitioned:
                    # An event about bills or accounts changes no interval reading: its run leaves
                    # the month-partitioned marts to the interval syncs' runs and the daily re-sync
                    # (they are downstream only through slowly changing meter attributes).
                    selection = [key for key in selection if graph.get(key).partitions_def is None]
            else:
                selection = notification_asset_keys(spec, sync_names)
            if partitioned:
                # The interval syncs and marts are month-partitioned: the event's run covers every
                # month (the scope keeps it to the meters or customers the event names).
                tags.update(range_tags(*full_range()))
            yield RunRequest(run_key=batch_run_key(spec.name, [e.key for e in group]), tags=tags,
                             asset_selection=selection)

    return _sensor


def build_refresh_schedule(spec: VendorSpec):
    refresh = spec.refresh
    resource_key = vendor_resource_key(spec.name)

    @op(name=f"{spec.name}_{refresh.name}_op", required_resource_keys={resource_key}, description=refresh.description)
    def _refresh(context: OpExecutionContext):
        connection = getattr(context.resources, resource_key).connect()
        try:
            counts = refresh.run(connection, context.log)
        finally:
            connection.close()
        context.log.info("%s %s: %s", spec.name, refresh.name, counts)
        context.add_output_metadata({k: v for k, v in counts.items() if isinstance(v, (int, float, str))})

    @job(name=f"{spec.name}_{refresh.name}", description=refresh.description)
    def _job():
        _refresh()

    schedule = ScheduleDefinition(
        name=f"{spec.name}_{refresh.name}_schedule",
        job=_job,
        cron_schedule=os.environ.get(refresh.cron_env) or refresh.default_cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.STOPPED,
        description=f"{refresh.description} Cron from {refresh.cron_env} (default {refresh.default_cron}).",
    )
    return _job, schedule


def vendor_automation(vendors: list[str]):
    sensors, jobs, schedules = [], [], []
    for name in vendors:
        spec = VENDORS[name]
        if spec.notifications is not None:
            sensors.append(build_notification_sensor(spec))
        if spec.refresh is not None:
            refresh_job, schedule = build_refresh_schedule(spec)
            jobs.append(refresh_job)
            schedules.append(schedule)
    return sensors, jobs, schedules
