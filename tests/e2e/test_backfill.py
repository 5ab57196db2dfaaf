"""Month partitions end to end: the pipeline fixture ran every interval month as one run (a
single-run backfill of the whole range); re-running one month, from Dagster and from the command
line, and a full refresh of the interval marts give the same marts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# Everything but the load bookkeeping, which a re-run changes by design.
CONTENT = ("vendor, vendor_customer_id, vendor_meter_id, commodity, interval_start, interval_end, usage, unit, "
           "generation_kwh, net_usage_kwh, demand_kw, has_conflict, conflicting_fields")


def fingerprint(pipeline, where: str = "true") -> tuple:
    return pipeline.sql(
        f"select count(*), count(distinct (vendor, vendor_customer_id, vendor_meter_id, interval_start)), "
        f"sum(hash({CONTENT})) from marts.fct_intervals where {where}")[0]


def marts_fingerprint(pipeline) -> dict:
    """fct_intervals' fingerprint, and a content hash of every column of the marts built from it
    (coverage, reconciliation): their sums are exact (macro exact_sum), so a re-run gives the very
    same values."""
    prints = {"fct_intervals": fingerprint(pipeline)}
    for table in ("fct_interval_coverage", "fct_interval_reconciliation"):
        columns = pipeline.sql(f"select column_name from duckdb_columns() where schema_name = 'marts' "
                               f"and table_name = '{table}' order by column_index")
        content = ", ".join(name for (name,) in columns)
        prints[table] = pipeline.sql(f"select count(*), sum(hash({content})) from marts.{table}")[0]
    return prints


def busiest_month(pipeline) -> str:
    (month,) = pipeline.sql("select strftime(date_trunc('month', interval_start), '%Y-%m-01') as m "
                            "from marts.fct_intervals group by 1 order by count(*) desc, 1 limit 1")[0]
    return month


def rerun(pipeline, first: str, last: str, vendors: list[str]) -> None:
    from dagster import DagsterInstance

    from orchestration.backfill import backfill_selection
    from orchestration.definitions import defs
    from orchestration.partitions import range_tags

    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=backfill_selection(defs, vendors), tags=range_tags(first, last),
            raise_on_error=True)
    assert result.success


def test_rerunning_a_month_leaves_the_marts_unchanged(pipeline):
    month = busiest_month(pipeline)
    before_all, before_month = fingerprint(pipeline), fingerprint(pipeline, f"date_trunc('month', interval_start) = date '{month}'")
    before_marts = marts_fingerprint(pipeline)
    assert before_month[0] > 0 and before_all[0] == before_all[1]
    loads_before = pipeline.lake_sql("select count(*) from read_parquet('LAKE/bayou/interval_loads/*.parquet')")[0][0]
    rerun(pipeline, month, month, ["bayou", "wattzon", "arcadia"])
    assert fingerprint(pipeline) == before_all  # no duplicates, no gaps, nothing else touched
    assert marts_fingerprint(pipeline) == before_marts  # coverage and reconciliation too
    # the month was fetched again: new loads cover it
    loads_after = pipeline.lake_sql("select count(*) from read_parquet('LAKE/bayou/interval_loads/*.parquet')")[0][0]
    assert loads_after > loads_before
    reloaded = pipeline.sql(f"select count(distinct load_id) from marts.fct_intervals where vendor = 'bayou' "
                            f"and date_trunc('month', interval_start) = date '{month}'")[0][0]
    assert reloaded >= 1


def test_a_full_refresh_gives_the_same_interval_marts(pipeline):
    before = marts_fingerprint(pipeline)
    env = {**os.environ, "UTILITY_DATA_DIR": str(pipeline.data_dir)}
    target = pipeline.data_dir / "dbt-full-refresh"
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), "build", "--full-refresh", "--select", "fct_intervals+",
         "--project-dir", str(PROJECT / "dbt_project"), "--profiles-dir", str(PROJECT / "dbt_project"),
         "--target-path", str(target / "target"), "--log-path", str(target / "logs")],
        env=env, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:]
    assert marts_fingerprint(pipeline) == before


def test_backfill_command_rejects_bad_ranges(capsys):
    from orchestration.backfill import main

    for argv, message in ((["--from", "2026-13"], "not a month"),
                          (["--from", "2026-05", "--to", "2026-01"], "is before"),
                          (["--from", "1999-01"], "is not an interval partition"),
                          (["--from", "2026-01", "--vendor", "nope"], "unknown or disabled vendor")):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err
