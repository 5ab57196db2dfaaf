"""Backfill interval months from the command line: `make backfill FROM=2025-01 TO=2025-06`, or

    python -m orchestration.backfill --from 2025-01 --to 2025-06 [--vendor bayou] [--vendor arcadia]

Fetches the months again from the vendors (every meter, whatever the incremental cursors say) and
rebuilds exactly those months of the interval marts, as one run: one request plan per vendor and
one dbt process (the single-run backfill policy the Dagster UI's backfills use too). The policy
is compiled first, so the run applies the current policy.yml. Re-running a month replaces it:
no duplicates, and readings the vendor no longer sends are withdrawn.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from connectors.settings import PROJECT_ROOT


def month(value: str) -> str:
    try:
        day = date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a month: {value!r} (use YYYY-MM)") from None
    return day.replace(day=1).isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="first", type=month, required=True, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="last", type=month, help="last month, YYYY-MM (default: the first)")
    parser.add_argument("--vendor", action="append", help="only these vendors' intervals (repeatable)")
    args = parser.parse_args(argv)
    last = args.last or args.first
    if last < args.first:
        parser.error(f"--to {last[:7]} is before --from {args.first[:7]}")

    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / "dagster_home"))
    from dagster import AssetKey, DagsterInstance

    from orchestration.definitions import VENDOR_NAMES, defs
    from orchestration.partitions import MONTHS, range_tags
    from orchestration.recovery import reclaim_killed_runs, run_process_tags
    from orchestration.sandboxes import shared_sandboxes

    keys = MONTHS.get_partition_keys()
    for edge in (args.first, last):
        if edge not in keys:
            parser.error(f"{edge[:7]} is not an interval partition ({keys[0][:7]} to {keys[-1][:7]}; "
                         "UTILITY_INTERVAL_START sets the first)")
    vendors = args.vendor or VENDOR_NAMES
    unknown = sorted(set(vendors) - set(VENDOR_NAMES))
    if unknown:
        parser.error(f"unknown or disabled vendor {unknown[0]!r}; enabled: {', '.join(VENDOR_NAMES)}")
    selection = backfill_selection(defs, vendors)
    print(f"backfill {args.first[:7]} to {last[:7]} for {', '.join(vendors)}: "
          f"{', '.join(k.to_user_string() for k in selection if isinstance(k, AssetKey))}")
    instance = DagsterInstance.get()
    for run_id in reclaim_killed_runs(instance):
        print(f"run {run_id} was killed before it finished: marked failed, its concurrency slots freed")
    with shared_sandboxes(vendors):
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=selection,
            tags={**range_tags(args.first, last), **run_process_tags()},
            raise_on_error=False, run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        )
    if not result.success:
        print("the backfill failed; see the errors above", file=sys.stderr)
        return 1
    print("backfill done")
    return 0


def backfill_selection(defs, vendors: list[str]) -> list:
    """The vendors' partitioned (interval) syncs, the policy they read, and every partitioned asset
    downstream of them (the interval marts) plus what reads those marts."""
    from dagster import AssetSelection

    from connectors.registry import VENDORS

    graph = defs.resolve_asset_graph()
    partitioned = [key for key in graph.get_all_asset_keys() if graph.get(key).partitions_def is not None]
    ingestion = [key for key in partitioned if key.path[0] in vendors
                 and any(s.partitioned_by_month and key.path[-1] in s.produces for s in VENDORS[key.path[0]].syncs)]
    marts = [key for key in partitioned if key.path[0] not in VENDORS]
    policy = AssetSelection.groups("policy")
    chosen = (AssetSelection.assets(*ingestion) | AssetSelection.assets(*marts).downstream() | policy)
    return list(chosen.resolve(graph))


if __name__ == "__main__":
    raise SystemExit(main())
