"""The Urjanet sandbox's statement deliveries: deterministic, consistent, readable by the parser."""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

import orjson
import pytest

from connectors.urjanet.sandbox.deliveries import HISTORY_MONTHS
from connectors.urjanet.deliveries import FolderSource, S3Source, normalize_number, parse_delivery
from connectors.urjanet.sandbox import generate_dataset
from connectors.urjanet.sandbox.deliveries import (
    build_deliveries,
    generate_deliveries,
    special_statements,
    upload_deliveries,
    write_deliveries,
)

AS_OF = date(2025, 6, 15)


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(seed=7, accounts=30, months=24, as_of=AS_OF)


@pytest.fixture(scope="module")
def built(dataset):
    return build_deliveries(dataset)


@pytest.fixture(scope="module")
def parsed(built):
    return [parse_delivery(name, data) for name, data in built.files]


def _statements(parsed) -> dict[str, tuple[dict, int]]:
    """statement id -> (row, index of its delivery file)"""
    return {s["statement_id"]: (s, i) for i, p in enumerate(parsed) for s in p.statements}


def test_same_seed_same_bytes_and_fast(dataset, built):
    started = time.perf_counter()
    again = generate_deliveries(generate_dataset(seed=7, accounts=30, months=24, as_of=AS_OF))
    assert time.perf_counter() - started < 1.0
    assert again == built.files
    other = generate_deliveries(generate_dataset(seed=8, accounts=30, months=24, as_of=AS_OF))
    assert other != built.files


def test_files_are_monthly_with_increasing_created_dates(built, parsed):
    names = [name for name, _ in built.files]
    assert names == sorted(names) and len(set(names)) == len(names)
    months = [name[:7] for name in names]
    assert len(set(months)) == len(months)  # one file per calendar month
    for (name, _), delivery in zip(built.files, parsed):
        created = delivery.delivered_at
        assert name == f"{created:%Y/%m}/delivery-{created:%Y-%m-%d}.json"
        assert all(s["statement_date"] <= created.date() for s in delivery.statements)
        assert delivery.delivery_id and delivery.customer_id == "SandboxCustomer"
    created = [p.delivered_at for p in parsed]
    assert created == sorted(created) and len(set(created)) == len(created)
    assert created[-1].date() <= AS_OF
    assert sum(len(p.statements) for p in parsed) == built.statements > 100


def test_every_statement_belongs_to_a_successful_account_of_the_dataset(dataset, parsed):
    accounts = {(a["utilityProvider"]["naturalKey"], a["normalizedAccountNumber"]): a
                for a in dataset.accounts.values()}
    meters = defaultdict(set)
    for meter in dataset.meters.values():
        meters[meter["utilityAccount"]["id"]].add(normalize_number(meter["meterNumber"]))
    seen = set()
    for delivery in parsed:
        for statement in delivery.statements:
            account = accounts[(statement["provider_alias"], statement["normalized_account_number"])]
            assert account["enrollmentStatus"].startswith("SUCCESSFUL")
            assert statement["account_number"] == account["accountNumber"]
            seen.add(account["id"])
    successful = {a["id"] for a in dataset.accounts.values() if a["enrollmentStatus"].startswith("SUCCESSFUL")}
    assert seen == successful
    by_id = {s["statement_id"]: s for p in parsed for s in p.statements}
    for delivery in parsed:
        for meter in delivery.statement_meters:
            statement = by_id[meter["statement_id"]]
            account = accounts[(statement["provider_alias"], statement["normalized_account_number"])]
            assert meter["normalized_meter_number"] in meters[account["id"]]


def test_history_is_monthly_and_capped(dataset, parsed):
    bills = defaultdict(list)
    for delivery in parsed:
        for s in delivery.statements:
            if s["statement_type"] == "bill":
                bills[s["account_number"]].append(s["statement_date"])
    for dates in bills.values():
        unique = sorted(set(dates))
        assert len(unique) <= dataset.months + HISTORY_MONTHS  # history pulled from before enrollment
        assert len({d.day for d in unique}) == 1  # a fixed day per account
        assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1 for a, b in zip(unique, unique[1:]))


def test_amounts_are_consistent(parsed):
    for delivery in parsed:
        charges = defaultdict(Decimal)
        for charge in delivery.charges:
            charges[charge["statement_id"]] += charge["charge_amount"]
        for s in delivery.statements:
            assert s["new_charges"] == charges[s["statement_id"]]
            assert s["total_bill_amount"] == s["new_charges"] + s["outstanding_balance"] == s["amount_due"]
            assert s["outstanding_balance"] <= s["previous_balance"]
            assert s["interval_start"] < s["interval_end"] < s["statement_date"]
        for statement_id in {s["statement_id"] for s in delivery.statements if s["statement_type"] == "bill"}:
            lines = [c for c in delivery.charges if c["statement_id"] == statement_id]
            assert any(c["meter_number"] is None for c in lines)
            meter_counts = defaultdict(int)
            for c in lines:
                if c["meter_number"] is not None:
                    meter_counts[c["meter_number"]] += 1
            assert all(2 <= n <= 4 for n in meter_counts.values())
        units = {u["energy_unit"] for u in delivery.usages}
        assert units <= {"kWh", "kW", "therms", "gallons"}


def test_latest_bill_matches_the_accounts_latest_total(dataset, parsed):
    latest = {}
    for delivery in parsed:
        for s in delivery.statements:
            current = latest.get(s["account_number"])
            if s["statement_type"] == "bill" and (current is None or s["statement_date"] >= current["statement_date"]):
                latest[s["account_number"]] = s
    for account in dataset.accounts.values():
        if account["accountNumber"] in latest:
            expected = Decimal(str(account["latestTotalBillAmount"])).quantize(Decimal("0.01"))
            assert latest[account["accountNumber"]]["total_bill_amount"] == expected


def test_one_republished_statement_in_a_later_file(dataset, built, parsed):
    specials = special_statements(dataset)
    assert specials == {"original": built.original_statement_id, "republished": built.republished_statement_id,
                        "adjustment": built.adjustment_statement_id}
    statements = _statements(parsed)
    original, original_file = statements[built.original_statement_id]
    copy, copy_file = statements[built.republished_statement_id]
    assert copy_file > original_file
    key = lambda s: (s["provider_alias"], s["normalized_account_number"], s["statement_date"])  # noqa: E731
    assert key(copy) == key(original)
    assert copy["total_bill_amount"] != original["total_bill_amount"]
    # exactly one duplicate key among all statements
    counts = defaultdict(int)
    for s, _ in statements.values():
        counts[key(s)] += 1
    assert [k for k, n in counts.items() if n > 1] == [key(original)]


def test_one_adjustment_with_a_usage_correction(built, parsed):
    statements = _statements(parsed)
    adjustments = [sid for sid, (s, _) in statements.items() if s["statement_type"] == "adjustment"]
    assert adjustments == [built.adjustment_statement_id]
    adjustment, index = statements[built.adjustment_statement_id]
    assert adjustment["new_charges"] != 0
    usages = [u for u in parsed[index].usages if u["statement_id"] == adjustment["statement_id"]]
    assert usages and all(u["measurement_type"] == "general_consumption" for u in usages)
    assert usages[0]["usage_amount"] != 0
    # its own statement date, not a bill's of the same account
    bill_dates = {s["statement_date"] for s, _ in statements.values()
                  if s["account_number"] == adjustment["account_number"] and s["statement_type"] == "bill"}
    assert adjustment["statement_date"] not in bill_dates
    # the next bill carries it
    later = sorted((s for s, _ in statements.values() if s["account_number"] == adjustment["account_number"]
                    and s["statement_date"] > adjustment["statement_date"] and s["statement_type"] == "bill"),
                   key=lambda s: s["statement_date"])
    assert later[0]["previous_balance"] == adjustment["total_bill_amount"]


def test_json_shape_uses_strings_and_numbers(built):
    document = orjson.loads(built.files[0][1])
    assert set(document) == {"deliveryId", "customerId", "createdDate", "statements"}
    datetime.fromisoformat(document["createdDate"])
    statement = document["statements"][0]
    assert isinstance(statement["Account"]["TotalBillAmount"], str)
    assert isinstance(statement["Meters"][0]["Charges"][0]["ChargeAmount"], (int, float))


def test_write_deliveries_round_trips_through_the_folder_source(dataset, built, tmp_path):
    paths = write_deliveries(dataset, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [name for name, _ in built.files]
    source = FolderSource(tmp_path)
    files = source.list()
    assert [f.name for f in files] == [name for name, _ in built.files]
    total = 0
    for file in files:
        delivery = parse_delivery(file.name, source.read(file))
        assert delivery.rejected == []
        total += len(delivery.statements)
    assert total == built.statements
    # writing again leaves unchanged files (and their fingerprints) alone; no temp files left behind
    write_deliveries(dataset, tmp_path)
    assert source.list() == files
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]


def test_upload_deliveries_to_s3(dataset, built, monkeypatch):
    import boto3
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket="sandbox-deliveries")
        uris = upload_deliveries(dataset, "s3://sandbox-deliveries/urjanet", client=client)
        assert uris[0] == f"s3://sandbox-deliveries/urjanet/{built.files[0][0]}"
        source = S3Source("s3://sandbox-deliveries/urjanet", client=client)
        files = source.list()
        assert [f.name for f in files] == [name for name, _ in built.files]
        assert source.read(files[-1]) == built.files[-1][1]


def test_small_datasets_have_no_specials():
    empty = build_deliveries(generate_dataset(seed=7, accounts=0, months=24, as_of=AS_OF))
    assert empty.files == [] and empty.adjustment_statement_id is None and empty.republished_statement_id is None
