"""Changing policy.yml and re-running takes effect, at ingestion and in the marts."""

from __future__ import annotations

from datetime import datetime

import pytest

from .test_pipeline import unlock_calls


@pytest.fixture(scope="module")
def changed(pipeline):
    linked = [c for c in pipeline.dataset.customers if c.linked_at and c.interval_meters
              and any(b.billed_on and b.billed_on >= c.linked_at.date() for b in c.bills)]
    stopped = linked[0]
    newly_unlocked = next(
        b for c in pipeline.dataset.customers if c.linked_at for b in c.bills
        if b.billed_on and (c.linked_at.date() - b.billed_on).days > 400 and b.default_status == "locked"
        and str(b.id) not in {u["bill_id"] for u in _current_policy(pipeline)["unlocked_bills"]}
    )
    policy = _current_policy(pipeline)
    policy["customers"] = [{"vendor": "bayou", "customer_id": str(stopped.id), "continuous": False}]
    policy["unlocked_bills"].append({"vendor": "bayou", "bill_id": str(newly_unlocked.id)})
    pipeline.write_policy(policy)
    pipeline.state.reset_calls()
    pipeline.materialize()
    return stopped, newly_unlocked


def _current_policy(pipeline):
    import yaml

    return yaml.safe_load(pipeline.policy_file.read_text())


def test_newly_unlocked_bill_gets_its_data(pipeline, changed):
    _, bill = changed
    assert str(bill.id) in unlock_calls(pipeline.state)
    is_locked, total = pipeline.sql(
        "select is_locked, total_amount from marts.fct_bills where vendor = 'bayou' and vendor_bill_id = ?", [str(bill.id)])[0]
    assert is_locked is False and total is not None


def test_customer_switched_to_continuous_false_stops_getting_new_data(pipeline, changed):
    customer, _ = changed
    link_date = customer.linked_at.date()
    cid = str(customer.id)
    # marts: every ongoing bill is a locked row, no reading on or after the link date
    ongoing = pipeline.sql("select is_locked, total_amount from marts.fct_bills "
                           "where vendor = 'bayou' and vendor_customer_id = ? and statement_date >= ?", [cid, link_date])
    assert ongoing and all(locked and total is None for locked, total in ongoing)
    (late_readings,) = pipeline.sql(
        "select count(*) from marts.fct_intervals i join marts.dim_meters m using (vendor, vendor_meter_id) "
        "where vendor = 'bayou' and m.vendor_customer_id = ? and i.interval_start >= ?", [cid, link_date])[0]
    assert late_readings == 0
    # ingestion: the re-run asked for no readings after the link ...
    for call in pipeline.state.calls_snapshot():
        if call["path"].endswith(f"/customers/{cid}/intervals"):
            query = dict(part.split("=", 1) for part in call["query"].split("&") if "=" in part)
            from urllib.parse import unquote

            end = datetime.fromisoformat(unquote(query["end"]).replace("Z", "+00:00"))
            assert end.date() <= link_date, call
    # ... and landed its ongoing bills masked
    masked = pipeline.lake_sql(
        "select bool_and(is_masked) from (select *, row_number() over (partition by bill_id "
        "order by _extracted_at desc, _load_id desc) as r from read_parquet('LAKE/bayou/bills/*.parquet') "
        f"where customer_id = '{cid}' and billed_on >= DATE '{link_date}') where r = 1")
    assert masked == [(True,)]
