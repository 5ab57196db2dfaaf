"""Urjanet statement deliveries: parsing one file, and listing/reading folder and S3 sources."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pyarrow as pa
import pytest

from connectors.urjanet.deliveries import (
    DeliveryFile,
    DeliveryFormatError,
    FolderSource,
    S3Source,
    delivery_file_row,
    normalize_number,
    parse_delivery,
    parse_s3_uri,
    source_from_env,
)
from connectors.urjanet.entities import CHARGES, DELIVERY_FILES, STATEMENT_METERS, STATEMENTS, USAGES

SYNC_COLUMNS = {"_load_id", "_extracted_at", "account_id", "account_key", "is_masked"}


def _statement(sid="S-1", **account) -> dict:
    return {
        "StatementId": sid,
        "Account": {
            "AccountNumber": "123-456 78", "ProviderAlias": "GeorgiaPower", "ProviderName": "Georgia Power",
            "StatementDate": "2024-03-05", "DueDate": "2024-03-26", "IntervalStart": "2024-02-01",
            "IntervalEnd": "2024-02-29", "TotalBillAmount": "150.25", "AmountDue": 150.25, "NewCharges": "100.25",
            "OutstandingBalance": 50, "PreviousBalance": "75.00", "StatementType": "bill", "Currency": "USD",
            **account,
        },
        "Meters": [
            {"MeterNumber": "m-001", "ServiceType": "ELECTRIC", "Tariff": "GEO-R1", "PODid": "POD1",
             "IntervalStart": "2024-02-02", "IntervalEnd": "2024-03-01",
             "Usages": [{"MeasurementType": "general_consumption", "EnergyUnit": "kWh", "UsageAmount": "812.5",
                         "RateComponent": "[total]"},
                        {"MeasurementType": "demand", "EnergyUnit": "kW", "UsageAmount": 4.25,
                         "RateComponent": "[peak]"}],
             "Charges": [{"ChargeActualName": "Energy Charge", "ChargeAmount": 81.25, "ChargeUnitsUsed": "812.5",
                          "ChargeRatePerUnit": "0.1", "UsageUnit": "kWh"}]},
            {"MeterNumber": "G-2", "ServiceType": "GAS", "Tariff": None,
             "Usages": [{"MeasurementType": "general_consumption", "EnergyUnit": "therms", "UsageAmount": 10}],
             "Charges": [{"ChargeActualName": "Gas Supply Charge", "ChargeAmount": "9.00"}]},
        ],
        "Charges": [{"ChargeActualName": "Customer Charge", "ChargeAmount": "10", "ChargeUnitsUsed": None,
                     "ChargeRatePerUnit": None, "UsageUnit": None}],
    }


def _delivery(*statements, **header) -> bytes:
    document = {"deliveryId": "DLV-1", "customerId": "SandboxCustomer", "createdDate": "2024-03-10T06:00:00Z",
                "statements": list(statements), **header}
    return orjson.dumps(document)


def _columns(entity) -> list[str]:
    return [n for n in entity.schema.names if n not in SYNC_COLUMNS]


def test_normalize_number():
    assert normalize_number("123-456 78") == "12345678"
    assert normalize_number(" ab.c-9 ") == "ABC9"
    assert normalize_number("--") is None
    assert normalize_number(None) is None


def test_parse_a_statement_into_rows_that_fit_the_lake_schemas():
    parsed = parse_delivery("2024/03/delivery.json", _delivery(_statement()))
    assert parsed.delivery_id == "DLV-1" and parsed.customer_id == "SandboxCustomer"
    assert parsed.delivered_at == datetime(2024, 3, 10, 6, tzinfo=UTC)
    assert parsed.rejected == []
    [statement] = parsed.statements
    assert statement["statement_id"] == "S-1"
    assert statement["delivery_file"] == "2024/03/delivery.json"
    assert statement["delivered_at"] == parsed.delivered_at
    assert statement["normalized_account_number"] == "12345678"
    assert statement["statement_type"] == "bill"
    assert statement["statement_date"] == date(2024, 3, 5) and statement["due_date"] == date(2024, 3, 26)
    # amounts as strings and as numbers
    assert statement["total_bill_amount"] == Decimal("150.25") and statement["amount_due"] == Decimal("150.25")
    assert statement["outstanding_balance"] == Decimal(50) and statement["previous_balance"] == Decimal(75)

    assert [(m["normalized_meter_number"], m["service_type"], m["pod_id"]) for m in parsed.statement_meters] == [
        ("M001", "ELECTRIC", "POD1"), ("G2", "GAS", None)]
    # a meter without its own period takes the statement's
    assert parsed.statement_meters[1]["interval_start"] == date(2024, 2, 1)

    assert [(u["line_number"], u["normalized_meter_number"], u["measurement_type"], u["usage_amount"])
            for u in parsed.usages] == [
        (1, "M001", "general_consumption", Decimal("812.5")), (2, "M001", "demand", Decimal("4.25")),
        (3, "G2", "general_consumption", Decimal(10))]
    assert parsed.usages[0]["interval_start"] == date(2024, 2, 2)  # the meter's period

    lines = [(c["line_number"], c["meter_number"], c["charge_actual_name"], c["charge_amount"]) for c in parsed.charges]
    assert lines == [
        (1, "m-001", "Energy Charge", Decimal("81.25")), (2, "G-2", "Gas Supply Charge", Decimal(9)),
        (3, None, "Customer Charge", Decimal(10))]
    account_charge = parsed.charges[2]
    assert account_charge["normalized_meter_number"] is None
    assert account_charge["interval_end"] == date(2024, 2, 29)
    assert parsed.charges[0]["charge_rate_per_unit"] == Decimal("0.1")

    # every column but the sync's, and each table converts to the lake schema
    for entity, rows in ((STATEMENTS, parsed.statements), (STATEMENT_METERS, parsed.statement_meters),
                         (USAGES, parsed.usages), (CHARGES, parsed.charges)):
        assert all(list(row) == _columns(entity) for row in rows), entity.name
        schema = pa.schema([entity.schema.field(n) for n in _columns(entity)])
        assert pa.Table.from_pylist(rows, schema=schema).num_rows == len(rows)
    assert parsed.rows()["usages"] is parsed.usages


def test_amounts_are_fitted_to_the_lake_scales():
    statement = _statement(TotalBillAmount="10.123456")
    statement["Meters"][0]["Usages"][0]["UsageAmount"] = "1.23456789"
    parsed = parse_delivery("d.json", _delivery(statement))
    assert parsed.statements[0]["total_bill_amount"] == Decimal("10.1235")
    assert parsed.usages[0]["usage_amount"] == Decimal("1.234568")
    too_big = parse_delivery("d.json", _delivery(_statement(TotalBillAmount="1e20")))
    assert too_big.statements == []
    assert too_big.rejected[0].reason.startswith("Account.TotalBillAmount: number too large")


def test_statement_type_is_case_insensitive_and_defaults_to_bill():
    adjustment = _statement("A", StatementType="ADJUSTMENT")
    missing = _statement("B")
    del missing["Account"]["StatementType"]
    parsed = parse_delivery("d.json", _delivery(adjustment, missing))
    assert [s["statement_type"] for s in parsed.statements] == ["adjustment", "bill"]


@pytest.mark.parametrize("change, reason", [
    (lambda s: s.pop("StatementId"), "StatementId: missing"),
    (lambda s: s["Account"].pop("AccountNumber"), "Account.AccountNumber: missing"),
    (lambda s: s["Account"].update(ProviderAlias="  "), "Account.ProviderAlias: missing"),
    (lambda s: s["Account"].pop("StatementDate"), "Account.StatementDate: missing"),
    (lambda s: s["Account"].update(StatementDate="2024-13-45"),
     "Account.StatementDate: expected an ISO date, got '2024-13-45'"),
    (lambda s: s["Account"].update(StatementType="credit"),
     "Account.StatementType: unknown statement type 'credit'"),
    (lambda s: s["Account"].update(TotalBillAmount="a lot"), "Account.TotalBillAmount: expected a number"),
    (lambda s: s["Meters"][1]["Usages"][0].update(UsageAmount="n/a"),
     "Meters.1.Usages.0.UsageAmount: expected a number"),
    (lambda s: s["Charges"][0].update(ChargeAmount=True), "Charges.0.ChargeAmount: expected a number"),
    (lambda s: s["Meters"][0].pop("MeterNumber"), "Meters.0.MeterNumber: missing"),
    (lambda s: s.pop("Account"), "Account: missing"),
])
def test_bad_statements_are_rejected_with_the_field_named(change, reason):
    bad = _statement("BAD")
    change(bad)
    parsed = parse_delivery("d.json", _delivery(bad, _statement("GOOD")))
    assert [s["statement_id"] for s in parsed.statements] == ["GOOD"]
    [rejected] = parsed.rejected
    assert reason in rejected.reason
    assert rejected.raw == bad
    # nothing of the rejected statement is landed
    assert {r["statement_id"] for r in parsed.usages + parsed.charges + parsed.statement_meters} == {"GOOD"}


def test_non_object_and_duplicate_statements_are_rejected():
    parsed = parse_delivery("d.json", _delivery("oops", _statement("S"), _statement("S")))
    assert len(parsed.statements) == 1
    assert [r.reason.split(" ")[0] for r in parsed.rejected] == ["statement", "StatementId:"]
    assert parsed.rejected[1].statement_id == "S"


def test_null_lists_and_a_meter_listed_twice():
    statement = _statement()
    statement["Charges"] = None
    statement["Meters"][1]["Usages"] = None
    statement["Meters"].append({"MeterNumber": "M 001", "IntervalStart": "2024-01-20", "IntervalEnd": "2024-02-10",
                                "Usages": [{"MeasurementType": "reactive_consumption", "UsageAmount": 1}]})
    parsed = parse_delivery("d.json", _delivery(statement))
    assert [m["normalized_meter_number"] for m in parsed.statement_meters] == ["M001", "G2"]
    assert (parsed.statement_meters[0]["interval_start"], parsed.statement_meters[0]["interval_end"]) == (
        date(2024, 1, 20), date(2024, 3, 1))
    assert [u["line_number"] for u in parsed.usages] == [1, 2, 3]
    assert parsed.usages[2]["meter_number"] == "M 001"
    assert [c["line_number"] for c in parsed.charges] == [1, 2]


def test_header_is_tolerated_when_missing_or_bad():
    parsed = parse_delivery("d.json", orjson.dumps({"createdDate": "yesterday", "statements": []}))
    assert (parsed.delivery_id, parsed.delivered_at, parsed.statements, parsed.rejected) == (None, None, [], [])


def test_gzip_deliveries_are_read():
    data = gzip.compress(_delivery(_statement()))
    assert len(parse_delivery("d.json.gz", data).statements) == 1
    assert len(parse_delivery("d.json", data).statements) == 1  # recognised by its magic bytes


@pytest.mark.parametrize("name, data, message", [
    ("d.json", b"not json at all", "not JSON"),
    ("d.json", b"[1, 2]", "expected a JSON object"),
    ("d.json", b'{"deliveryId": "x"}', "'statements' must be a list"),
    ("d.json", b'{"statements": {"a": 1}}', "got dict"),
    ("d.json.gz", b'{"statements": []}', "not a gzip file"),
    ("d.json.gz", b"\x1f\x8b\x08\x00garbage", "not a readable gzip file"),
    ("d.json", b"\xff\xfe\x00", "not JSON"),
])
def test_unreadable_files_raise_delivery_format_error(name, data, message):
    with pytest.raises(DeliveryFormatError, match=message) as caught:
        parse_delivery(name, data)
    assert name in str(caught.value)


def test_delivery_file_row_fits_the_schema():
    file = DeliveryFile("a/d.json", "/x/a/d.json", "10-123", 10)
    parsed = parse_delivery("a/d.json", _delivery(_statement(), "bad"))
    rows = [delivery_file_row(file, parsed), delivery_file_row(file, error="not JSON")]
    assert (rows[0]["statements"], rows[0]["rejected"], rows[0]["delivery_id"]) == (1, 1, "DLV-1")
    assert rows[1]["error"] == "not JSON" and rows[1]["delivered_at"] is None
    schema = pa.schema([DELIVERY_FILES.schema.field(n) for n in _columns(DELIVERY_FILES)])
    assert pa.Table.from_pylist(rows, schema=schema).num_rows == 2


# -- sources -------------------------------------------------------------------------------------


def test_folder_source_lists_delivery_files_sorted_with_fingerprints(tmp_path):
    for name in ("2024/02/b.json", "2024/01/a.json.gz", "top.JSON", "notes.txt", ".hidden.json", "_tmp.json",
                 "2024/_staging/c.json", ".git/d.json", "2024/01/.e.json.tmp"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"{}")
    source = FolderSource(tmp_path)
    files = source.list()
    assert [f.name for f in files] == ["2024/01/a.json.gz", "2024/02/b.json", "top.JSON"]
    first = files[0]
    stat = (tmp_path / "2024/01/a.json.gz").stat()
    assert first.fingerprint == f"{stat.st_size}-{stat.st_mtime_ns}" and first.size_bytes == 2
    assert first.location == str((tmp_path / "2024/01/a.json.gz").resolve())
    assert source.read(first) == b"{}"
    # a changed file gets a new fingerprint
    (tmp_path / "2024/01/a.json.gz").write_bytes(b'{"statements": []}')
    os.utime(tmp_path / "2024/01/a.json.gz", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert source.list()[0].fingerprint != first.fingerprint
    assert FolderSource(tmp_path / "missing").list() == []


def test_parse_s3_uri():
    assert parse_s3_uri("s3://bucket/some/prefix") == ("bucket", "some/prefix/")
    assert parse_s3_uri("s3://bucket/some/prefix/") == ("bucket", "some/prefix/")
    assert parse_s3_uri("s3://bucket") == ("bucket", "")
    for bad in ("https://bucket/x", "s3://", "s3://ab/x"):
        with pytest.raises(ValueError):
            parse_s3_uri(bad)


@pytest.fixture
def s3(monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="deliveries")
        yield client


def test_s3_source_lists_under_its_prefix_with_etags(s3):
    for key in ("urjanet/2024/01/a.json", "urjanet/2024/02/b.json.gz", "urjanet/notes.txt", "urjanet/_tmp/c.json",
                "urjanet/.d.json", "urjanet-other/e.json", "other/f.json", "urjanet/folder/"):
        s3.put_object(Bucket="deliveries", Key=key, Body=b'{"statements": []}')
    source = S3Source("s3://deliveries/urjanet", client=s3)
    files = source.list()
    assert [f.name for f in files] == ["2024/01/a.json", "2024/02/b.json.gz"]
    head = s3.head_object(Bucket="deliveries", Key="urjanet/2024/01/a.json")
    assert files[0].fingerprint == head["ETag"].strip('"') and '"' not in files[0].fingerprint
    assert files[0].location == "s3://deliveries/urjanet/2024/01/a.json"
    assert files[0].size_bytes == len(b'{"statements": []}')
    assert source.read(files[0]) == b'{"statements": []}'
    s3.put_object(Bucket="deliveries", Key="urjanet/2024/01/a.json", Body=b'{"statements": [1]}')
    assert source.list()[0].fingerprint != files[0].fingerprint
    # the whole bucket, and a client made from the environment
    assert [f.name for f in S3Source("s3://deliveries").list()] == [
        "other/f.json", "urjanet-other/e.json", "urjanet/2024/01/a.json", "urjanet/2024/02/b.json.gz"]


def test_s3_source_pages_past_1000_objects(s3):
    for n in range(1005):
        s3.put_object(Bucket="deliveries", Key=f"p/{n:04d}.json", Body=b"{}")
    files = S3Source("s3://deliveries/p/", client=s3).list()
    assert len(files) == 1005 and files[-1].name == "1004.json"


def test_source_from_env_precedence(tmp_path):
    assert source_from_env({}) is None
    assert source_from_env({"URJANET_DELIVERY_DIR": "  ", "URJANET_DELIVERY_S3_URI": ""}) is None
    folder = source_from_env({"URJANET_DELIVERY_DIR": str(tmp_path)})
    assert isinstance(folder, FolderSource) and folder.root == tmp_path.resolve()
    both = source_from_env({"URJANET_DELIVERY_DIR": str(tmp_path), "URJANET_DELIVERY_S3_URI": "s3://bucket/x"})
    assert isinstance(both, S3Source) and (both.bucket, both.prefix) == ("bucket", "x/")
