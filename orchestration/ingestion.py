"""Dagster assets for ingestion, generated from each vendor's VendorSpec.

Thin wrappers: every asset opens the vendor connection, calls the vendor's sync function
(pure, tested without Dagster) and turns its SyncResult into materialization metadata and
an asset check on quarantined records.

Fan-out (docs/architecture.md): a sync with a `shard_key` (per customer, profile, credential or
delivery file) becomes a graph-backed multi-asset of `UTILITY_SYNC_SHARDS` independent shard
steps, each landing the part of the work its shard owns, and one report step that sums them into
the assets' materializations and the quarantine check. Asset keys, lineage, partitions and checks
are those of the one-step asset. Every vendor step carries the tag `utility_data/vendor=<name>`;
the multiprocess executor runs at most `UTILITY_<VENDOR>_MAX_PARALLEL` of them at once.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    AssetOut,
    AssetSpec,
    In,
    MaterializeResult,
    MetadataValue,
    Nothing,
    OpExecutionContext,
    Out,
    graph_multi_asset,
    multi_asset,
    op,
)

from connectors.core.vendor import Shard, SyncContext, SyncResult, SyncSpec, VendorSpec, merge_results
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


# -- fan-out settings --------------------------------------------------------------------------

VENDOR_TAG = "utility_data/vendor"  # on every step that calls a vendor: the executor bounds them per vendor
SHARDS_ENV = "UTILITY_SYNC_SHARDS"
DEFAULT_SHARDS = 2
MAX_PARALLEL_ENV = "UTILITY_{VENDOR}_MAX_PARALLEL"
DEFAULT_MAX_PARALLEL = 2
MAX_CONCURRENT_ENV = "UTILITY_MAX_CONCURRENT"


def _int_setting(env: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def sync_shards(env: Mapping[str, str] | None = None) -> int:
    """How many steps a sync with a `shard_key` fans out into (UTILITY_SYNC_SHARDS, default 2;
    1 = one step per sync)."""
    return _int_setting(os.environ if env is None else env, SHARDS_ENV, DEFAULT_SHARDS, 1)


def max_parallel_env(vendor: str) -> str:
    return MAX_PARALLEL_ENV.format(VENDOR=vendor.upper())


def vendor_max_parallel(vendor: str, env: Mapping[str, str] | None = None) -> int:
    """At most this many of the vendor's steps run at once in a run (UTILITY_<VENDOR>_MAX_PARALLEL,
    default 2): each step has its own HTTP client, so the vendor sees up to this many times the
    client's own concurrency."""
    return _int_setting(os.environ if env is None else env, max_parallel_env(vendor), DEFAULT_MAX_PARALLEL, 1)


def executor_config(vendors: list[str], env: Mapping[str, str] | None = None, *,
                    max_concurrent: int | None = None) -> dict:
    """The multiprocess executor's config: at most `max_concurrent` step processes (env
    UTILITY_MAX_CONCURRENT; 0 = one per CPU), and per vendor at most its limit of the steps tagged
    `utility_data/vendor=<vendor>`. dbt steps carry no vendor tag: the `warehouse` pool (limit 1)
    serializes them across runs."""
    env = os.environ if env is None else env
    if max_concurrent is None:
        max_concurrent = _int_setting(env, MAX_CONCURRENT_ENV, 0, 0)
    return {
        "max_concurrent": max_concurrent,
        # Step processes fork from a server that imported the code location once, instead of each
        # importing Dagster, the connectors and the dbt manifest again (seconds per step). The
        # server is started by the run's first step: it sees the environment of that moment.
        "start_method": {"forkserver": {}},
        "tag_concurrency_limits": [
            {"key": VENDOR_TAG, "value": vendor, "limit": vendor_max_parallel(vendor, env)} for vendor in vendors
        ],
    }


def vendor_tags(vendor: str) -> dict[str, str]:
    return {VENDOR_TAG: vendor}


# -- one sync, one step or fanned out -----------------------------------------------------------


@dataclass
class ShardOutcome:
    """What a shard step hands the report step (through the IO manager: small and picklable)."""

    shard: Shard | None
    load_id: str
    is_sandbox: bool
    result: SyncResult


def _metadata(result: SyncResult, entity: str, is_sandbox: bool, load_ids: list[str]) -> dict:
    landed = result.entities.get(entity)
    metadata = {
        "rows_landed": MetadataValue.int(landed.rows if landed else 0),
        "files_written": MetadataValue.int(landed.files if landed else 0),
        "load_id": MetadataValue.text(",".join(load_ids)),
        "source": MetadataValue.text("sandbox" if is_sandbox else "vendor API"),
        "quarantined": MetadataValue.int(result.quarantined),
        "http_requests": MetadataValue.int(result.http.get("requests", 0)),
        "http_retries": MetadataValue.int(result.http.get("retries", 0)),
    }
    if len(load_ids) > 1:
        metadata["shards"] = MetadataValue.int(len(load_ids))
    if result.counters:
        metadata["counters"] = MetadataValue.json(result.counters)
    if landed and landed.preview:
        metadata["preview"] = MetadataValue.json(landed.preview)
    return metadata


def _window(context, spec: VendorSpec, sync: SyncSpec):
    if not sync.partitioned_by_month:
        return None
    time_window = context.partition_time_window
    context.log.info("%s %s: months %s to %s (end exclusive), fetched again in full", spec.name, sync.name,
                     time_window.start.date(), time_window.end.date())
    return time_window.start, time_window.end


def run_sync(context, spec: VendorSpec, sync: SyncSpec, shard: Shard | None = None) -> ShardOutcome:
    """Open the vendor connection and run the sync (or one shard of it) for this run: its scope
    tags, its partition window, the policy compiled from the lake."""
    utility: UtilityDataResource = context.resources.utility_data
    settings = utility.settings()
    lake = utility.lake()
    # Compiled from policy.yml and the customers in the lake: the policy asset and every customer
    # sync are upstream of this step, so every shard of a run compiles the same policy.
    policy = compile_current_policy(settings, lake) if sync.uses_policy else None
    load_id = new_load_id()
    connection = getattr(context.resources, vendor_resource_key(spec.name)).connect()
    try:
        part = f" ({shard})" if shard else ""
        context.log.info("%s %s%s: load %s from %s", spec.name, sync.name, part, load_id,
                         "the sandbox" if connection.is_sandbox else connection.base_url)
        scope = run_scope(context.run.tags)
        if scope:
            context.log.info("%s %s: scoped to %s", spec.name, sync.name, scope)
        result = sync.run(SyncContext(spec.name, connection, lake, load_id, policy, context.log, scope=scope,
                                      window=_window(context, spec, sync), shard=shard))
        return ShardOutcome(shard, load_id, connection.is_sandbox, result)
    finally:
        connection.close()


def report(spec: VendorSpec, sync: SyncSpec, outcomes: list[ShardOutcome]):
    """The assets' materializations and the quarantine check of one sync (all its shards)."""
    keys = {entity: AssetKey([spec.name, entity]) for entity in sync.produces}
    result = merge_results(o.result for o in outcomes)
    load_ids = [o.load_id for o in outcomes]
    is_sandbox = all(o.is_sandbox for o in outcomes)
    for entity, key in keys.items():
        yield MaterializeResult(asset_key=key, metadata=_metadata(result, entity, is_sandbox, load_ids))
    yield AssetCheckResult(
        check_name=QUARANTINE_CHECK, asset_key=keys[sync.produces[0]], passed=result.quarantined == 0,
        severity=AssetCheckSeverity.WARN,
        metadata={"quarantined": result.quarantined, "reasons": MetadataValue.json(result.quarantine_reasons)},
        description=None if result.quarantined == 0 else
        f"{result.quarantined} record(s) quarantined in lake/{spec.name}/quarantine",
    )


def _upstream_keys(spec: VendorSpec, sync: SyncSpec) -> list[AssetKey]:
    deps = [AssetKey([spec.name, dep]) for dep in sync.depends_on]
    if sync.uses_policy:
        deps += POLICY_KEYS
    return deps


def _asset_metadata(spec: VendorSpec, entity: str) -> dict:
    return {"lake_path": f"lake/{spec.name}/{entity}"}


def build_sync_asset(spec: VendorSpec, sync: SyncSpec, shards: int = 1):
    """One Dagster multi-asset per SyncSpec: one step, or `shards` shard steps and a report step
    when the sync has a `shard_key` and `shards` > 1."""
    if shards > 1 and sync.shard_key:
        return build_sharded_sync_asset(spec, sync, shards)
    keys = {entity: AssetKey([spec.name, entity]) for entity in sync.produces}
    deps = _upstream_keys(spec, sync)
    first_key = keys[sync.produces[0]]

    @multi_asset(
        name=f"{spec.name}__{sync.name}",
        specs=[
            AssetSpec(key, deps=deps, group_name=spec.name, description=spec.entities[entity].description,
                      kinds={"parquet", "python"}, metadata=_asset_metadata(spec, entity),
                      partitions_def=MONTHS if sync.partitioned_by_month else None)
            for entity, key in keys.items()
        ],
        backfill_policy=SINGLE_RUN if sync.partitioned_by_month else None,
        check_specs=[AssetCheckSpec(QUARANTINE_CHECK, asset=first_key,
                                    description="Warns when this sync quarantined malformed records.")],
        required_resource_keys={"utility_data", vendor_resource_key(spec.name)},
        op_tags=vendor_tags(spec.name),
        description=sync.description,
    )
    def _sync(context: AssetExecutionContext):
        yield from report(spec, sync, [run_sync(context, spec, sync)])

    return _sync


def _input_name(key: AssetKey) -> str:
    return "__".join(key.path)


def build_sharded_sync_asset(spec: VendorSpec, sync: SyncSpec, shards: int):
    """The same assets (keys, deps, partitions, check) as a graph: `shard_<i>` ops (one process
    each under the multiprocess executor, tagged with the vendor) and a `report` op."""
    name = f"{spec.name}__{sync.name}"
    keys = {entity: AssetKey([spec.name, entity]) for entity in sync.produces}
    first_key = keys[sync.produces[0]]
    check_spec = AssetCheckSpec(QUARANTINE_CHECK, asset=first_key,
                                description="Warns when this sync quarantined malformed records.")
    check_output = check_spec.get_python_identifier()
    output_names = {entity: _input_name(key) for entity, key in keys.items()}
    upstream = {_input_name(key): AssetIn(key, dagster_type=Nothing) for key in _upstream_keys(spec, sync)}

    def shard_op(index: int):
        @op(name=f"{name}__shard_{index}", ins={"upstream": In(Nothing)}, out=Out(ShardOutcome),
            required_resource_keys={"utility_data", vendor_resource_key(spec.name)},
            tags={**vendor_tags(spec.name), "utility_data/shard": f"{index}/{shards}"},
            description=f"{sync.description} Shard {index + 1} of {shards}: the {sync.shard_key}s whose "
                        f"CRC-32 modulo {shards} is {index}.")
        def _shard(context: OpExecutionContext) -> ShardOutcome:
            return run_sync(context, spec, sync, Shard(index, shards))

        return _shard

    @op(name=f"{name}__report", ins={"outcomes": In()},
        out={**{output: Out(Nothing) for output in output_names.values()}, check_output: Out(Nothing)},
        description=f"Sums the {shards} shards of {spec.name} {sync.name} into the assets' metadata and "
                    "the quarantine check.")
    def _report(context: OpExecutionContext, outcomes):
        context.log.info("%s %s: %d shards, loads %s", spec.name, sync.name, len(outcomes),
                         ", ".join(o.load_id for o in outcomes))
        yield from report(spec, sync, outcomes)

    def _sharded(**upstream_assets):
        after = list(upstream_assets.values())
        outcomes = [shard_op(index)(upstream=after) for index in range(shards)]
        results = _report(outcomes)
        return dict(zip([*output_names.values(), check_output], results, strict=True))

    _sharded.__doc__ = f"{sync.description} Fanned out into {shards} shards by {sync.shard_key}."
    return graph_multi_asset(
        name=name,
        group_name=spec.name,
        outs={output: AssetOut(key=keys[entity], description=spec.entities[entity].description,
                               kinds={"parquet", "python"}, metadata=_asset_metadata(spec, entity),
                               dagster_type=Nothing)
              for entity, output in output_names.items()},
        ins=upstream,
        partitions_def=MONTHS if sync.partitioned_by_month else None,
        backfill_policy=SINGLE_RUN if sync.partitioned_by_month else None,
        check_specs=[check_spec],
    )(_sharded)


def vendor_assets(vendors: list[str], shards: int = 1) -> list:
    return [build_sync_asset(VENDORS[v], sync, shards) for v in vendors for sync in VENDORS[v].syncs]


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
