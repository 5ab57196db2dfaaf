"""`make run`: materialize every asset against the sandboxes (or real vendors) and print what landed.

The run uses the multiprocess executor (one process per step): each fanned-out sync runs its
shards in parallel, at most UTILITY_<VENDOR>_MAX_PARALLEL steps of a vendor at once, and dbt
alone writes the warehouse (docs/architecture.md, "Fan-out")."""

from __future__ import annotations

import os
import sys

from connectors.settings import PROJECT_ROOT

from .recovery import discard_unborn_warehouse, reclaim_killed_runs, run_process_tags

def warehouse_summary(warehouse_path) -> list[tuple[str, int]]:
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' order by table_name"
        ).fetchall()]
        return [(t, con.execute(f'select count(*) from marts."{t}"').fetchone()[0]) for t in tables]


def bill_summary(warehouse_path) -> tuple[int, int]:
    import duckdb

    with duckdb.connect(str(warehouse_path), read_only=True) as con:
        row = con.execute("select count(*) filter (where not is_locked), count(*) filter (where is_locked) "
                          "from marts.fct_bills").fetchone()
    return int(row[0]), int(row[1])


def main() -> int:
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))
    from dagster import DagsterInstance, execute_job, reconstructable

    from orchestration.definitions import SETTINGS, VENDOR_NAMES, sync_everything_job
    from orchestration.ingestion import executor_config, sync_shards
    from orchestration.partitions import full_range, range_tags
    from orchestration.sandboxes import shared_sandboxes

    print(f"vendors: {', '.join(VENDOR_NAMES)}; data dir: {SETTINGS.data_dir}; policy: {SETTINGS.policy_file}")
    instance = DagsterInstance.get()
    for run_id in reclaim_killed_runs(instance):
        print(f"run {run_id} was killed before it finished: marked failed, its concurrency slots freed")
    if discard_unborn_warehouse(SETTINGS.warehouse_path):
        print(f"removed {SETTINGS.warehouse_path}: its creation had been killed, it held no data")
    limits = executor_config(VENDOR_NAMES)
    print(f"{sync_shards()} shard(s) per sync (UTILITY_SYNC_SHARDS); steps at once per vendor: "
          + ", ".join(f"{t['value']} {t['limit']}" for t in limits["tag_concurrency_limits"])
          + f"; in all: {limits['max_concurrent'] or 'one per CPU'}")
    # The sandboxes are started before the step processes, which find them through the
    # <VENDOR>_SANDBOX_URL variables they inherit.
    with shared_sandboxes(VENDOR_NAMES):
        first, last = full_range()  # every interval month, as one run (a single-run backfill)
        print(f"interval months {first[:7]} to {last[:7]} (UTILITY_INTERVAL_START sets the first)")
        with execute_job(
            reconstructable(sync_everything_job),
            instance=instance,
            tags={**range_tags(first, last), **run_process_tags()},
            raise_on_error=False,
            # INFO: progress, counts and dbt's output; DEBUG would add every Dagster event.
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        ) as result:
            success = result.success
    if not success:
        print("the run failed; see the errors above", file=sys.stderr)
        return 1
    print(f"\nwarehouse {SETTINGS.warehouse_path} (DuckDB), schema marts:")
    for table, rows in warehouse_summary(SETTINGS.warehouse_path):
        print(f"  marts.{table:<28} {rows:>12,} rows")
    unlocked, locked = bill_summary(SETTINGS.warehouse_path)
    print(f"  bills: {unlocked:,} in policy with data, {locked:,} locked (outside policy or not yet unlocked)")
    print("\nquery it:  uv run python -c \"import duckdb; print(duckdb.connect('"
          f"{SETTINGS.warehouse_path}', read_only=True).sql('select * from marts.fct_bills limit 5'))\"")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
