"""Urjanet status syncs against the sandbox over real HTTP: full then incremental refresh, the change
log read incrementally with a lookback, statuses refreshed from change events, account id changes,
quarantine of malformed records."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import duckdb
import pytest

from connectors.core.vendor import SyncContext
from connectors.lake import Lake, new_load_id, read_latest
from connectors.urjanet import UrjanetConnection
from connectors.urjanet.client import UrjanetClient
from connectors.urjanet.entities import ACCOUNT_ID_CHANGES, ACCOUNTS, CHANGE_EVENTS
from connectors.urjanet.sandbox import generate_dataset, start_urjanet_sandbox
from connectors.urjanet.sync import KnownAccount, customer_links, detect_id_changes, sync_accounts

log = logging.getLogger("test")
AS_OF = date(2026, 10, 1)
_DATASET: dict = {}


@pytest.fixture()
def urjanet(tmp_path):
    """A fresh sandbox and an empty lake: (connection, state, lake)."""
    if "d" not in _DATASET:
        _DATASET["d"] = generate_dataset(seed=5, accounts=40, months=12, as_of=AS_OF)
    server, base_url = start_urjanet_sandbox(dataset=_DATASET["d"], username="u", password="urj-pw-SECRET-9")
    client = UrjanetClient("u", "urj-pw-SECRET-9", base_url, transport_sleep=lambda s: None)
    connection = UrjanetConnection("urjanet", client, is_sandbox=True, base_url=base_url, env={})
    try:
        yield connection, server.app.state.sandbox, Lake(tmp_path / "lake")
    finally:
        client.close()
        server.stop()


def run(connection, lake, **scope) -> object:
    return sync_accounts(SyncContext("urjanet", connection, lake, new_load_id(), None, log, scope=scope))


def changelog_calls(state) -> list[dict]:
    return [c for c in state.calls_snapshot() if c["path"] == "/api/v1/changelog/search"]


def test_first_sync_is_full_and_lands_every_entity_without_secrets(urjanet):
    connection, state, lake = urjanet
    result = run(connection, lake)
    assert result.counters["accounts_seen"] == len(state.records["account"]) == 40
    assert result.entities["accounts"].rows == 40
    assert result.entities["meters"].rows == len(state.records["meter"])
    assert result.entities["credentials"].rows == len(state.records["credential"])
    assert result.entities["change_events"].rows == len(state.changelog)
    assert result.entities["providers"].rows == len(state.records["provider"])
    refresh = read_latest(lake, "urjanet", __import__("connectors.urjanet.entities", fromlist=["x"]).STATUS_REFRESHES)
    assert refresh.column("mode").to_pylist() == ["full"]
    with duckdb.connect() as con:
        for entity in ("credentials", "accounts", "change_events"):
            text = con.execute(f"select string_agg(cast(t as varchar), '') from read_parquet('{lake.glob('urjanet', entity)}') t").fetchone()[0]
            assert "urj-pw-SECRET-9" not in text and "@example.com" not in text  # no password, no utility username
    # the policy's customer is the account, linked at its created time
    links = {link.customer_id: link for link in customer_links(lake)}
    some = next(iter(state.records["account"].values()))
    assert links[some["id"]].linked_at == datetime.fromtimestamp(some["created"] / 1000, UTC)
    assert links[some["id"]].source == "created"


def test_incremental_reads_the_change_log_after_the_cursor_and_lands_events_once(urjanet):
    connection, state, lake = urjanet
    run(connection, lake)
    state.reset_calls()
    second = run(connection, lake)
    assert second.counters.get("modified_accounts") is not None  # incremental
    assert len(changelog_calls(state)) == 1
    assert second.counters["events_read"] < len(state.changelog) / 10  # only the lookback is read again
    assert second.entities["change_events"].rows == 0  # events met again in the lookback are not re-landed
    assert second.entities["accounts"].rows == 0
    with duckdb.connect() as con:
        total, distinct = con.execute(
            f"select count(*), count(distinct event_key) from read_parquet('{lake.glob('urjanet', 'change_events')}')"
        ).fetchone()
    assert total == distinct == len(state.changelog)


def test_a_status_change_is_refreshed_from_the_change_log(urjanet):
    connection, state, lake = urjanet
    run(connection, lake)
    # The vendor changes an account's status without touching `modified`: only the change log says so.
    account = next(a for a in state.records["account"].values() if a["enrollmentStatus"] == "SUCCESSFUL_DELIVERED")
    account["enrollmentStatus"] = "FAILED_LOGIN"
    account["monitoringStatus"] = "LOGIN_FAILURE"
    state.log_event("EnrollmentStatusChangeEvent", state.tick(), oldStatus="SUCCESSFUL_DELIVERED",
                    newStatus="FAILED_LOGIN", accountNumber=account["accountNumber"],
                    providerAlias=account["utilityProvider"]["naturalKey"])
    result = run(connection, lake)
    assert result.counters["accounts_named_by_events"] >= 1
    assert result.entities["change_events"].rows == 1
    rows = {r["account_id"]: r for r in read_latest(lake, "urjanet", ACCOUNTS).to_pylist()}
    assert rows[account["id"]]["enrollment_status"] == "FAILED_LOGIN"
    assert rows[account["id"]]["monitoring_status"] == "LOGIN_FAILURE"


def test_an_account_id_change_is_recorded_and_the_link_time_kept(urjanet):
    connection, state, lake = urjanet
    run(connection, lake)
    old_id = next(iter(state.records["account"]))
    created = state.records["account"][old_id]["created"]
    new_id = state.change_account_id(old_id)
    result = run(connection, lake)
    assert result.counters["account_id_changes"] == 1
    (change,) = read_latest(lake, "urjanet", ACCOUNT_ID_CHANGES).to_pylist()
    assert (change["old_account_id"], change["new_account_id"], change["detected_by"]) == (old_id, new_id, "changelog")
    accounts = {r["account_id"]: r for r in read_latest(lake, "urjanet", ACCOUNTS).to_pylist()}
    assert accounts[new_id]["account_key"] == accounts[old_id]["account_key"] == change["account_key"]
    links = {link.customer_id: link for link in customer_links(lake)}
    assert old_id not in links and links[new_id].linked_at == datetime.fromtimestamp(created / 1000, UTC)
    assert len(links) == 40
    # the account's meters follow the new id
    meters = read_latest(lake, "urjanet", __import__("connectors.urjanet.entities", fromlist=["x"]).METERS).to_pylist()
    assert not [m for m in meters if m["account_id"] == old_id and m["meter_id"] in
                {k for k, v in state.records["meter"].items() if v["utilityAccount"]["id"] == new_id}]


def test_an_id_change_without_an_event_is_found_by_matching(urjanet):
    connection, state, lake = urjanet
    run(connection, lake)
    old_id = next(iter(state.records["account"]))
    new_id = state.change_account_id(old_id)
    state.changelog = [e for e in state.changelog if e["eventName"] != "AccountLinkageEvent"]
    result = run(connection, lake, full="true")
    assert result.counters["account_id_changes"] == 1
    (change,) = read_latest(lake, "urjanet", ACCOUNT_ID_CHANGES).to_pylist()
    assert (change["old_account_id"], change["new_account_id"], change["detected_by"]) == (old_id, new_id, "match")


def test_detect_id_changes_rules():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    known = [KnownAccount("a1", "p:1"), KnownAccount("a2", "p:2")]
    fetched = [{"account_id": "b1", "account_key": "p:1", "modified": None},   # new id, known key: changed
               {"account_id": "a2", "account_key": "p:2", "modified": None},   # same id
               {"account_id": "c3", "account_key": "p:3", "modified": None}]   # a new account
    changes = detect_id_changes(known, fetched, [], detected_at=now)
    assert [(c["old_account_id"], c["new_account_id"], c["detected_by"]) for c in changes] == [("a1", "b1", "match")]
    # both ids fetched in one sync: two accounts that share a key, not a change
    assert detect_id_changes(known, fetched + [{"account_id": "a1", "account_key": "p:1", "modified": None}], [],
                             detected_at=now) == []
    event = {"event_name": "AccountLinkageEvent", "old_account_id": "a1", "new_account_id": "b1",
             "provider_alias": "P", "account_number": "1", "event_time": now}
    (change,) = detect_id_changes(known, fetched, [event], detected_at=now)
    assert change["detected_by"] == "changelog" and change["account_key"] == "p:1"
    linkage_without_ids = {"event_name": "AccountLinkageEvent", "old_account_id": None, "new_account_id": None}
    assert len(detect_id_changes(known, [], [linkage_without_ids], detected_at=now)) == 0


def test_full_refresh_is_due_after_the_configured_hours(urjanet):
    connection, state, lake = urjanet
    run(connection, lake)
    connection.env = {"URJANET_FULL_REFRESH_HOURS": "0"}
    assert "modified_accounts" not in run(connection, lake).counters  # full again
    connection.env = {"URJANET_FULL_REFRESH_HOURS": "soon"}
    with pytest.raises(ValueError, match="URJANET_FULL_REFRESH_HOURS"):
        run(connection, lake)


def test_malformed_records_are_quarantined_and_the_rest_lands(urjanet):
    connection, state, lake = urjanet
    bad_id = next(iter(state.records["account"]))
    state.records["account"][bad_id] = {**state.records["account"][bad_id], "created": "the day before yesterday"}
    result = run(connection, lake)
    assert result.quarantined == 1 and result.entities["accounts"].rows == 39
    with duckdb.connect() as con:
        entity, reason = con.execute(
            f"select entity, reason from read_parquet('{lake.glob('urjanet', 'quarantine')}')").fetchone()
    assert entity == "accounts" and "created" in reason
    change_rows = read_latest(lake, "urjanet", CHANGE_EVENTS).num_rows
    assert change_rows == len(state.changelog)


# -- statement deliveries -------------------------------------------------------------------------------

from connectors.policy import compile_policy, parse_policy  # noqa: E402
from connectors.urjanet.deliveries import FolderSource  # noqa: E402
from connectors.urjanet.sandbox.deliveries import special_statements, upload_deliveries, write_deliveries  # noqa: E402
from connectors.urjanet.sync import sync_statements  # noqa: E402

ALL = {"default": {"history": "all", "continuous": True}}


def statements(connection, lake, policy: dict = ALL):
    compiled = compile_policy(parse_policy(policy), customer_links(lake))
    return sync_statements(SyncContext("urjanet", connection, lake, new_load_id(), compiled, log))


def lake_sql(lake, sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        for entity in ("statements", "usages", "charges", "delivery_files", "quarantine"):
            if lake.dataset_dir("urjanet", entity).exists():
                con.execute(f"create view {entity} as select * from read_parquet('{lake.glob('urjanet', entity)}', "
                            "union_by_name = true)")
        return con.execute(sql).fetchall()


def test_statements_from_a_delivery_folder_once_per_file_and_policy(urjanet, tmp_path):
    connection, state, lake = urjanet
    write_deliveries(state.dataset, tmp_path / "deliveries")
    connection.deliveries = FolderSource(tmp_path / "deliveries")
    run(connection, lake)
    first = statements(connection, lake)
    files = len(connection.deliveries.list())
    assert first.counters["files_read"] == files and first.counters["statements_masked"] == 0
    assert first.counters["statements_unmatched"] == 0 and first.quarantined == 0
    special = special_statements(state.dataset)
    ids = {r[0]: r[1] for r in lake_sql(lake, "select statement_id, statement_type from statements")}
    assert ids[special["adjustment"]] == "adjustment" and special["republished"] in ids and special["original"] in ids
    # account-level charges are kept without a meter
    assert lake_sql(lake, "select count(*) from charges where meter_number is null")[0][0] > 0
    # nothing new: no file is read again
    assert statements(connection, lake).counters["files_read"] == 0
    # a narrower policy: every file is read again; statements outside it keep ids and dates only
    narrow = statements(connection, lake, {"default": {"history": "none", "continuous": False}})
    assert narrow.counters["files_read"] == files
    assert narrow.counters["statements_masked"] == narrow.counters["statements_seen"]
    assert narrow.counters["lines_not_landed_outside_policy"] > 0
    assert narrow.entities["usages"].rows == narrow.entities["charges"].rows == 0


def test_history_window_masks_statements_before_the_link(urjanet, tmp_path):
    connection, state, lake = urjanet
    write_deliveries(state.dataset, tmp_path / "deliveries")
    connection.deliveries = FolderSource(tmp_path / "deliveries")
    run(connection, lake)
    result = statements(connection, lake, {"default": {"history": 3, "continuous": True}})
    assert result.counters["statements_masked"] > 0 and result.counters["statements_in_policy"] > 0
    (leaks,) = lake_sql(lake, "select count(*) from statements where is_masked and (total_bill_amount is not null "
                              "or amount_due is not null or new_charges is not null)")[0:1]
    assert leaks == (0,)
    orphan_lines = lake_sql(lake, "select count(*) from usages u join statements s using (statement_id) "
                                  "where s.is_masked")
    assert orphan_lines == [(0,)]


def test_unreadable_file_is_quarantined_and_unmatched_statements_are_read_again(urjanet, tmp_path):
    connection, state, lake = urjanet
    folder = tmp_path / "deliveries"
    write_deliveries(state.dataset, folder)
    (folder / "2026" / "broken.json").parent.mkdir(parents=True, exist_ok=True)
    (folder / "2026" / "broken.json").write_bytes(b"<html>502 Bad Gateway</html>")
    connection.deliveries = FolderSource(folder)
    # statements before any account is known: all unmatched, masked, and their files read again later
    early = statements(connection, lake)
    assert early.counters["statements_unmatched"] == early.counters["statements_seen"] > 0
    assert early.counters["files_unreadable"] == 1 and early.quarantined == 1
    (reason,) = lake_sql(lake, "select reason from quarantine where entity = 'delivery_files'")[0]
    assert "broken.json" in reason and "not JSON" in reason
    run(connection, lake)
    later = statements(connection, lake)
    assert later.counters["statements_unmatched"] == 0
    assert later.counters["files_read"] == len(connection.deliveries.list()) - 1  # the broken one is not retried
    assert later.counters["statements_in_policy"] == early.counters["statements_seen"]
    current = lake_sql(lake, "select count(*) from (select statement_id, is_masked, row_number() over "
                             "(partition by statement_id order by _extracted_at desc, _load_id desc) as n "
                             "from statements) where n = 1 and is_masked")
    assert current == [(0,)]


def test_statements_from_an_s3_prefix(urjanet, monkeypatch):
    moto = pytest.importorskip("moto")
    import boto3

    connection, state, lake = urjanet
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with moto.mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="urjanet-deliveries")
        s3.put_object(Bucket="urjanet-deliveries", Key="elsewhere/2026/other.json", Body=b"{}")
        upload_deliveries(state.dataset, "s3://urjanet-deliveries/acme/", client=s3)
        from connectors.urjanet import connect

        s3_connection = connect({"URJANET_SANDBOX_URL": connection.base_url,
                                 "URJANET_DELIVERY_S3_URI": "s3://urjanet-deliveries/acme"})
        assert s3_connection.deliveries.location.startswith("s3://urjanet-deliveries/acme")
        s3_connection.client = connection.client  # the fixture's sandbox has its own login
        run(s3_connection, lake)
        result = statements(s3_connection, lake)
    assert result.counters["files_read"] > 0 and result.counters["files_unreadable"] == 0
    assert result.counters["statements_seen"] == len(lake_sql(lake, "select distinct statement_id from statements"))


def test_full_sync_pages_across_more_than_1000_accounts(tmp_path):
    big = generate_dataset(seed=9, accounts=1150, months=6, as_of=AS_OF)
    server, base_url = start_urjanet_sandbox(dataset=big, username="u", password="p")
    client = UrjanetClient("u", "p", base_url, transport_sleep=lambda s: None)
    try:
        connection = UrjanetConnection("urjanet", client, is_sandbox=True, base_url=base_url, env={})
        lake = Lake(tmp_path / "lake")
        result = run(connection, lake)
        calls = [c for c in server.app.state.sandbox.calls_snapshot() if c["path"] == "/api/v1/account/search"]
    finally:
        client.close()
        server.stop()
    assert result.counters["accounts_seen"] == result.entities["accounts"].rows == 1150
    assert len(calls) == 2  # 1000 (the cap) + 150, following nextPageOffset
    assert read_latest(lake, "urjanet", ACCOUNTS).num_rows == 1150
