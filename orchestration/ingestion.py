"""Dagster assets for ingestion, generated from each vendor's VendorSpec.

Thin wrappers: every asset opens the vendor connection, calls the vendor's sync function
(pure, tested without Dagster) and turns its SyncResult into materialization metadata and
an asset check on quarantined records.
"""


from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from connectors.core.vendor import SyncContext, SyncResult, SyncSpec, VendorSpec
from connectors.lake import new_load_id
from connectors.pipeline import POLICY_NAMESPACE, compile_current_policy, write_compiled_policy
from connectors.policy import POLICY_SCHEMAS
from connectors.registry import VENDORS

from .partitions import MONTHS, SINGLE_RUN
from .resources import UtilityDataResource

POLICY_KEYS = [AssetKey([POLICY_NAMESPACE, name]) for name in POLICY_SCHEMAS]
QUARANTINE_CHECK = "no_quarantined_records"


SCOPE_TAG_PREFIX = "scope/"


def vendor_resource_key(vendor: str) -> str:
    return f"vendor_{vendor}"


def run_scope(tags) -> dict[str, str]:
    """Run tags `scope/<key>` narrow a sync (set by notification sensors)."""
    return {k.removeprefix(SCOPE_TAG_PREFIX): v for k, v in tags.items() if k.startswith(SCOPE_TAG_PREFIX)}


def _metadata(result: SyncResult, entity: str, connection, load_id: str) -> dict:
    landed = result.entities.get(entity)
    metadata = {
        "rows_landed": MetadataValue.int(landed.rows if landed else 0),
        "files_written": MetadataValue.int(landed.files if landed else 0),
        "load_id": MetadataValue.text(load_id),
        "source": MetadataValue.text("sandbox" if connection.is_sandbox else "vendor API"),
        "quarantined": MetadataValue.int(result.quarantined),
        "http_requests": MetadataValue.int(result.http.get("requests", 0)),
        "http_retries": MetadataValue.int(result.http.get("retries", 0)),
    }
    if result.counters:
        metadata["counters"] = MetadataValue.json(result.counters)
    if landed and landed.preview:
        metadata["preview"] = MetadataValue.json(landed.preview)
    return metadata


def build_sync_asset(spec: VendorSpec, sync: SyncSpec):
    keys = {entity: AssetKey([spec.name, entity]) for entity in sync.produces}
    deps = [AssetKey([spec.name, dep]) for dep in sync.depends_on]
    if sync.uses_policy:
        deps += POLICY_KEYS
    first_key = keys[sync.produces[0]]
    resource_key = vendor_resource_key(spec.name)

    @multi_asset(
        name=f"{spec.name}__{sync.name}",
        specs=[
            AssetSpec(key, deps=deps, group_name=spec.name, description=spec.entities[entity].description,
                      kinds={"parquet", "python"}, metadata={"lake_path": f"lake/{spec.name}/{entity}"},
                      partitions_def=MONTHS if sync.partitioned_by_month else None)
            for entity, key in keys.items()
        ],
        backfill_policy=SINGLE_RUN if sync.partitioned_by_month else None,
        check_specs=[AssetCheckSpec(QUARANTINE_CHECK, asset=first_key,
                                    description="Warns when this sync quarantined malformed records.")],
        required_resource_keys={"utility_data", resource_key},
        description=sync.description,
    )
    def _sync(context: AssetExecutionContext):
        utility: UtilityDataResource = context.resources.utility_data
        settings = utility.settings()
        lake = utility.lake()
        policy = compile_current_policy(settings, lake) if sync.uses_policy else None
        load_id = new_load_id()
        connection = getattr(context.resources, resource_key).connect()
        try:
            context.log.info("%s %s: load %s from %s", spec.name, sync.name, load_id,
                             "the sandbox" if connection.is_sandbox else connection.base_url)
            scope = run_scope(context.run.tags)
            if scope:
                context.log.info("%s %s: scoped to %s", spec.name, sync.name, scope)
            window = None
            if sync.partitioned_by_month:
                time_window = context.partition_time_window
                window = (time_window.start, time_window.end)
                context.log.info("%s %s: months %s to %s (end exclusive), fetched again in full", spec.name,
                                 sync.name, time_window.start.date(), time_window.end.date())
            result = sync.run(SyncContext(spec.name, connection, lake, load_id, policy, context.log, scope=scope,
                                          window=window))
            for entity, key in keys.items():
                yield MaterializeResult(asset_key=key, metadata=_metadata(result, entity, connection, load_id))
            yield AssetCheckResult(
                check_name=QUARANTINE_CHECK, asset_key=first_key, passed=result.quarantined == 0,
                severity=AssetCheckSeverity.WARN,
                metadata={"quarantined": result.quarantined, "reasons": MetadataValue.json(result.quarantine_reasons)},
                description=None if result.quarantined == 0 else
                f"{result.quarantined} record(s) quarantined in lake/{spec.name}/quarantine",
            )
        finally:
            connection.close()

    return _sync


def vendor_assets(vendors: list[str]) -> list:
    return [build_sync_asset(VENDORS[v], sync) for v in vendors for sync in VENDORS[v].syncs]


def vendor_customer_keys(vendors: list[str]) -> list[AssetKey]:
    keys = []
    for v in vendors:
        spec = VENDORS[v]
        for sync in spec.syncs:
            if spec.customer_entity in sync.produces:
                keys.append(AssetKey([v, spec.customer_entity]))
    return keys


def build_policy_asset(vendors: list[str]):
    @multi_asset(
        name="policy",
        specs=[
            AssetSpec(key, deps=vendor_customer_keys(vendors), group_name="policy", kinds={"parquet", "python"},
                      description=f"The compiled unlock/history policy ({key.path[-1]}), from policy.yml and "
                                  "the customers' link times.")
            for key in POLICY_KEYS
        ],
        required_resource_keys={"utility_data"},
        description="Compiles policy.yml into per-customer windows for ingestion and dbt.",
    )
    def _policy(context: AssetExecutionContext):
        utility: UtilityDataResource = context.resources.utility_data
        settings, lake = utility.settings(), utility.lake()
        compiled = compile_current_policy(settings, lake)
        counts = write_compiled_policy(lake, compiled)
        context.log.info("policy %s compiled for %d customers", settings.policy_file, len(compiled.customers))
        for key in POLICY_KEYS:
            yield MaterializeResult(asset_key=key, metadata={
                "rows": MetadataValue.int(counts[key.path[-1]]),
                "policy_file": MetadataValue.path(str(settings.policy_file)),
                "policy_sha256": MetadataValue.text(compiled.policy.sha256),
                "default_history": MetadataValue.text(str(compiled.policy.default.history)),
                "default_continuous": MetadataValue.bool(compiled.policy.default.continuous),
            })

    return _policy
