"""The Dagster code location: ingestion per vendor, the policy, dbt, schedules and checks.

Loaded by workspace.yaml (`dagster dev`) and by `python -m orchestration.run`. Runs use the
multiprocess executor, bounded per vendor (docs/architecture.md, "Fan-out"): syncs with a shard key
fan out into UTILITY_SYNC_SHARDS steps, at most UTILITY_<VENDOR>_MAX_PARALLEL of a vendor's steps
run at once, and dbt stays one writer (the `warehouse` pool).
"""

from __future__ import annotations

import os
import sys

from dagster import (
    AssetSelection,
    Definitions,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    multiprocess_executor,
    schedule,
)
from dagster_dbt import DbtCliResource

from connectors.settings import load_settings

from .automation import vendor_automation
from .dbt import DBT_PROJECT, WAREHOUSE_ASSETS
from .partitions import range_tags, trailing_range
from .ingestion import build_policy_asset, executor_config, sync_shards, vendor_assets, vendor_resource_key
from .resources import UtilityDataResource, VendorResource

SETTINGS = load_settings()
VENDOR_NAMES = list(SETTINGS.vendors)

sync_everything = define_asset_job(
    "sync_everything",
    selection=AssetSelection.all(),
    description="Pull every enabled vendor through the policy into the lake, then build the warehouse.",
)

@schedule(name="daily_sync", job=sync_everything, cron_schedule="0 6 * * *", execution_timezone="UTC",
          description="Daily sync of every vendor and the warehouse; interval months are fetched again for the "
                      "trailing UTILITY_RESYNC_MONTHS (default 3), because vendors revise recent readings.")
def daily_sync(context: ScheduleEvaluationContext):
    first, last = trailing_range(SETTINGS.resync_months, context.scheduled_execution_time)
    return RunRequest(run_key=None, tags=range_tags(first, last))

vendor_sensors, vendor_jobs, vendor_schedules = vendor_automation(VENDOR_NAMES)


def build_definitions(*, shards: int | None = None, max_concurrent: int | None = None) -> Definitions:
    """The code location. `shards`: steps per sync with a shard key (default UTILITY_SYNC_SHARDS,
    4; 1 = one step per sync); `max_concurrent`: step processes at once (default
    UTILITY_MAX_CONCURRENT, 0 = one per CPU). Per-vendor bounds from UTILITY_<VENDOR>_MAX_PARALLEL."""
    shards = sync_shards() if shards is None else shards
    return Definitions(
        assets=[*vendor_assets(VENDOR_NAMES, shards), build_policy_asset(VENDOR_NAMES), *WAREHOUSE_ASSETS],
        jobs=[sync_everything, *vendor_jobs],
        schedules=[daily_sync, *vendor_schedules],
        sensors=vendor_sensors,
        # Every job of the location (sync_everything, sensor and backfill runs): one process per
        # step, a vendor's steps bounded by its limit (tag utility_data/vendor).
        executor=multiprocess_executor.configured(executor_config(VENDOR_NAMES, max_concurrent=max_concurrent),
                                                  name="multiprocess_bounded_per_vendor"),
        resources={
            "utility_data": UtilityDataResource(),
            "dbt": DbtCliResource(
                project_dir=DBT_PROJECT,
                profiles_dir=str(DBT_PROJECT.project_dir),
                # the dbt of this environment, whatever PATH says
                dbt_executable=os.path.join(os.path.dirname(sys.executable), "dbt"),
            ),
            **{vendor_resource_key(v): VendorResource(vendor=v) for v in VENDOR_NAMES},
        },
    )


defs = build_definitions()


def sync_everything_job():
    """The `sync_everything` job of this location, for `reconstructable` (the multiprocess executor
    loads it again in every step process: the same environment gives the same shards)."""
    return defs.resolve_job_def("sync_everything")
