"""Interval data quality end to end: fct_interval_coverage (expected vs present readings per
meter and local day) and fct_interval_reconciliation (billed usage vs the period's readings).

The sandboxes produce no gap of absent readings and no billed usage that disagrees with the
readings (Bayou and WattzOn bills add up exactly; Arcadia's `is_null_kwh` readings are gaps of
readings without a value, and are checked too). So this module plants both in the Bayou sandbox
through its default-off knob, the environment variable BAYOU_SANDBOX_PLANTED read by
`generate_dataset`: it is set here, at import (collection), before the package-scoped `pipeline`
fixture generates its Bayou dataset. The faults name one meter of a customer test_policy_change
does not touch and days of 2026 that only the e2e dataset has, so the variable changes nothing
for the other tests of the session (other seeds have other meter ids; the sandbox tests' data
ends in 2025), and the other e2e tests see the same data with or without this module.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.bayou.sandbox.generator import PLANTED_ENV, PlantedFaults, generate_dataset

from .conftest import AS_OF

# The pipeline fixture's Bayou dataset (tests/e2e/conftest.py).
BAYOU_SCALE = {"seed": 7, "customers": 8, "months": 30, "as_of": AS_OF}
GAP_READINGS = 7
USAGE_FACTOR = 1.10


def _choose_faults() -> PlantedFaults:
    """A gap and an over-billed period on one electric interval meter, in two ongoing, in-policy,
    parsed bill periods whose readings are all in (the last two such periods of the meter)."""
    dataset = generate_dataset(**BAYOU_SCALE, planted=PlantedFaults())
    linked = [c for c in dataset.customers if c.linked_at and c.interval_meters
              and any(b.billed_on and b.billed_on >= c.linked_at.date() for b in c.bills)]
    # test_policy_change switches linked[0] to continuous: false; stay clear of it
    for customer in linked[1:]:
        for meter in customer.interval_meters:
            if meter.type != "electric":
                continue
            bills = [b for b in customer.bills
                     if meter.id in b.meter_ids and b.default_status != "unparsed"
                     and b.billing_period_from > customer.linked_at.date()
                     and b.billing_period_from >= meter.intervals_from.date()
                     and b.billing_period_to <= AS_OF - timedelta(days=7)]
            if len(bills) >= 2:
                over_billed, gapped = bills[-2], bills[-1]
                gap_start = datetime.combine(gapped.billing_period_from + timedelta(days=3), time(10), tzinfo=UTC)
                return PlantedFaults(
                    interval_gaps=((meter.id, gap_start, GAP_READINGS),),
                    billed_usage=((meter.id, over_billed.billing_period_from, USAGE_FACTOR),),
                )
    raise AssertionError("the e2e Bayou dataset has no meter to plant the faults on")


PLANTED = _choose_faults()
os.environ[PLANTED_ENV] = PLANTED.to_json()
GAP_METER, GAP_START, _ = PLANTED.interval_gaps[0]
MISMATCH_METER, MISMATCH_DAY, _ = PLANTED.billed_usage[0]


def _bill_containing(dataset, meter_id: str, day: date):
    return next(b for b in dataset.bills if meter_id in b.meter_ids
                and b.billing_period_from <= day <= b.billing_period_to)


# --- the knob itself (no pipeline) -----------------------------------------------------------


def test_planting_knob_is_off_by_default_and_changes_only_what_it_names():
    plain = generate_dataset(**BAYOU_SCALE, planted=PlantedFaults())
    planted = generate_dataset(**BAYOU_SCALE, planted=PlantedFaults.from_json(PLANTED.to_json()))
    assert not plain.planted and planted.planted == PLANTED
    assert not PlantedFaults.from_env({}) and PlantedFaults.from_env({PLANTED_ENV: PLANTED.to_json()}) == PLANTED
    # the gap: exactly GAP_READINGS readings of that meter are gone, the response is still JSON
    customer = next(c for c in planted.customers if any(m.id == GAP_METER for m in c.meters))
    day_start = datetime.combine(GAP_START.date(), time(0), tzinfo=UTC)
    window = (day_start, day_start + timedelta(days=1))
    import orjson

    def readings(ds):
        c = ds.customer(customer.id)
        body = orjson.loads(ds.intervals(c, *window, meter_id=GAP_METER).to_bytes())
        return [r["start"] for m in body["meters"] for r in m["intervals"]]

    before, after = readings(plain), readings(planted)
    assert len(before) == 96 and len(after) == 96 - GAP_READINGS
    assert set(before) - set(after) == {
        (GAP_START + timedelta(minutes=15 * i)).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(GAP_READINGS)}
    # the over-billed period: only that bill's consumption changed, by the factor
    changed = [(a.id, a.unlocked["electricity_consumption"], b.unlocked["electricity_consumption"])
               for a, b in zip(plain.bills, planted.bills) if a.unlocked != b.unlocked]
    bill = _bill_containing(plain, MISMATCH_METER, MISMATCH_DAY)
    assert [bill_id for bill_id, _, _ in changed] == [bill.id]
    _, old, new = changed[0]
    assert new == round(old * USAGE_FACTOR)


# --- coverage -------------------------------------------------------------------------------


def test_every_interval_meter_has_coverage_rows(pipeline):
    missing = pipeline.sql("""
        select distinct vendor, vendor_meter_id from marts.fct_intervals
        where meter_key not in (select meter_key from marts.fct_interval_coverage)""")
    assert missing == []
    vendors = pipeline.sql("select distinct vendor from marts.fct_interval_coverage order by 1")
    assert vendors == [("arcadia",), ("bayou",), ("wattzon",)]
    # every day between a meter's first and last reading has a row
    holes = pipeline.sql("""
        select meter_key from marts.fct_interval_coverage group by meter_key
        having count(*) <> date_diff('day', min(local_date), max(local_date)) + 1""")
    assert holes == []


def test_planted_gap_is_reported_with_its_missing_count(pipeline):
    assert pipeline.dataset.planted == PLANTED, "the pipeline's Bayou dataset was generated without the planted faults"
    rows = pipeline.sql("""
        select time_zone, expected_readings, present_readings, missing_readings, is_complete
        from marts.fct_interval_coverage
        where vendor = 'bayou' and vendor_meter_id = ? and local_date = ?""", [GAP_METER, GAP_START.date()])
    assert rows == [("UTC", 96, 96 - GAP_READINGS, GAP_READINGS, False)]
    # the planted gap is the only incomplete Bayou day: every other day (first and last
    # days counted from the first / up to the last reading) is complete
    incomplete = pipeline.sql("""
        select vendor_meter_id, local_date from marts.fct_interval_coverage
        where vendor = 'bayou' and not is_complete""")
    assert incomplete == [(GAP_METER, GAP_START.date())]
    # and its bill period is incomplete, with the same missing readings
    bill = _bill_containing(pipeline.dataset, GAP_METER, GAP_START.date())
    status, missing = pipeline.sql("""
        select status, missing_readings from marts.fct_interval_reconciliation
        where vendor = 'bayou' and vendor_bill_id = ? and vendor_meter_id = ?""", [str(bill.id), GAP_METER])[0]
    assert (status, missing) == ("incomplete_intervals", GAP_READINGS)


def test_conflicting_readings_are_counted(pipeline):
    per_vendor = dict(pipeline.sql("""
        select vendor, sum(conflicting_readings) from marts.fct_interval_coverage group by vendor"""))
    (bayou_conflicts,) = pipeline.sql(
        "select count(*) from marts.fct_intervals where vendor = 'bayou' and has_conflict")[0]
    assert bayou_conflicts > 0 and per_vendor["bayou"] == bayou_conflicts
    assert per_vendor["wattzon"] == 0 and per_vendor["arcadia"] == 0


def test_days_are_local_days_with_dst_in_wattzon_zones(pipeline):
    zones = dict(pipeline.sql("""
        select vendor, string_agg(distinct time_zone, ',' order by time_zone)
        from marts.fct_interval_coverage group by vendor"""))
    assert zones["bayou"] == "UTC" and zones["arcadia"] == "UTC"
    assert set(zones["wattzon"].split(",")) <= {"America/Los_Angeles", "America/New_York"}
    # a full day: as many readings as the zone's day has quarter hours (92 / 100 on DST days)
    rows = pipeline.sql("""
        select time_zone, local_date, expected_readings, present_readings, is_complete
        from marts.fct_interval_coverage
        where vendor = 'wattzon' and not is_partial_day""")
    assert rows
    lengths = set()
    for zone, day, expected, present, complete in rows:
        tz = ZoneInfo(zone)
        start = datetime.combine(day, time(0), tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        quarters = int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()) // 900
        assert (expected, present, complete) == (quarters, quarters, True), (zone, day)
        lengths.add(quarters)
    assert lengths == {92, 96, 100}


def test_arcadia_readings_without_a_value_count_as_missing(pipeline):
    (null_days, gap_days) = pipeline.sql("""
        select count(*) filter (where null_readings > 0),
               count(*) filter (where null_readings > 0 and missing_readings >= null_readings and not is_complete)
        from marts.fct_interval_coverage where vendor = 'arcadia'""")[0]
    assert null_days > 0 and gap_days == null_days


# --- reconciliation -------------------------------------------------------------------------


def test_planted_usage_mismatch_is_reported(pipeline):
    bill = _bill_containing(pipeline.dataset, MISMATCH_METER, MISMATCH_DAY)
    row = pipeline.sql("""
        select status, billed_usage_kwh, interval_usage_kwh, usage_difference_kwh, relative_difference
        from marts.fct_interval_reconciliation
        where vendor = 'bayou' and vendor_bill_id = ? and vendor_meter_id = ?""", [str(bill.id), MISMATCH_METER])
    assert len(row) == 1
    status, billed, intervals, difference, relative = row[0]
    assert status == "mismatch"
    assert billed == pytest.approx(intervals * USAGE_FACTOR, abs=0.001)
    assert difference == pytest.approx(intervals - billed)
    assert relative == pytest.approx(1 / USAGE_FACTOR - 1, abs=1e-4)
    # the warn-severity dbt test reports it as a failed Dagster asset check (the run succeeded)
    evaluations = [text for text in pipeline.event_text
                   if "check_name='assert_fct_interval_reconciliation_has_no_mismatch', passed=False" in text]
    assert evaluations and all("text='warn'" in text for text in evaluations)
    assert "'dagster_dbt/failed_row_count': IntMetadataValue(value=1)" in evaluations[0]


def test_complete_periods_match_their_bills(pipeline):
    """Bayou and Arcadia bills add up UTC days, WattzOn bills local days, Arcadia's net usage
    with ConEd-style exclusive end dates: with complete readings every period matches, but the
    planted one."""
    rows = pipeline.sql("""
        select vendor, status, count(*) from marts.fct_interval_reconciliation group by all order by all""")
    counts = {(vendor, status): n for vendor, status, n in rows}
    assert counts.get(("bayou", "match"), 0) > 0
    assert counts.get(("wattzon", "match"), 0) > 0
    mismatches = pipeline.sql("""
        select vendor, vendor_meter_id from marts.fct_interval_reconciliation where status = 'mismatch'""")
    assert mismatches == [("bayou", MISMATCH_METER)]
