"""The Bayou client over real HTTP against the Bayou sandbox: auth, retries, quirks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.bayou.client import BayouClient
from connectors.bayou.intervals import parse_interval_payload
from connectors.core.errors import VendorAuthError, VendorNotFoundError, VendorUnavailableError
from connectors.core.http import RetryPolicy
from connectors.core.quarantine import Quarantine
from connectors.policy import Window


def client_for(base_url: str, sleeps: list[float] | None = None, key: str = "test-key", **kwargs) -> BayouClient:
    return BayouClient(key, base_url, transport_sleep=(sleeps.append if sleeps is not None else None), **kwargs)


def test_wrong_key_gives_a_clear_auth_error_without_the_key(bayou):
    _, base_url, _ = bayou
    with client_for(base_url, key="not-the-key-123") as client, pytest.raises(VendorAuthError) as info:
        client.list_customers()
    message = str(info.value)
    assert "bayou: GET /customers failed with HTTP 401" in message
    assert "check the credentials" in message
    assert "not-the-key-123" not in message
    assert client.http.stats.requests == 1  # auth errors are not retried


def test_429_with_retry_after_is_honoured_then_succeeds(bayou):
    _, base_url, state = bayou
    state.inject_faults("/customers", [{"status": 429, "retry_after": 2}])
    sleeps: list[float] = []
    with client_for(base_url, sleeps) as client:
        customers = client.list_customers()
    assert sleeps == [2.0]
    assert len(customers.records) == 6
    assert client.http.stats.retries == 1 and client.http.stats.by_status["429"] == 1


def test_500_followed_by_success(bayou):
    _, base_url, state = bayou
    state.inject_faults("/utilities", [{"status": 500}, {"status": 502}])
    sleeps: list[float] = []
    with client_for(base_url, sleeps) as client:
        utilities = client.list_utilities_raw()
    assert utilities and len(sleeps) == 2
    assert all(0 < s <= 30 for s in sleeps)  # capped exponential backoff with jitter


def test_exhausted_retries_fail_naming_vendor_endpoint_and_status(bayou):
    _, base_url, state = bayou
    state.inject_faults("/customers", [{"status": 503}] * 3)
    with client_for(base_url, [], retry=RetryPolicy(max_attempts=3)) as client, \
            pytest.raises(VendorUnavailableError) as info:
        client.list_customers()
    assert "bayou: GET /customers failed with HTTP 503" in str(info.value)
    assert "after 3 attempts" in str(info.value)


def test_retry_after_is_capped(bayou):
    _, base_url, state = bayou
    state.inject_faults("/customers", [{"status": 429, "retry_after": 3600}])
    sleeps: list[float] = []
    with client_for(base_url, sleeps, retry=RetryPolicy(max_retry_after_s=5)) as client:
        client.list_customers()
    assert sleeps == [5]


def test_not_found_is_a_clear_error(bayou):
    _, base_url, _ = bayou
    with client_for(base_url) as client, pytest.raises(VendorNotFoundError) as info:
        client.get_bill("999999999")
    assert "GET /bills/999999999 failed with HTTP 404" in str(info.value)


def test_external_id_lookup(bayou, bayou_dataset):
    _, base_url, _ = bayou
    with_external = [c for c in bayou_dataset.customers if c.payload.get("external_id")]
    assert with_external, "the sandbox should give some customers an external_id"
    customer = with_external[0].payload
    with client_for(base_url) as client:
        fetched = client.get_customer(f"external_id:{customer['external_id']}")
    assert fetched.id == str(customer["id"])


def test_quirks_account_numbers_and_decimal_strings_are_tolerated(bayou, bayou_dataset):
    _, base_url, _ = bayou
    with client_for(base_url) as client:
        customers = client.list_customers()
        assert not customers.rejected
        raw_bills, bills = [], []
        for customer in customers.records:
            parsed = client.list_bills(customer.id)
            assert not parsed.rejected, parsed.rejected
            raw_bills += parsed.raws
            bills += parsed.records
    # the sandbox sends some account numbers as JSON integers and some consumptions as strings ...
    assert any(isinstance(raw.get("account_number"), int) for raw in raw_bills)
    string_consumptions = [raw for raw in raw_bills if isinstance(raw.get("electricity_consumption"), str)]
    assert string_consumptions
    # ... and the typed records always carry text account numbers and decimal consumption
    assert all(isinstance(b.account_number, str) for b in bills if b.account_number is not None)
    for raw in string_consumptions:
        bill = next(b for b in bills if b.id == str(raw["id"]))
        assert bill.electricity_consumption == Decimal(raw["electricity_consumption"])
    # unknown extra fields do not break parsing and are listed by name
    assert any(c.unknown_fields for c in customers.records) or any(b.unknown_fields for b in bills)


def test_locked_bills_carry_only_locked_fields_and_unlock_works(bayou):
    _, base_url, state = bayou
    with client_for(base_url) as client:
        customers = client.list_customers().records
        locked = next(b for c in customers for b in client.list_bills(c.id).records if b.is_locked)
        assert locked.total_amount is None and locked.file_url is None
        assert all(m.tariff in (None, "Unspecified") for m in locked.meters)
        client.unlock_bill(locked.id)
        unlocked = client.get_bill(locked.id)
    assert not unlocked.is_locked and unlocked.total_amount is not None
    assert int(locked.id) in state.unlocked_bill_ids


def test_interval_arrays_resolve_to_the_latest_reading_and_are_counted(bayou, bayou_dataset):
    _, base_url, _ = bayou
    customer = next(c for c in bayou_dataset.customers if c.interval_meters)
    with client_for(base_url) as client:
        body = client.get_intervals_raw(str(customer.id), start="2026-06-01T00:00:00Z", end="2026-09-01T00:00:00Z")
    conflicts = [(m["id"], r) for m in body["meters"] for r in m["intervals"]
                 if any(isinstance(v, list) for v in r.values())]
    assert conflicts, "the sandbox should send array-valued readings for conflicts"
    from datetime import UTC, datetime

    quarantine = Quarantine("bayou", "load")
    batch = parse_interval_payload(body, customer_id=str(customer.id), windows=[Window("ongoing", None, None)],
                                   load_id="load", extracted_at=datetime.now(UTC), quarantine=quarantine)
    assert not quarantine.rows
    assert batch.conflicts == len(conflicts)
    meter_id, reading = conflicts[0]
    row = next(r for r in batch.table.to_pylist()
               if r["meter_id"] == meter_id and r["interval_start"].isoformat().startswith(reading["start"][:19]))
    field = row["conflicting_fields"].split(",")[0]
    column = {"electricity_consumption": "electricity_consumption_wh", "gas_consumption": "gas_consumption_therms",
              "net_electricity_consumption": "net_electricity_consumption_wh",
              "generated_electricity": "generated_electricity_wh", "electricity_demand": "electricity_demand_w"}[field]
    assert row[column] == float([v for v in reading[field] if v is not None][-1])
    # readings are 15 minutes, UTC
    first = batch.table.slice(0, 1).to_pylist()[0]
    assert (first["interval_end"] - first["interval_start"]).total_seconds() == 900
    assert str(first["interval_start"].tzinfo) == "UTC"


def test_interval_window_filter_drops_readings_outside_policy(bayou, bayou_dataset):
    from datetime import UTC, date, datetime

    _, base_url, _ = bayou
    customer = next(c for c in bayou_dataset.customers if c.interval_meters)
    with client_for(base_url) as client:
        body = client.get_intervals_raw(str(customer.id), start="2026-07-30T00:00:00Z", end="2026-08-03T00:00:00Z")
    batch = parse_interval_payload(body, customer_id=str(customer.id),
                                   windows=[Window("history", date(2026, 8, 1), date(2026, 8, 2))],
                                   load_id="l", extracted_at=datetime.now(UTC), quarantine=Quarantine("bayou", "l"))
    starts = batch.table["interval_start"].to_pylist()
    assert starts and min(starts) == datetime(2026, 8, 1, tzinfo=UTC)
    assert max(starts) < datetime(2026, 8, 2, tzinfo=UTC)
    assert batch.outside_policy == batch.received - len(starts) > 0
