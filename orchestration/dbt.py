"""The dbt assets: every model, seed and test of dbt_project/, as one dbt process per run.

The manifest is prepared at install time (`make install` runs `python -m orchestration.prepare`),
never on import. dbt is the only writer of the warehouse; its assets share the `warehouse`
concurrency pool (limit 1 in dagster_home/dagster.yaml), so two runs never open the DuckDB
file for writing at once.
"""


import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from connectors.objectstore import AWS_ENV_VARS
from connectors.pipeline import ensure_lake_layout
from connectors.settings import DBT_PROJECT_DIR, Settings

from .partitions import MONTHS, SINGLE_RUN
from .recovery import discard_unborn_warehouse
from .resources import UtilityDataResource

log = logging.getLogger(__name__)

WAREHOUSE_POOL = "warehouse"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class UtilityDbtTranslator(DagsterDbtTranslator):
    """Sources keep the key of the ingestion asset that writes them ([vendor, entity]);
    models are keyed and grouped by warehouse schema (staging, intermediate, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "warehouse"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props.get("config", {}).get("schema") or "warehouse"


TRANSLATOR = UtilityDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


# The month-partitioned, incremental marts carry this dbt tag (fct_intervals, fct_interval_meter_months,
# fct_interval_coverage; dbt_project/macros/partitions.sql). Three assets split the project around them, so that a run
# about bills never rebuilds interval months and a month run never rebuilds the rest.
PARTITIONED_TAG = "tag:month_partitioned"


def dbt_environment(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables the dbt process needs: UTILITY_DATA_DIR (the warehouse), UTILITY_LAKE_URI
    (the lake root its sources read, when one is configured) and, for an s3:// lake, the standard
    AWS variables that s3fs (dbt_project/profiles.yml, `filesystems`) reads: credentials, region,
    endpoint. They reach dbt through the environment only, never its profile, logs or metadata."""
    env = os.environ if env is None else env
    out = settings.dbt_env()
    if not settings.lake_is_local:
        out.update({name: env[name] for name in AWS_ENV_VARS if env.get(name)})
    return out


def _prepare(utility: UtilityDataResource) -> None:
    settings = utility.settings()
    # Schema files for every dataset, and `.tmp-` leftovers removed (in the folder or the bucket).
    ensure_lake_layout(utility.lake())
    # Inside the warehouse pool (one dbt at a time): a file whose creation a killed run left
    # unopenable can only be that dead run's.
    if discard_unborn_warehouse(settings.warehouse_path):
        log.warning("removed %s: a killed run left it unopenable, it held no data", settings.warehouse_path)
    # dbt's profile and sources read these (absolute paths or the s3:// URI, see
    # dbt_project/profiles.yml); DbtCliResource starts dbt with this process's environment.
    os.environ.update(dbt_environment(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True)


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
    exclude=f"{PARTITIONED_TAG}+",
)
def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource, utility_data: UtilityDataResource):
    """Every model but the month-partitioned interval marts and what reads them."""
    _prepare(utility_data)
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
    select=PARTITIONED_TAG,
    name="warehouse_intervals",
    partitions_def=MONTHS,
    backfill_policy=SINGLE_RUN,
)
def warehouse_intervals(context: AssetExecutionContext, dbt: DbtCliResource, utility_data: UtilityDataResource):
    """The month-partitioned interval marts (readings, daily coverage): a run replaces exactly the
    months of its window (one month, or a backfill's whole range in one dbt process), and their
    data tests check that window."""
    _prepare(utility_data)
    window = context.partition_time_window
    dbt_vars = {"interval_window_start": window.start.isoformat(), "interval_window_end": window.end.isoformat()}
    context.log.info("interval marts for %s to %s (end exclusive)", window.start.date(), window.end.date())
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    pool=WAREHOUSE_POOL,
    select=f"{PARTITIONED_TAG}+",
    exclude=PARTITIONED_TAG,
    name="warehouse_interval_checks",
)
def warehouse_interval_checks(context: AssetExecutionContext, dbt: DbtCliResource,
                              utility_data: UtilityDataResource):
    """What reads the interval marts and the bills (fct_interval_reconciliation): small tables,
    rebuilt whole after either changes."""
    _prepare(utility_data)
    yield from dbt.cli(["build"], context=context).stream()


# Dagster's assets over the dbt project, split around the month-partitioned interval marts.
WAREHOUSE_ASSETS = [warehouse_models, warehouse_intervals, warehouse_interval_checks]
