"""Urjanet end to end, checked with SQL on the warehouse: the pipeline fixture ran every asset
against the Urjanet sandbox in "real vendor" mode (login, paging) with statement deliveries read
from S3 (moto), then dbt built the marts."""

from __future__ import annotations

from datetime import UTC, datetime

from connectors.urjanet.sandbox.deliveries import special_statements


def urjanet(pipeline):
    return pipeline.urjanet_state


def test_accounts_carry_their_statuses(pipeline):
    state = urjanet(pipeline)
    accounts = state.records["account"]
    rows = pipeline.sql(
        "select vendor_account_id, account_number, enrollment_status, extraction_status, monitoring_status, "
        "provider_classification, last_successful_extraction_at, latest_total_bill_amount "
        "from marts.dim_accounts where vendor = 'urjanet'")
    assert {r[0] for r in rows} == set(accounts)
    for account_id, number, enrollment, extraction, monitoring, classification, last_success, latest in rows:
        source = accounts[account_id]
        assert (number, enrollment, extraction, monitoring, classification) == (
            source["accountNumber"], source["enrollmentStatus"], source["extractionStatus"],
            source["monitoringStatus"], source["providerClassification"])
        expected = source["lastSuccessfulExtraction"]
        assert last_success == (datetime.fromtimestamp(expected / 1000, UTC) if expected else None)
        if source["latestTotalBillAmount"] is not None:
            assert round(float(latest), 2) == round(source["latestTotalBillAmount"], 2)


def test_customers_are_accounts_linked_at_created(pipeline):
    state = urjanet(pipeline)
    rows = pipeline.sql("select vendor_customer_id, linked_at, link_source from marts.dim_customers "
                        "where vendor = 'urjanet'")
    assert len(rows) == len(state.records["account"])
    for customer_id, linked_at, source in rows:
        created = state.records["account"][customer_id]["created"]
        assert linked_at == datetime.fromtimestamp(created / 1000, UTC) and source == "created"


def test_meters_and_credentials_without_secrets(pipeline):
    state = urjanet(pipeline)
    meters = pipeline.sql("select vendor_meter_id, commodity, tariff from marts.dim_meters "
                          "where vendor = 'urjanet' and meter_source <> 'bills'")
    assert {m[0] for m in meters} == set(state.records["meter"])
    for meter_id, commodity, tariff in meters:
        source = state.records["meter"][meter_id]
        assert commodity == source["serviceType"].lower() and tariff == source["tariff"]
    credentials = pipeline.sql("select vendor_credential_id, extraction_channel_id, vendor_customer_id "
                               "from marts.dim_credentials where vendor = 'urjanet'")
    assert {c[0] for c in credentials} == set(state.records["credential"])
    assert all(c[2] is None for c in credentials)  # a credential serves many accounts: not a customer
    columns = {c[0] for c in pipeline.sql("select column_name from information_schema.columns "
                                          "where table_name = 'dim_credentials'")}
    assert not {c for c in columns if "password" in c or "username" in c}


def test_change_log_is_an_events_fact(pipeline):
    state = urjanet(pipeline)
    (count,) = pipeline.sql("select count(*) from marts.fct_account_events where vendor = 'urjanet'")[0]
    assert count == len(state.changelog)
    unresolved = pipeline.sql("select count(*) from marts.fct_account_events where vendor = 'urjanet' "
                              "and event_name = 'EnrollmentStatusChangeEvent' and vendor_account_id is null")
    assert unresolved == [(0,)]


def test_republished_statements_are_deduped_latest_wins(pipeline):
    special = special_statements(urjanet(pipeline).dataset)
    ids = {r[0] for r in pipeline.sql("select vendor_bill_id from marts.fct_bills where vendor = 'urjanet'")}
    assert special["republished"] in ids and special["original"] not in ids
    duplicates = pipeline.sql(
        "select vendor_account_id, statement_date, count(*) from marts.fct_bills where vendor = 'urjanet' "
        "group by 1, 2 having count(*) > 1")
    assert duplicates == []
    # both versions are in the lake: the dedupe is the warehouse's, not a loss at ingestion
    landed = pipeline.lake_sql("select count(*) from read_parquet('LAKE/urjanet/statements/*.parquet') "
                               f"where statement_id in ('{special['republished']}', '{special['original']}')")
    assert landed == [(2,)]


def test_adjustments_are_kept_apart_and_usage_is_not_counted_twice(pipeline):
    special = special_statements(urjanet(pipeline).dataset)
    in_bills = pipeline.sql("select count(*) from marts.fct_bills where vendor_bill_id = ?", [special["adjustment"]])
    assert in_bills == [(0,)]
    assert pipeline.sql("select count(*) from marts.fct_bill_meters where vendor_bill_id = ?",
                        [special["adjustment"]]) == [(0,)]
    (adjusted,) = pipeline.sql("select adjusted_vendor_bill_id from marts.fct_bill_adjustments "
                               "where vendor = 'urjanet' and vendor_bill_id = ?", [special["adjustment"]])[0:1] or [(None,)]
    assert adjusted is not None
    # bill meters' usage sums to the bills' usage: nothing from the adjustment leaks in
    mismatches = pipeline.sql(
        "select b.vendor_bill_id from marts.fct_bills b join marts.fct_bill_meters m using (vendor, vendor_bill_id) "
        "where b.vendor = 'urjanet' and not b.is_locked and m.commodity = 'electric' "
        "group by b.vendor_bill_id, b.electricity_usage_kwh "
        "having abs(coalesce(sum(m.usage), 0) - coalesce(b.electricity_usage_kwh, 0)) > 0.001")
    assert mismatches == []


def test_account_level_charges_are_kept_without_a_meter(pipeline):
    rows = pipeline.sql("select count(*) from marts.fct_bill_charges where vendor = 'urjanet' "
                        "and vendor_meter_id is null and not is_locked")
    assert rows[0][0] > 0
    # charge lines add up to the bill's new charges
    off = pipeline.sql(
        "select b.vendor_bill_id from marts.fct_bills b join marts.fct_bill_charges c using (vendor, vendor_bill_id) "
        "where b.vendor = 'urjanet' and not b.is_locked group by b.vendor_bill_id, b.new_charges "
        "having abs(sum(c.amount) - b.new_charges) > 0.005")
    assert off == []


def test_history_window_locks_statements_before_the_link(pipeline):
    """The default policy is 12 months of history: the sandbox's pulled history goes back further."""
    rows = pipeline.sql("select is_locked, lock_reason, total_amount from marts.fct_bills b "
                        "join marts.dim_customers c using (customer_key) "
                        "where b.vendor = 'urjanet' and b.statement_date < cast(c.linked_at as date) - interval 13 month")
    assert rows and all(r[0] and r[2] is None for r in rows)
    in_policy = pipeline.sql("select count(*) from marts.fct_bills where vendor = 'urjanet' and not is_locked "
                             "and total_amount is not null")
    assert in_policy[0][0] > 0
    leaked = pipeline.lake_sql("select count(*) from read_parquet('LAKE/urjanet/statements/*.parquet') "
                               "where is_masked and total_bill_amount is not null")
    assert leaked == [(0,)]


def test_deliveries_were_read_from_s3(pipeline):
    rows = pipeline.lake_sql("select distinct location from read_parquet('LAKE/urjanet/delivery_files/*.parquet')")
    assert rows and all(r[0].startswith("s3://urjanet-e2e-deliveries/acme") for r in rows)
    assert pipeline.sql("select count(*) from marts.quarantine where vendor = 'urjanet'") == [(0,)]
