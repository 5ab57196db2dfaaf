"""WattzOn syncs against the HTTPS sandbox into a real lake: policy, PDFs, incremental months,
time zones, notifications (sandbox queue and SQS through moto)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import duckdb
import pytest

from connectors.core.vendor import SyncContext
from connectors.lake import Lake, new_load_id
from connectors.policy import compile_policy, parse_policy
from connectors.registry import VENDORS
from connectors.core.vendor import VendorConnection
from connectors.wattzon.client import WattzonClient
from connectors.wattzon.sync import refresh_profiles, sync_bills, sync_intervals, sync_profiles

log = logging.getLogger("test")
ALL = {"default": {"history": "all", "continuous": True}}


@pytest.fixture()
def setup(wattzon, tmp_path):
    server, base_url, pki, state = wattzon
    lake = Lake(tmp_path / "lake")
    client = WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                           ca_file=pki.ca_file, transport_sleep=lambda s: None)
    connection = VendorConnection("wattzon", client, is_sandbox=True, base_url=base_url)

    def ctx(policy_data=None, scope=None):
        policy = None
        if policy_data is not None:
            policy = compile_policy(parse_policy(policy_data), VENDORS["wattzon"].customer_links(lake))
        return SyncContext("wattzon", connection, lake, new_load_id(), policy, log, scope=scope or {})

    sync_profiles(ctx())
    yield ctx, lake, state, connection
    connection.close()


def rows(lake: Lake, entity: str, where: str = "true") -> list[dict]:
    with duckdb.connect() as con:
        rel = con.execute(f"select * from read_parquet('{lake.glob('wattzon', entity)}', hive_partitioning = false, "
                          f"union_by_name = true) where {where}")
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row)) for row in rel.fetchall()]


def test_profiles_link_at_creation(setup):
    _, lake, _, _ = setup
    profiles = rows(lake, "profiles")
    links = {link.customer_id: link for link in VENDORS["wattzon"].customer_links(lake)}
    assert len(profiles) == 6
    for profile in profiles:
        assert links[profile["profile_id"]].linked_at == profile["created"]
        assert links[profile["profile_id"]].source == "created"
    assert {j["profile_id"] for j in rows(lake, "jobs")} <= {p["profile_id"] for p in profiles}


def test_statements_outside_policy_keep_only_ids_and_dates_and_no_pdf(setup):
    ctx, lake, state, _ = setup
    state.reset_calls()
    result = sync_bills(ctx({"default": {"history": 1, "continuous": False}}))
    assert result.counters["statements_masked"] > 0 and result.counters["statements_in_policy"] > 0
    masked = rows(lake, "bills", "is_masked")
    assert masked
    for row in masked:
        assert row["cost"] is None and row["usage"] is None and row["total_amount_due"] is None
        assert row["pdf"] is None and row["pdf_sha256"] is None and row["name"] is None
        assert row["statement_id"] and row["statement_date"]
    masked_ids = {r["bill_id"] for r in masked}
    pdf_calls = [c["path"] for c in state.calls_snapshot() if c["path"].rstrip("/").endswith("/pdf")]
    assert pdf_calls and not [p for p in pdf_calls if p.rstrip("/").split("/")[-2] in masked_ids]


def test_pdfs_are_content_addressed_and_never_fetched_twice(setup):
    ctx, lake, state, _ = setup
    first = sync_bills(ctx(ALL))
    pdf_files = list((lake.root / "wattzon" / "pdf_files").rglob("*.pdf"))
    assert first.counters["pdfs_fetched"] == len(pdf_files) > 0
    for path in pdf_files:
        import hashlib

        assert path.stem == hashlib.sha256(path.read_bytes()).hexdigest()
    state.reset_calls()
    second = sync_bills(ctx(ALL))
    assert second.counters["pdfs_fetched"] == 0
    assert not [c for c in state.calls_snapshot() if c["path"].rstrip("/").endswith("/pdf")]
    assert len(list((lake.root / "wattzon" / "pdf_files").rglob("*.pdf"))) == len(pdf_files)
    assert second.entities["bills"].rows == 0  # unchanged records are not landed again


def test_only_incomplete_or_reextracted_months_are_fetched_again(setup):
    ctx, lake, state, _ = setup
    first = sync_intervals(ctx(ALL))
    assert first.counters["months_fetched"] > 5
    incomplete = [p for p in rows(lake, "interval_periods") if not p["complete"]]
    assert incomplete, "the current month is not complete"
    state.reset_calls()
    second = sync_intervals(ctx(ALL))
    fetched = {c["path"].rstrip("/").split("/")[-1] for c in state.calls_snapshot() if "/monthly/" in c["path"]}
    assert second.counters["months_fetched"] == len(incomplete)
    assert fetched == {p["month_id"] for p in incomplete}


def test_interval_months_follow_the_provider_time_zone(setup):
    ctx, lake, _, _ = setup
    sync_intervals(ctx(ALL))
    periods = rows(lake, "interval_periods", "complete")
    readings = rows(lake, "intervals", "timezone = 'America/Los_Angeles'")
    assert readings
    from zoneinfo import ZoneInfo

    zones = {(r["meter_id"]): r["timezone"] for r in rows(lake, "intervals", "timezone is not null")}
    assert len(set(zones.values())) > 1, "the sandbox has providers in several time zones"
    for period in periods:  # local midnight of the 1st, not a UTC month boundary
        first = period["first_interval"].astimezone(ZoneInfo(zones[period["meter_id"]]))
        assert (first.day, first.hour, first.minute) == (1, 0, 0)
        assert (period["first_interval"].hour, period["first_interval"].minute) != (0, 0)
    zone = ZoneInfo("America/Los_Angeles")
    # a spring-forward day has 92 quarter-hours in local time, a fall-back day 100
    counts: dict = {}
    for r in readings:
        local_day = r["interval_start"].astimezone(zone).date()
        counts[(r["meter_id"], local_day)] = counts.get((r["meter_id"], local_day), 0) + 1
    spring = [v for (m, d), v in counts.items() if d.month == 3 and d.weekday() == 6 and 8 <= d.day <= 14]
    fall = [v for (m, d), v in counts.items() if d.month == 11 and d.weekday() == 6 and d.day <= 7]
    assert spring and set(spring) == {92}
    assert fall and set(fall) == {100}


def test_older_agent_months_come_from_the_source_file(setup):
    ctx, lake, state, _ = setup
    state.reset_calls()
    sync_intervals(ctx(ALL))
    source_calls = [c for c in state.calls_snapshot() if "format=source" in (c.get("query") or "")]
    assert source_calls, "Con Edison's older months only have the source file"
    meter = source_calls[0]["path"].rstrip("/").split("/")[-3]
    month = source_calls[0]["path"].rstrip("/").split("/")[-1]
    got = rows(lake, "intervals", f"meter_id = '{meter}' and month_id = '{month}'")
    assert got and all(r["timezone"] == "America/New_York" for r in got)
    assert len({r["interval_start"] for r in got}) == len(got)  # the repeated fall-back hour is not merged


def test_scope_limits_a_sync_to_one_profile(setup):
    ctx, lake, state, _ = setup
    profile_id = rows(lake, "profiles")[0]["profile_id"]
    state.reset_calls()
    sync_bills(ctx(ALL, scope={"profile_id": profile_id}))
    paths = {c["path"] for c in state.calls_snapshot() if "/data/bills/" in c["path"]}
    assert paths and all(p.split("/data/bills/")[1].split("/")[0] == profile_id for p in paths)


def test_refresh_starts_jobs_and_their_notifications_request_runs(setup, monkeypatch):
    _, _, state, connection = setup
    counts = refresh_profiles(connection, log, modes=("bill",), deadline_s=30)
    assert counts["jobs_started"] == 6
    assert sum(v for k, v in counts.items() if k.startswith("final_")) == 6
    from connectors.wattzon.notifications import SandboxNotifications

    events = SandboxNotifications(connection).receive(25)
    assert len(events) == 6
    assert {e.scope["profile_id"] for e in events} == {str(p) for p in connection.client.list_profiles()}
    assert len({e.key for e in events}) == 6


def test_sqs_sensor_requests_a_run_per_notification_and_acknowledges_on_the_next_tick(monkeypatch):
    """SQS cannot exist here: moto stands in for it (the only mock in these tests)."""
    import json

    import boto3
    from dagster import build_sensor_context
    from moto import mock_aws

    from orchestration.automation import build_notification_sensor

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName="wattzon-link")["QueueUrl"]
        monkeypatch.setenv("WATTZON_SQS_QUEUE_URL", queue_url)
        message = {"app": "link", "profile_id": 121, "job_id": "62f1c29e-aca8-40b8-aa9f-eb436539e3fe",
                   "tags": ["example", "tags"], "created_at": "2017-01-16 04:47:17.155559+00:00",
                   "final_state": "success", "mode": "bill", "existing_records": 12, "new_records": 1}
        sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))
        sqs.send_message(QueueUrl=queue_url, MessageBody="not json")
        sensor = build_notification_sensor(VENDORS["wattzon"])
        context = build_sensor_context(cursor=None)
        requests = [r for r in sensor(context) if hasattr(r, "run_key")]
        assert len(requests) == 1
        assert requests[0].run_key == "wattzon:62f1c29e-aca8-40b8-aa9f-eb436539e3fe"
        assert requests[0].tags["scope/profile_id"] == "121"
        # received but not yet acknowledged: hidden, still in the queue
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "1"
        # the next tick acknowledges it
        next_context = build_sensor_context(cursor=context.cursor)
        assert not [r for r in sensor(next_context) if hasattr(r, "run_key")]
        attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
        assert attributes["ApproximateNumberOfMessages"] == "0"
        assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_sandbox_sensor_batches_a_ticks_notifications_into_one_scoped_run(setup, wattzon, monkeypatch):
    from dagster import build_sensor_context

    from orchestration.automation import build_notification_sensor

    _, _, state, connection = setup
    _, base_url, pki, _ = wattzon
    refresh_profiles(connection, log, modes=("bill",), deadline_s=30)
    for name in ("WATTZON_SQS_QUEUE_URL", "WATTZON_CERT_FILE", "WATTZON_KEY_FILE", "WATTZON_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("WATTZON_SANDBOX_URL", base_url)
    monkeypatch.setenv("WATTZON_SANDBOX_CA_FILE", str(pki.ca_file))
    monkeypatch.setenv("WATTZON_SANDBOX_CERT_FILE", str(pki.client_cert_file))
    monkeypatch.setenv("WATTZON_SANDBOX_KEY_FILE", str(pki.client_key_file))
    sensor = build_notification_sensor(VENDORS["wattzon"])
    requests = [r for r in sensor(build_sensor_context()) if hasattr(r, "run_key")]
    assert len(requests) == 1
    assert requests[0].tags["scope/profile_id"] == ",".join(sorted(str(p) for p in connection.client.list_profiles()))
    assert state.receive_notifications(10) == []  # the sandbox queue was drained


def test_a_month_listed_twice_is_fetched_and_landed_once(setup):
    """A period repeated in one answer of GET /data/intervals/{profile}/ (a vendor repeating a
    record) is fetched and landed once, and counted."""
    ctx, lake, state, connection = setup
    profile_id = rows(lake, "profiles")[0]["profile_id"]
    path = f"/data/intervals/{profile_id}/"
    listing = connection.client.http.get_json(path)
    periods = listing["intervals"]
    assert periods
    doubled = json.dumps({**listing, "intervals": periods + periods[:1]})
    state.inject_faults(path, [{"status": 200, "raw": doubled}], method="GET")
    result = sync_intervals(ctx(ALL, scope={"profile_id": profile_id}))
    assert result.counters["periods_repeated"] == 1
    landed = rows(lake, "interval_periods", f"profile_id = '{profile_id}'")
    assert len(landed) == len({(p["meter_id"], p["month_id"]) for p in landed})
