"""Bad input, vendor by vendor, through real HTTP (or a delivery folder for Urjanet statements).

Each case of tests/corpus/<vendor>.py spoils one record of a real sandbox answer and serves it
BESIDE the valid records (the sandbox's scripted raw bodies), runs the vendor's sync (the function
the Dagster asset calls), and checks: the valid records landed; a quarantined record is in
`lake/<vendor>/quarantine` with vendor, entity, raw record, reason and load id, and the SyncResult
counts it; a landed one is in the lake; an unreadable answer fails with an error naming the vendor
and the endpoint.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import duckdb
import orjson
import pytest

from connectors.core.errors import VendorError
from connectors.core.vendor import SyncContext, VendorConnection
from connectors.lake import Lake, new_load_id
from connectors.policy import compile_policy, parse_policy
from connectors.registry import VENDORS
from tests.corpus import NON_UTF8_MARKER, Case, non_utf8, spoil
from tests.corpus import arcadia as arcadia_corpus
from tests.corpus import bayou as bayou_corpus
from tests.corpus import urjanet as urjanet_corpus
from tests.corpus import wattzon as wattzon_corpus

log = logging.getLogger("test")
ALL = {"default": {"history": "all", "continuous": True}}


class RawBytes(str):
    """A scripted raw body that is not UTF-8: the sandbox sends `str(raw).encode()`, and this
    string's encode() gives the bytes as they are (the fault kit takes text only)."""

    def __new__(cls, data: bytes):
        text = super().__new__(cls, data.decode("latin-1"))
        text.data = data
        return text

    def __str__(self) -> str:
        return self

    def encode(self, *args, **kwargs) -> bytes:  # noqa: ARG002
        return self.data


def raw_body(case: Case, document) -> str:
    """The answer to script: the case's raw text, or the document as JSON (not UTF-8 if asked)."""
    if case.raw is not None:
        return case.raw
    body = orjson.dumps(document)
    return RawBytes(non_utf8(body)) if NON_UTF8_MARKER.encode() in body else body.decode()


def page_with(case: Case, valid: list[dict], at: int = 0) -> tuple[list, dict]:
    """The valid records with record `at` spoiled (or, for a duplicate, a spoiled copy after it)."""
    spoiled = spoil(valid[at], case)
    records = list(valid)
    if case.duplicate:
        records.insert(at + 1, spoiled)
    else:
        records[at] = spoiled
    return records, spoiled


def rows(lake: Lake, vendor: str, entity: str, where: str = "true") -> list[dict]:
    if not lake.has_data(vendor, entity):
        return []
    with duckdb.connect() as con:
        rel = con.execute(f"select * from read_parquet('{lake.glob(vendor, entity)}', hive_partitioning = false, "
                          f"union_by_name = true) where {where}")
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row)) for row in rel.fetchall()]


def check_outcome(case: Case, run, lake: Lake, vendor: str, endpoint: str):
    """Run the sync and check the case's outcome; returns the SyncResult (None when it failed)."""
    if case.outcome == "fails":
        with pytest.raises(VendorError) as info:
            run()
        message = str(info.value)
        assert message.startswith(f"{vendor}: ") and endpoint in message and case.reason in message, message
        return None
    result = run()
    quarantined = [q for q in rows(lake, vendor, "quarantine") if q["_load_id"] == result.load_id]
    if case.outcome == "quarantined":
        assert result.quarantined == len(quarantined) == 1, quarantined
        (row,) = quarantined
        assert row["vendor"] == vendor and row["entity"] == case.entity, row
        assert row["raw_record"] and case.reason in row["reason"], row["reason"]
        assert row["_extracted_at"] is not None
    else:
        assert result.quarantined == 0 and not quarantined, quarantined
    return result


def runner(sync, ctx):
    """sync(ctx), with the load id kept on the result for the checks above."""
    def run():
        result = sync(ctx)
        result.load_id = ctx.load_id
        return result
    return run


# -- Bayou ------------------------------------------------------------------------------------------


@pytest.fixture()
def bayou_setup(bayou, tmp_path):
    from connectors.bayou.client import BayouClient
    from connectors.bayou.sync import sync_customers

    _, base_url, state = bayou
    lake = Lake(tmp_path / "lake")
    connection = VendorConnection("bayou", BayouClient("test-key", base_url, transport_sleep=lambda s: None),
                                  is_sandbox=True, base_url=base_url)

    def ctx(scope=None, window=None):
        policy = compile_policy(parse_policy(ALL), VENDORS["bayou"].customer_links(lake))
        return SyncContext("bayou", connection, lake, new_load_id(), policy, log, scope=scope or {}, window=window)

    sync_customers(ctx())
    yield ctx, lake, state, connection
    connection.close()


@pytest.mark.parametrize("case", bayou_corpus.BILLS, ids=lambda c: c.id)
def test_bayou_bills(case, bayou_setup):
    from connectors.bayou.sync import sync_bills

    ctx, lake, state, connection = bayou_setup
    customer_id = rows(lake, "bayou", "customers", "has_filled_credentials")[0]["customer_id"]
    valid = connection.client.list_bills_raw(customer_id)
    page, spoiled = page_with(case, valid)
    state.inject_faults(f"/customers/{customer_id}/bills", [{"status": 200, "raw": raw_body(case, page)}])
    result = check_outcome(case, runner(sync_bills, ctx({"customer_id": customer_id})), lake, "bayou",
                           f"/customers/{customer_id}/bills")
    if result is None:
        return
    landed = {r["bill_id"] for r in rows(lake, "bayou", "bills", f"customer_id = '{customer_id}'")}
    assert {str(b["id"]) for b in valid[1:]} <= landed
    if case.outcome == "landed" or case.duplicate:
        assert str(valid[0]["id"]) in landed
    if case.duplicate:  # the first occurrence is the one that landed
        (row,) = rows(lake, "bayou", "bills", f"bill_id = '{valid[0]['id']}'")
        assert row["total_amount_cents"] != case.set["total_amount"]


def bayou_month_with_readings(lake: Lake, connection):
    from connectors.bayou.intervals import get_interval_body

    month = (datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
    for customer in rows(lake, "bayou", "customers", "intervals_are_ready"):
        body = orjson.loads(get_interval_body(connection.client, customer["customer_id"], start=month[0],
                                              end=month[1]))
        if body.get("meters") and len(body["meters"][0]["intervals"]) > 10:
            return customer["customer_id"], month, body
    raise AssertionError("no customer with interval readings in the sandbox month")


@pytest.mark.parametrize("case", bayou_corpus.INTERVALS, ids=lambda c: c.id)
def test_bayou_intervals(case, bayou_setup):
    from connectors.bayou.sync import sync_intervals

    ctx, lake, state, connection = bayou_setup
    customer_id, month, body = bayou_month_with_readings(lake, connection)
    meter = body["meters"][0]
    readings, _ = page_with(case, meter["intervals"], at=5)
    meter["intervals"] = readings
    sent = sum(len(m["intervals"]) for m in body["meters"])
    state.inject_faults(f"/customers/{customer_id}/intervals", [{"status": 200, "raw": raw_body(case, body)}])
    result = check_outcome(case, runner(sync_intervals, ctx({"customer_id": customer_id}, month)), lake, "bayou",
                           f"/customers/{{id}}/intervals")
    if result is None:
        return
    landed = len(rows(lake, "bayou", "intervals", f"customer_id = '{customer_id}'"))
    assert landed == sent - (case.outcome == "quarantined")
    assert result.counters["readings_received"] == sent


# -- WattzOn ----------------------------------------------------------------------------------------


@pytest.fixture()
def wattzon_setup(wattzon, tmp_path):
    from connectors.wattzon.client import WattzonClient
    from connectors.wattzon.sync import sync_profiles

    _, base_url, pki, state = wattzon
    lake = Lake(tmp_path / "lake")
    client = WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                           ca_file=pki.ca_file, transport_sleep=lambda s: None)
    connection = VendorConnection("wattzon", client, is_sandbox=True, base_url=base_url)

    def ctx(scope=None, window=None):
        policy = compile_policy(parse_policy(ALL), VENDORS["wattzon"].customer_links(lake))
        return SyncContext("wattzon", connection, lake, new_load_id(), policy, log, scope=scope or {}, window=window)

    sync_profiles(ctx())
    yield ctx, lake, state, connection
    connection.close()


@pytest.mark.parametrize("case", wattzon_corpus.BILLS, ids=lambda c: c.id)
def test_wattzon_bills(case, wattzon_setup):
    from connectors.wattzon.sync import sync_bills

    ctx, lake, state, connection = wattzon_setup
    profile_id = next(p["profile_id"] for p in rows(lake, "wattzon", "profiles")
                      if len(connection.client.bills_raw(p["profile_id"])) > 3)
    valid = connection.client.bills_raw(profile_id)
    at = next(i for i, r in enumerate(valid) if r.get("type") == "electricity" and r.get("start_date"))
    page, _ = page_with(case, valid, at)
    state.inject_faults(f"/data/bills/{profile_id}", [{"status": 200, "raw": raw_body(case, page)}])
    result = check_outcome(case, runner(sync_bills, ctx({"profile_id": profile_id})), lake, "wattzon",
                           f"/data/bills/{profile_id}/")
    if result is None:
        return
    landed = {(r["bill_id"], r["record_type"]) for r in rows(lake, "wattzon", "bills", f"profile_id = '{profile_id}'")}
    others = {(r["bill_id"], r["type"]) for i, r in enumerate(valid) if i != at}
    assert others <= landed
    if case.outcome == "landed":
        assert (valid[at]["bill_id"], case.set.get("type", valid[at]["type"])) in landed


def wattzon_month(lake: Lake, connection):
    for profile in rows(lake, "wattzon", "profiles"):
        for period in connection.client.interval_periods(profile["profile_id"]).records:
            if period.complete:
                return profile["profile_id"], period
    raise AssertionError("no complete interval month in the sandbox")


@pytest.mark.parametrize("case", wattzon_corpus.READINGS, ids=lambda c: c.id)
def test_wattzon_interval_readings(case, wattzon_setup):
    from connectors.wattzon.sync import sync_intervals

    ctx, lake, state, connection = wattzon_setup
    profile_id, period = wattzon_month(lake, connection)
    body = orjson.loads(connection.client.interval_file(profile_id, period.meter_id, period.month_id))
    readings, spoiled = page_with(case, body["readings"], at=5)
    if case.name == "end before start":
        spoiled["end"] = spoiled["start"] - 900
    body["readings"] = readings
    path = f"/data/intervals/{profile_id}/{period.meter_id}/monthly/{period.month_id}"
    state.inject_faults(path, [{"status": 200, "raw": raw_body(case, body)}])
    window = (period.first_interval + timedelta(days=3), period.first_interval + timedelta(days=4))
    result = check_outcome(case, runner(sync_intervals, ctx({"profile_id": profile_id}, window)), lake, "wattzon",
                           "/monthly/")
    if result is None:
        return
    landed = rows(lake, "wattzon", "intervals", f"meter_id = '{period.meter_id}' and month_id = '{period.month_id}'")
    assert len(landed) == len(body["readings"]) - (case.outcome == "quarantined")


# -- Arcadia ----------------------------------------------------------------------------------------

ARCADIA_AS_OF = date(2026, 10, 1)
_ARCADIA: dict = {}


@pytest.fixture()
def arcadia_setup(tmp_path):
    from connectors.arcadia.client import ArcadiaClient
    from connectors.arcadia.sandbox import generate_dataset, start_arcadia_sandbox
    from connectors.arcadia.sync import sync_accounts_and_meters, sync_users_and_credentials

    if "d" not in _ARCADIA:
        _ARCADIA["d"] = generate_dataset(seed=3, users=2, months=6, as_of=ARCADIA_AS_OF)
    server, base_url = start_arcadia_sandbox(dataset=_ARCADIA["d"], client_id="cid", client_secret="arc-SECRET-42")
    client = ArcadiaClient("cid", "arc-SECRET-42", base_url, transport_sleep=lambda s: None)
    connection = VendorConnection("arcadia", client, is_sandbox=True, base_url=base_url)
    lake = Lake(tmp_path / "lake")

    def ctx(scope=None, window=None):
        policy = compile_policy(parse_policy(ALL), VENDORS["arcadia"].customer_links(lake))
        return SyncContext("arcadia", connection, lake, new_load_id(), policy, log, scope=scope or {}, window=window)

    sync_users_and_credentials(ctx())
    sync_accounts_and_meters(ctx())
    try:
        yield ctx, lake, server.app.state.sandbox, connection
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize("case", arcadia_corpus.STATEMENTS, ids=lambda c: c.id)
def test_arcadia_statements(case, arcadia_setup):
    from connectors.arcadia.sync import sync_statements

    ctx, lake, state, connection = arcadia_setup
    account_id = rows(lake, "arcadia", "accounts")[0]["account_id"]
    answer = connection.client.http.get_json("/plug/utility_statements", params={
        "utility_account_id": account_id, "limit": 100, "order": "asc"})
    valid = answer["data"]
    assert 2 <= len(valid) < 100
    page, _ = page_with(case, valid)
    state.inject_faults("/plug/utility_statements", [{"status": 200, "raw": raw_body(
        case, {"data": page, "total_count": len(page)})}])
    result = check_outcome(case, runner(sync_statements, ctx({"account_id": account_id})), lake, "arcadia",
                           "/plug/utility_statements")
    if result is None:
        return
    landed = {r["statement_id"]: r for r in rows(lake, "arcadia", "statements", f"account_id = '{account_id}'")}
    assert {str(s["id"]) for s in valid[1:]} <= set(landed)
    if case.outcome == "landed":
        assert str(valid[0]["id"]) in landed
    if case.duplicate:  # paged by updated_at: the newer version wins
        assert float(landed[str(valid[0]["id"])]["kwh"]) == case.set["kwh"]


@pytest.mark.parametrize("case", arcadia_corpus.INTERVALS, ids=lambda c: c.id)
def test_arcadia_intervals(case, arcadia_setup):
    from connectors.arcadia.sync import sync_intervals

    ctx, lake, state, connection = arcadia_setup
    meter = next(m for m in rows(lake, "arcadia", "meters") if m["service_type"] in (None, "electric")
                 and connection.client.interval_metadata(utility_meter_id=m["meter_id"])[1] is not None)
    _, latest, _ = connection.client.interval_metadata(utility_meter_id=meter["meter_id"])
    month = (latest - timedelta(days=3), latest)
    valid = connection.client.intervals_raw(utility_meter_id=meter["meter_id"], start=month[0], end=month[1])
    assert len(valid) > 10
    items, _ = page_with(case, valid, at=5)
    # The metadata call shares the path prefix: let it through (a delay-only fault), then answer.
    state.inject_faults("/plug/utility_intervals", [{"delay": 0.001}, {"status": 200, "raw": raw_body(
        case, {"data": items})}])
    result = check_outcome(case, runner(sync_intervals, ctx({"meter_id": meter["meter_id"]}, month)), lake,
                           "arcadia", "/plug/utility_intervals")
    if result is None:
        return
    landed = rows(lake, "arcadia", "intervals", f"meter_id = '{meter['meter_id']}'")
    assert len(landed) == len(items) - (case.outcome == "quarantined")


# -- Urjanet ----------------------------------------------------------------------------------------

URJANET_AS_OF = date(2026, 10, 1)
_URJANET: dict = {}


@pytest.fixture()
def urjanet_setup(tmp_path):
    from connectors.urjanet import UrjanetConnection
    from connectors.urjanet.client import UrjanetClient
    from connectors.urjanet.sandbox import generate_dataset, start_urjanet_sandbox

    if "d" not in _URJANET:
        _URJANET["d"] = generate_dataset(seed=5, accounts=8, months=6, as_of=URJANET_AS_OF)
    server, base_url = start_urjanet_sandbox(dataset=_URJANET["d"], username="u", password="urj-pw-SECRET-9")
    client = UrjanetClient("u", "urj-pw-SECRET-9", base_url, transport_sleep=lambda s: None)
    connection = UrjanetConnection("urjanet", client, is_sandbox=True, base_url=base_url, env={})
    lake = Lake(tmp_path / "lake")

    def ctx():
        policy = compile_policy(parse_policy(ALL), VENDORS["urjanet"].customer_links(lake))
        return SyncContext("urjanet", connection, lake, new_load_id(), policy, log)

    try:
        yield ctx, lake, server.app.state.sandbox, connection
    finally:
        client.close()
        server.stop()


@pytest.mark.parametrize("case", urjanet_corpus.ACCOUNTS, ids=lambda c: c.id)
def test_urjanet_accounts(case, urjanet_setup):
    from connectors.urjanet.sync import sync_accounts

    ctx, lake, state, _ = urjanet_setup
    accounts = state.records["account"]
    valid_ids = list(accounts)
    first = valid_ids[0]
    if case.raw is not None:
        state.inject_faults("/account/search", [{"status": 200, "raw": case.raw}])
    elif case.duplicate:  # the same id a second time in the search (the sandbox keys records by its own key)
        accounts["zz-duplicate"] = spoil(accounts[first], case)
    else:
        accounts[first] = spoil(accounts[first], case)
    result = check_outcome(case, runner(sync_accounts, ctx()), lake, "urjanet", "/account/search")
    if result is None:
        return
    landed = {r["account_id"]: r for r in rows(lake, "urjanet", "accounts")}
    assert set(valid_ids[1:]) <= set(landed)
    if case.outcome == "landed":
        assert first in landed
    if case.duplicate:  # the latest `modified` wins
        assert landed[first]["monitoring_status"] == case.set["monitoringStatus"]


def delivery_statement(sid: str, account_number: str) -> dict:
    return {
        "StatementId": sid,
        "Account": {"AccountNumber": account_number, "ProviderAlias": "GeorgiaPower", "ProviderName": "Georgia Power",
                    "StatementDate": "2024-03-05", "DueDate": "2024-03-26", "IntervalStart": "2024-02-01",
                    "IntervalEnd": "2024-02-29", "TotalBillAmount": "150.25", "AmountDue": 150.25,
                    "StatementType": "bill", "Currency": "USD"},
        "Meters": [{"MeterNumber": "m-001", "ServiceType": "ELECTRIC", "Tariff": "GEO-R1",
                    "IntervalStart": "2024-02-02", "IntervalEnd": "2024-03-01",
                    "Usages": [{"MeasurementType": "general_consumption", "EnergyUnit": "kWh",
                                "UsageAmount": "812.5", "RateComponent": "[total]"}],
                    "Charges": [{"ChargeActualName": "Energy Charge", "ChargeAmount": 81.25}]}],
        "Charges": [{"ChargeActualName": "Customer Charge", "ChargeAmount": "10"}],
    }


@pytest.mark.parametrize("case", urjanet_corpus.STATEMENTS, ids=lambda c: c.id)
def test_urjanet_delivery_statements(case, urjanet_setup, tmp_path):
    from connectors.urjanet.deliveries import FolderSource
    from connectors.urjanet.sync import sync_statements

    ctx, lake, _, connection = urjanet_setup
    folder = tmp_path / "deliveries"
    folder.mkdir()
    valid = [delivery_statement(f"S-{i}", f"100-{i}") for i in range(4)]
    statements, _ = page_with(case, valid)
    document = {"deliveryId": "DLV-BAD", "customerId": "C", "createdDate": "2024-03-10T06:00:00Z",
                "statements": statements}
    body = raw_body(case, document)
    (folder / "2024-03-10-bad.json").write_bytes(body.encode() if isinstance(body, RawBytes) else body.encode())
    if case.entity == "delivery_files":  # the valid statements arrive in another file
        (folder / "2024-03-11-good.json").write_bytes(orjson.dumps({**document, "statements": valid}))
    connection.deliveries = FolderSource(folder)
    result = check_outcome(case, runner(sync_statements, ctx()), lake, "urjanet", "")
    landed = {r["statement_id"] for r in rows(lake, "urjanet", "statements")}
    assert {s["StatementId"] for s in valid[1:]} <= landed
    if case.outcome == "landed":
        assert "S-0" in landed
    if case.outcome == "quarantined":
        (row,) = rows(lake, "urjanet", "quarantine")
        assert "2024-03-10-bad.json" in row["reason"] or row["record_id"] == "2024-03-10-bad.json"
    assert result.counters["files_unreadable"] == (case.entity == "delivery_files")
