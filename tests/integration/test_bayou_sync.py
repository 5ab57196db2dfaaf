"""Bayou syncs against the sandbox into a real lake: quarantine, masking, incremental intervals."""

from __future__ import annotations

import logging

import duckdb
import pytest

from connectors.core.vendor import VendorConnection
from connectors.bayou.client import BayouClient
from connectors.bayou.sync import sync_bills, sync_customers, sync_intervals
from connectors.core.errors import VendorResponseError
from connectors.core.vendor import SyncContext
from connectors.lake import Lake, new_load_id
from connectors.policy import compile_policy, parse_policy
from connectors.registry import VENDORS

log = logging.getLogger("test")


@pytest.fixture()
def setup(bayou, tmp_path):
    _, base_url, state = bayou
    lake = Lake(tmp_path / "lake")
    connection = VendorConnection("bayou", BayouClient("test-key", base_url, transport_sleep=lambda s: None),
                                 is_sandbox=True, base_url=base_url)

    def ctx(policy_data=None):
        policy = None
        if policy_data is not None:
            links = VENDORS["bayou"].customer_links(lake)
            policy = compile_policy(parse_policy(policy_data), links)
        return SyncContext("bayou", connection, lake, new_load_id(), policy, log)

    sync_customers(ctx())
    yield ctx, lake, state, connection
    connection.close()


def lake_rows(lake: Lake, entity: str, where: str = "true") -> list[dict]:
    with duckdb.connect() as con:
        rel = con.execute(f"select * from read_parquet('{lake.glob('bayou', entity)}', hive_partitioning = false, "
                          f"union_by_name = true) where {where}")
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row)) for row in rel.fetchall()]


def test_malformed_bills_are_quarantined_and_the_rest_lands(setup):
    ctx, lake, state, connection = setup
    customer_id = lake_rows(lake, "customers", "has_filled_credentials")[0]["customer_id"]
    good = connection.client.list_bills_raw(customer_id)
    assert len(good) >= 4
    bad_date = dict(good[0], billed_on="soon")
    bad_amount = dict(good[1], total_amount="twelve dollars")
    backwards = dict(good[2], billing_period_from="2026-05-01", billing_period_to="2026-04-01")
    batch = [bad_date, bad_amount, backwards, "not a bill", *good[3:]]
    state.inject_faults(f"/customers/{customer_id}/bills", [{"status": 200, "body": batch}])
    result = sync_bills(ctx({"default": {"history": "all", "continuous": True}}))
    assert result.quarantined == 4
    landed = {r["bill_id"] for r in lake_rows(lake, "bills", f"customer_id = '{customer_id}'")}
    assert landed == {str(b["id"]) for b in good[3:]}
    quarantined = lake_rows(lake, "quarantine")
    reasons = {q["record_id"]: q["reason"] for q in quarantined}
    assert "billed_on" in reasons[str(bad_date["id"])]
    assert "total_amount" in reasons[str(bad_amount["id"])] and "twelve dollars" in reasons[str(bad_amount["id"])]
    assert "before billing_period_from" in reasons[str(backwards["id"])]
    assert any(q["reason"] == "bills record is not a JSON object" for q in quarantined)
    assert all(q["vendor"] == "bayou" and q["entity"] == "bills" and q["_load_id"] for q in quarantined)


def test_quarantined_bill_outside_policy_keeps_only_locked_fields(setup):
    ctx, lake, state, connection = setup
    customer_id = lake_rows(lake, "customers", "has_filled_credentials")[0]["customer_id"]
    good = [b for b in connection.client.list_bills_raw(customer_id)]
    bill = dict(good[0], total_amount="abc", electricity_amount=1234)
    state.inject_faults(f"/customers/{customer_id}/bills", [{"status": 200, "body": [bill]}])
    result = sync_bills(ctx({"default": {"history": "none", "continuous": False}}))
    assert result.quarantined == 1
    (row,) = lake_rows(lake, "quarantine")
    assert "1234" not in row["raw_record"] and "abc" not in row["raw_record"] and "abc" not in row["reason"]
    assert row["reason"] == "total_amount: invalid value"


def test_html_page_with_200_fails_the_sync_clearly(setup):
    ctx, lake, state, _ = setup
    state.inject_faults("/customers", [{"status": 200, "raw": "<html>Scheduled maintenance</html>"}])
    with pytest.raises(VendorResponseError, match="not valid JSON"):
        sync_customers(ctx())


def test_out_of_policy_bills_are_masked_and_never_unlocked(setup):
    ctx, lake, state, _ = setup
    state.reset_calls()
    result = sync_bills(ctx({"default": {"history": "none", "continuous": False}}))
    assert result.counters["bills_masked"] == result.counters["bills_seen"] > 0
    assert not [c for c in state.calls_snapshot() if c["path"].endswith("/unlock")]
    rows = lake_rows(lake, "bills")
    assert all(r["is_masked"] and r["total_amount_cents"] is None and r["file_url"] is None for r in rows)
    assert all(r["consumption"] is None and r["tariff"] is None for r in lake_rows(lake, "bill_meters"))


def test_unchanged_bills_are_not_landed_twice(setup):
    ctx, lake, _, _ = setup
    policy = {"default": {"history": 12, "continuous": True}}
    first = sync_bills(ctx(policy))
    second = sync_bills(ctx(policy))
    assert first.entities["bills"].rows > 0
    assert second.entities["bills"].rows == 0 and second.counters["unlock_calls"] == 0


def test_intervals_are_incremental_with_a_lookback(setup):
    ctx, lake, state, _ = setup
    policy = {"default": {"history": 1, "continuous": True}}
    first = sync_intervals(ctx(policy))
    assert first.entities["intervals"].rows > 0
    state.reset_calls()
    second = sync_intervals(ctx(policy))
    calls = [c for c in state.calls_snapshot() if c["path"].endswith("/intervals")]
    customers = {c["path"].split("/")[-2] for c in calls}
    assert calls and len(calls) <= 2 * len(customers)  # the 3-day lookback spans at most two months
    # only the lookback (3 days) is re-read, not the whole window
    assert 0 < second.entities["intervals"].rows < first.entities["intervals"].rows / 5
