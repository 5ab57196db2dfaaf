"""End to end: Bayou sandbox -> policy -> Parquet lake -> dbt -> DuckDB marts, via Dagster."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.lake import Lake
from connectors.pipeline import compile_current_policy
from connectors.settings import load_settings

MARTS = ["dim_customers", "dim_accounts", "dim_meters", "fct_bills", "fct_bill_meters", "fct_intervals"]
KEYS = {
    "dim_customers": "vendor, vendor_customer_id",
    "dim_accounts": "vendor, vendor_customer_id, vendor_account_id",
    "dim_meters": "vendor, vendor_customer_id, vendor_meter_id",
    "fct_bills": "vendor, vendor_bill_id",
    "fct_bill_meters": "vendor, vendor_bill_id, vendor_meter_id",
    "fct_intervals": "vendor, vendor_meter_id, interval_start",
}


def unlock_calls(state) -> list[str]:
    return [c["path"].split("/")[-2] for c in state.calls_snapshot()
            if c["method"] == "POST" and c["path"].endswith("/unlock")]


def compiled_policy():
    settings = load_settings()
    return compile_current_policy(settings, Lake(settings.lake_dir))


def test_every_mart_has_rows_and_unique_keys(pipeline):
    for mart in MARTS:
        (rows,) = pipeline.sql(f"select count(*) from marts.{mart}")[0]
        assert rows > 0, mart
        (dupes,) = pipeline.sql(
            f"select count(*) from (select {KEYS[mart]} from marts.{mart} group by all having count(*) > 1)")[0]
        assert dupes == 0, f"{mart} has duplicate keys"
    assert pipeline.sql("select distinct vendor from marts.fct_bills order by 1") == [("arcadia",), ("bayou",), ("urjanet",), ("wattzon",)]


def test_locked_bills_carry_no_amounts_or_usage(pipeline):
    (locked,) = pipeline.sql("select count(*) from marts.fct_bills where is_locked")[0]
    assert locked > 0
    leaks = pipeline.sql("""
        select count(*) from marts.fct_bills where is_locked and (
            total_amount is not null or electricity_amount is not null or gas_amount is not null
            or electricity_usage_kwh is not null or gas_usage is not null or has_pdf)""")[0][0]
    assert leaks == 0
    meter_leaks = pipeline.sql(
        "select count(*) from marts.fct_bill_meters where is_locked and (usage is not null or amount is not null)")
    assert meter_leaks[0][0] == 0


def test_bills_follow_the_policy_and_only_in_policy_bills_were_unlocked(pipeline):
    policy = compiled_policy()
    bills = pipeline.sql("select vendor_bill_id, vendor_customer_id, statement_date, is_locked, total_amount, status "
                         "from marts.fct_bills where vendor = 'bayou'")
    unlocked_through_api = set(unlock_calls(pipeline.state))
    assert unlocked_through_api, "some in-policy bills were locked at Bayou and must have been unlocked"
    defaults = {str(b.id): b.default_status for b in pipeline.dataset.bills}
    for bill_id, customer_id, statement_date, is_locked, total, status in bills:
        decision = policy.bill_decision("bayou", customer_id, bill_id, statement_date)
        if not decision.in_policy:
            assert is_locked and total is None, (bill_id, decision)
            assert bill_id not in unlocked_through_api, f"bill {bill_id} is outside policy but was unlocked"
        elif defaults[bill_id] == "locked":
            assert bill_id in unlocked_through_api, f"in-policy locked bill {bill_id} was not unlocked"
            assert not is_locked and total is not None
        elif defaults[bill_id] == "unlocked":
            assert not is_locked and total is not None
    # the per-bill unlock from policy.yml got its data although it is far outside the window
    unlocked_by_policy = pipeline.sql("select vendor_bill_id, is_locked, total_amount from marts.fct_bills "
                                      "where vendor = 'bayou' and vendor_bill_id in (select vendor_bill_id from staging.stg_policy__unlocked_bills)")
    assert len(unlocked_by_policy) == 1 and unlocked_by_policy[0][1] is False and unlocked_by_policy[0][2] is not None


def test_vendor_unlocked_bills_outside_policy_never_reach_the_lake(pipeline):
    policy = compiled_policy()
    leaked = []
    rows = pipeline.lake_sql("select bill_id, customer_id, billed_on, total_amount_cents, file_url, "
                             "electricity_consumption_wh from read_parquet('LAKE/bayou/bills/*.parquet')")
    vendor_unlocked_outside = 0
    defaults = {str(b.id): b for b in pipeline.dataset.bills}
    for bill_id, customer_id, billed_on, total, file_url, wh in rows:
        if not policy.bill_decision("bayou", customer_id, bill_id, billed_on).in_policy:
            vendor_unlocked_outside += defaults[bill_id].default_status == "unlocked"
            if total is not None or file_url is not None or wh is not None:
                leaked.append(bill_id)
    assert not leaked
    assert vendor_unlocked_outside > 0, "the sandbox returns some out-of-policy bills unlocked: they must be masked"


def test_units_are_converted(pipeline):
    # cents -> currency units
    bill_id, cents = pipeline.lake_sql(
        "select bill_id, total_amount_cents from read_parquet('LAKE/bayou/bills/*.parquet') "
        "where total_amount_cents is not null order by bill_id limit 1")[0]
    (total,) = pipeline.sql("select total_amount from marts.fct_bills where vendor = 'bayou' and vendor_bill_id = ?",
                            [bill_id])[0]
    assert total == Decimal(cents) / 100
    # Wh -> kWh on bill meters
    bill_id, meter_id, wh = pipeline.lake_sql(
        "select bill_id, meter_id, consumption from read_parquet('LAKE/bayou/bill_meters/*.parquet') "
        "where meter_type = 'electric' and consumption is not null order by bill_id limit 1")[0]
    usage, unit = pipeline.sql("select usage, usage_unit from marts.fct_bill_meters where vendor = 'bayou' "
                               "and vendor_bill_id = ? and vendor_meter_id = ?", [bill_id, meter_id])[0]
    assert unit == "kWh" and Decimal(str(usage)) == Decimal(str(wh)) / 1000
    # Wh -> kWh on intervals, timestamps in UTC
    meter_id, start, wh = pipeline.lake_sql(
        "select meter_id, interval_start, electricity_consumption_wh from "
        "read_parquet('LAKE/bayou/intervals/**/*.parquet', hive_partitioning = false) "
        "where electricity_consumption_wh > 0 and conflicting_fields is null order by interval_start desc limit 1")[0]
    usage, unit, tz = pipeline.sql(
        "select usage, unit, strftime(interval_start at time zone 'UTC', '%z') from marts.fct_intervals "
        "where vendor = 'bayou' and vendor_meter_id = ? and interval_start = ?", [meter_id, start])[0]
    assert unit == "kWh" and usage == pytest.approx(wh / 1000)
    gas_units = pipeline.sql("select distinct unit from marts.fct_intervals where vendor = 'bayou' and commodity = 'gas'")
    assert gas_units in ([], [("therm",)])


def test_intervals_outside_policy_are_not_in_lake_or_marts(pipeline):
    policy = compiled_policy()
    rows = pipeline.lake_sql("select customer_id, min(interval_start) from "
                             "read_parquet('LAKE/bayou/intervals/**/*.parquet', hive_partitioning = false) group by 1")
    assert rows
    for customer_id, first_start in rows:
        assert policy.customer("bayou", customer_id).covers_time(first_start)


def test_materializations_report_counts(pipeline):
    text = "\n".join(pipeline.event_text)
    assert "rows_landed" in text and "unlock_calls" in text and "preview" in text


def test_docs_warehouse_md_matches_the_models(pipeline):
    from orchestration.warehouse_doc import DOC_PATH, render

    assert DOC_PATH.read_text() == render(pipeline.warehouse), \
        "docs/warehouse.md is stale: run `uv run python -m orchestration.warehouse_doc`"
