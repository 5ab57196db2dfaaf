"""WattzOn end to end: HTTPS sandbox with client certificates -> lake -> dbt marts."""

from __future__ import annotations

from decimal import Decimal

from connectors.lake import Lake
from connectors.pipeline import compile_current_policy
from connectors.settings import load_settings


def test_statements_become_one_bill_each_with_billing_amounts(pipeline):
    bills = pipeline.sql("select count(*), count(distinct vendor_bill_id) from marts.fct_bills where vendor = 'wattzon'")
    (rows, distinct) = bills[0]
    (statements,) = pipeline.lake_sql(
        "select count(distinct statement_id) from read_parquet('LAKE/wattzon/bills/[!.]*.parquet')")[0]
    assert rows == distinct == statements > 0
    # an unlocked bill's total is its billing record's current charges, its due date the billing due date
    statement_id, charges, due = pipeline.lake_sql(
        "select statement_id, current_charges, due_date from read_parquet('LAKE/wattzon/bills/[!.]*.parquet') "
        "where record_type = 'billing' and not is_masked order by statement_id limit 1")[0]
    total, due_date, is_locked = pipeline.sql(
        "select total_amount, due_date, is_locked from marts.fct_bills where vendor = 'wattzon' and vendor_bill_id = ?",
        [statement_id])[0]
    assert is_locked is False and total == Decimal(charges).quantize(Decimal("0.01")) and due_date == due


def test_locked_wattzon_bills_and_units(pipeline):
    (leaks,) = pipeline.sql("select count(*) from marts.fct_bills where vendor = 'wattzon' and is_locked "
                            "and (total_amount is not null or due_date is not null or has_pdf)")[0]
    assert leaks == 0
    units = {u for (u,) in pipeline.sql("select distinct usage_unit from marts.fct_bill_meters "
                                        "where vendor = 'wattzon' and usage_unit is not null")}
    assert units and units <= {"kWh", "therm", "ccf", "gallons"} and "kWh" in units


def test_policy_applies_to_wattzon(pipeline):
    settings = load_settings()
    policy = compile_current_policy(settings, Lake(settings.lake_dir))
    rows = pipeline.sql("select vendor_bill_id, vendor_customer_id, statement_date, is_locked from marts.fct_bills "
                        "where vendor = 'wattzon'")
    outside = 0
    for bill_id, customer_id, statement_date, is_locked in rows:
        if not policy.bill_decision("wattzon", customer_id, bill_id, statement_date).in_policy:
            outside += 1
            assert is_locked, bill_id
    assert outside > 0, "profiles created long ago have statements outside the 12-month history"
    # no PDF of a statement outside policy was stored
    (pdfs_outside,) = pipeline.lake_sql(
        "select count(*) from read_parquet('LAKE/wattzon/bill_pdfs/[!.]*.parquet') p join "
        "read_parquet('LAKE/wattzon/bills/[!.]*.parquet') b using (profile_id, bill_id) where b.is_masked")[0]
    assert pdfs_outside == 0


def test_wattzon_intervals_in_utc_without_duplicates(pipeline):
    (rows, distinct) = pipeline.sql(
        "select count(*), count(distinct (vendor_meter_id, interval_start)) from marts.fct_intervals "
        "where vendor = 'wattzon'")[0]
    assert rows == distinct > 0
    (bad,) = pipeline.sql("select count(*) from marts.fct_intervals where vendor = 'wattzon' "
                          "and (unit <> 'kWh' or interval_end - interval_start <> interval 15 minute)")[0]
    assert bad == 0
