"""The Bayou sandbox itself, over real HTTP (httpx against a SandboxServer)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import orjson
import pytest

from connectors.bayou.sandbox import (
    create_app,
    generate_dataset,
    sandbox_settings_from_env,
    start_bayou_sandbox,
)
from connectors.core.sandbox_server import SandboxServer

API_KEY = "test-key"
AS_OF = date(2025, 6, 15)
SCALE = {"seed": 7, "customers": 8, "months": 12, "as_of": AS_OF}
ERROR_KEYS = {"error_type", "error_code", "error_message", "docs_url"}
# The seed's example locked bill, key for key.
LOCKED_BILL_KEYS = {
    "external_id", "id", "customer_id", "customer_external_id", "billed_on", "utility", "account_number",
    "billing_period_from", "billing_period_to", "meters",
}
LOCKED_METER_KEYS = {"id", "type", "tariff", "billing_period_to", "billing_period_from"}
UNLOCKED_BILL_KEYS = LOCKED_BILL_KEYS | {
    "status", "outstanding_balance", "electricity_consumption", "electricity_amount", "delivery_charge",
    "supply_charge", "community_solar_bill_credit", "gas_amount", "gas_consumption", "gas_consumption_unit",
    "total_amount", "file_url",
}
UNLOCKED_METER_KEYS = {
    "id", "status", "type", "billing_period_from", "billing_period_to", "consumption", "address", "tariff",
    "additional_attributes",
}
READING_KEYS = {
    "start", "end", "electricity_consumption", "net_electricity_consumption", "generated_electricity",
    "electricity_demand", "gas_consumption", "created_at", "updated_at",
}


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(**SCALE)


@pytest.fixture(scope="module")
def server(dataset):
    """Shared, read-only server: tests that change state start their own."""
    with SandboxServer(create_app(dataset, API_KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.url + "/api/v2", auth=(API_KEY, ""), timeout=30) as client:
        yield client


@pytest.fixture
def fresh(dataset):
    """A server of its own (unlocks, faults and edits stay in it) and a client."""
    app = create_app(dataset, API_KEY)
    with SandboxServer(app) as running, httpx.Client(
        base_url=running.url + "/api/v2", auth=(API_KEY, ""), timeout=30
    ) as client:
        yield app.state.sandbox, running, client


def _number(value) -> Decimal:
    if isinstance(value, list):  # conflicting readings: the last one is current
        value = value[-1]
    return Decimal(str(value))


def _bills(api, customer_id) -> list[dict]:
    response = api.get(f"/customers/{customer_id}/bills")
    assert response.status_code == 200
    return response.json()


def _is_locked(bill: dict) -> bool:
    return "status" not in bill


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_scale_and_as_of_give_byte_identical_responses(server):
    other = generate_dataset(**SCALE)
    paths = [
        "/customers",
        "/customers/1002/bills",
        "/bills/10005",
        "/customers/1001/intervals?start=2025-01-30T22:00:00Z&end=2025-02-02",
        "/customers/1002/intervals?start=2025-06-01",
        "/utilities",
    ]
    with SandboxServer(create_app(other, API_KEY)) as second:
        for path in paths:
            a = httpx.get(server.url + "/api/v2" + path, auth=(API_KEY, ""))
            b = httpx.get(second.url + "/api/v2" + path, auth=(API_KEY, ""))
            assert a.status_code == b.status_code == 200, path
            assert a.content == b.content, path


def test_other_seed_gives_other_data(dataset):
    other = generate_dataset(**{**SCALE, "seed": 8})
    assert [c.payload["email"] for c in other.customers] != [c.payload["email"] for c in dataset.customers]


def test_moving_as_of_within_a_month_only_appends(dataset):
    later = generate_dataset(**{**SCALE, "as_of": AS_OF + timedelta(days=10)})
    earlier_bills = {b.id: b for b in dataset.bills if b.default_status != "unparsed"}
    for bill in later.bills:
        if bill.id in earlier_bills:
            assert bill.unlocked == earlier_bills[bill.id].unlocked
    assert len(later.bills) > len(dataset.bills)
    customer = dataset.customer(1001)
    window = (datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 3, 4, tzinfo=UTC))
    assert dataset.intervals(customer, *window).to_bytes().split(b'"meters"')[1] == later.intervals(
        later.customer(1001), *window
    ).to_bytes().split(b'"meters"')[1]


# -- auth and errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [None, ("wrong-key", ""), ("", API_KEY)])
def test_missing_or_wrong_api_key_is_401_with_bayou_error_body(server, auth):
    response = httpx.get(server.url + "/api/v2/customers", auth=auth)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error_type"] == "auth_error"
    assert body["docs_url"].startswith("https://docs.bayou.energy/")


def test_unknown_route_is_404_and_wrong_method_405_with_bayou_bodies(api):
    missing = api.get("/no-such-thing")
    assert missing.status_code == 404
    assert set(missing.json()) == ERROR_KEYS and missing.json()["error_code"] == "not_found"

    not_allowed = api.delete("/customers")
    assert not_allowed.status_code == 405
    assert set(not_allowed.json()) == ERROR_KEYS and not_allowed.json()["error_code"] == "method_not_allowed"
    assert {"GET", "POST"} <= {m.strip() for m in not_allowed.headers["allow"].split(",")}

    for path in ("/customers/999999", "/bills/1", "/customers/external_id:nobody", "/customers/abc/bills"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error_code"] == "not_found"


def test_invalid_query_parameters_are_400(api):
    for path in (
        "/customers/1001/intervals?start=yesterday",
        "/customers/1001/intervals?start=2025-02-02&end=2025-02-01",
        "/customers/1001/bills?limit=0",
        "/customers/1001/bills?start=2025-13-01",
    ):
        response = api.get(path)
        assert response.status_code == 400, path
        assert response.json()["error_type"] == "invalid_input"


# -- customers ---------------------------------------------------------------------------------


def test_customers_are_a_bare_array_with_the_documented_shape(api, dataset):
    customers = api.get("/customers").json()
    assert isinstance(customers, list) and len(customers) == len(dataset.customers)
    linked = [c for c in customers if c["has_filled_credentials"]]
    never_linked = [c for c in customers if not c["has_filled_credentials"]]
    assert linked and never_linked
    for customer in never_linked:
        assert customer["account_numbers"] == [] and customer["has_filled_credentials_on"] is None
        assert _bills(api, customer["id"]) == []
    for customer in linked:
        assert customer["has_filled_credentials_on"].endswith("Z")
        assert customer["onboarding_link"] and customer["onboarding_token"]
        for account in customer["account_numbers"]:
            for meter in account["meters"]:
                assert meter["type"] in {"electric", "gas"}
                assert {"id", "type", "tariffs", "address", "additional_attributes"} <= set(meter)
                assert all({"tariff", "period_from", "period_to"} == set(t) for t in meter["tariffs"])
    link_ages = sorted((AS_OF - date.fromisoformat(c["has_filled_credentials_on"][:10])).days for c in linked)
    assert link_ages[0] < 120 and link_ages[-1] > 600  # recent and long-ago links
    assert len({c["utility"] for c in customers}) >= 4
    assert any("enrollment_channel" in c for c in customers)  # unknown extra field
    assert any(c["utility_has_intervals"] and not c["account_has_intervals"] for c in linked)


def test_external_id_lookup_create_and_patch(fresh):
    _, _, api = fresh
    assert api.get("/customers/external_id:cust-0002").json()["id"] == 1002
    assert api.get("/customers/external_id:cust-0002/bills").json() == api.get("/customers/1002/bills").json()

    created = api.post("/customers", json={"utility": "speculoos_power", "external_id": "ext-42", "email": "a@b.c"})
    assert created.status_code == 201
    new = created.json()
    assert new["has_filled_credentials"] is False and new["account_numbers"] == []
    assert api.get("/customers/external_id:ext-42").json()["id"] == new["id"]
    assert api.post("/customers", json={"utility": "speculoos_power", "external_id": "ext-42"}).status_code == 409
    assert api.post("/customers", json={"email": "x@y.z"}).status_code == 400
    assert api.post("/customers", json={"utility": "atlantis_power"}).status_code == 400

    patched = api.patch(f"/customers/{new['id']}", json={"first_name": "Zoe", "external_id": "ext-43"})
    assert patched.status_code == 200 and patched.json()["first_name"] == "Zoe"
    assert api.get("/customers/external_id:ext-43").status_code == 200
    assert api.patch(f"/customers/{new['id']}", json={"utility": "con_edison"}).status_code == 400


def test_utilities(api):
    utilities = api.get("/utilities").json()
    ids = {u["id"] for u in utilities}
    assert {"speculoos_power", "pacific_gas_and_electric", "con_edison", "seattle_city_light"} <= ids
    assert all(isinstance(u["supports_intervals"], bool) and u["name"] for u in utilities)
    assert any(not u["supports_intervals"] for u in utilities)


# -- bills -------------------------------------------------------------------------------------


def test_locked_bills_carry_only_the_seed_fields(api, dataset):
    locked = [b for c in dataset.customers for b in _bills(api, c.id) if _is_locked(b)]
    assert locked
    for bill in locked:
        assert set(bill) == LOCKED_BILL_KEYS
        for meter in bill["meters"]:
            assert set(meter) == LOCKED_METER_KEYS
            assert meter["tariff"] == "Unspecified"


def test_unlocked_bills_carry_every_documented_field_and_add_up(api, dataset):
    unlocked = [b for c in dataset.customers for b in _bills(api, c.id) if b.get("status") == "unlocked"]
    assert unlocked
    for bill in unlocked:
        assert UNLOCKED_BILL_KEYS <= set(bill)
        cents = ("outstanding_balance", "electricity_amount", "delivery_charge", "supply_charge",
                 "community_solar_bill_credit", "gas_amount", "total_amount")
        assert all(isinstance(bill[k], int) for k in cents)
        assert bill["electricity_amount"] == bill["delivery_charge"] + bill["supply_charge"]
        assert bill["community_solar_bill_credit"] <= 0
        parts = ("electricity_amount", "gas_amount", "community_solar_bill_credit")
        assert bill["total_amount"] == sum(bill[k] for k in parts)
        assert bill["file_url"].startswith(f"https://bayou-sandbox.s3.amazonaws.com/bills/{bill['id']}.pdf?")
        assert "X-Amz-Expires=900" in bill["file_url"] and "X-Amz-Signature=" in bill["file_url"]
        assert bill["gas_consumption_unit"] in {"therms", "ccf", None}
        start, end = date.fromisoformat(bill["billing_period_from"]), date.fromisoformat(bill["billing_period_to"])
        assert 28 <= (end - start).days + 1 <= 33
        assert 0 <= (date.fromisoformat(bill["billed_on"]) - end).days <= 3
        for meter in bill["meters"]:
            assert set(meter) == UNLOCKED_METER_KEYS and meter["tariff"] != "Unspecified"
        electric = sum(_number(m["consumption"]) for m in bill["meters"] if m["type"] == "electric")
        assert _number(bill["electricity_consumption"]) == electric


def test_bill_quirks_are_present(api, dataset):
    bills = [b for c in dataset.customers for b in _bills(api, c.id)]
    assert any(isinstance(b.get("electricity_consumption"), str) for b in bills)  # "123456.000"
    assert any(isinstance(m.get("consumption"), str) for b in bills for m in b["meters"])
    assert any(isinstance(b["account_number"], int) for b in bills)
    assert any(b.get("status") == "unparsed" and b["meters"] == [] for b in bills)
    assert any("carbon_footprint_kg" in b for b in bills)  # unknown extra field
    for bill in bills:
        if isinstance(bill.get("electricity_consumption"), str):
            assert bill["electricity_consumption"].endswith(".000")


def test_default_unlock_window_and_dashboard_unlocks(api, dataset):
    assert dataset.dashboard_unlocked_bill_ids
    for customer in dataset.customers:
        if customer.linked_at is None:
            continue
        cutoff = customer.linked_at.date().replace(day=1)  # well inside "6 months before link"
        for bill in _bills(api, customer.id):
            billed_on = date.fromisoformat(bill["billed_on"])
            if bill["id"] in dataset.dashboard_unlocked_bill_ids:
                assert bill["status"] == "unlocked"
                assert billed_on < customer.linked_at.date() - timedelta(days=180)
            elif billed_on >= customer.linked_at.date():
                assert bill.get("status") in {"unlocked", "unparsed"}
            elif billed_on < cutoff.replace(year=cutoff.year - 1):
                assert _is_locked(bill)


def test_bill_list_filters_and_order(api):
    bills = _bills(api, 1004)  # two accounts
    dates = [b["billed_on"] for b in bills]
    assert dates == sorted(dates, reverse=True)
    accounts = {str(b["account_number"]) for b in bills}
    assert len(accounts) == 2
    account = sorted(accounts)[0]
    by_account = api.get("/customers/1004/bills", params={"account_number": account}).json()
    assert by_account and all(str(b["account_number"]) == account for b in by_account)
    meter_id = by_account[0]["meters"][0]["id"]
    by_meter = api.get("/customers/1004/bills", params={"meter_id": meter_id}).json()
    assert [b["id"] for b in by_meter] == [b["id"] for b in by_account]
    window = api.get("/customers/1004/bills", params={"start": "2025-01-01", "end": "2025-03-31"}).json()
    assert window and all("2025-01-01" <= b["billed_on"] <= "2025-03-31" for b in window)
    assert len(window) == len([d for d in dates if "2025-01-01" <= d <= "2025-03-31"])
    assert api.get("/customers/1004/bills", params={"limit": 3}).json() == bills[:3]


def test_unlock_flips_state_for_good_and_is_recorded(fresh, dataset):
    state, server, api = fresh
    locked = next(b for b in _bills(api, 1002) if _is_locked(b))
    response = api.post(f"/bills/{locked['id']}/unlock")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "details": "Bill was unlocked"}
    bill = api.get(f"/bills/{locked['id']}").json()
    assert bill["status"] == "unlocked" and UNLOCKED_BILL_KEYS <= set(bill)
    assert {b["id"]: b for b in _bills(api, 1002)}[locked["id"]]["status"] == "unlocked"
    assert locked["id"] in state.unlocked_bill_ids

    again = api.post(f"/bills/{locked['id']}/unlock", json={"meter_type": "electric", "period_from": "2024-01-01"})
    assert again.status_code == 200
    assert api.post(f"/bills/{locked['id']}/unlock", json={"color": "red"}).status_code == 400

    calls = httpx.get(server.url + "/_sandbox/calls").json()
    unlocks = [c for c in calls if c["path"].endswith("/unlock") and c["status"] == 200]
    assert [c["bill_id"] for c in unlocks] == [locked["id"], locked["id"]]
    assert unlocks[1]["unlock_filters"] == {"meter_type": "electric", "period_from": "2024-01-01"}
    assert all({"method", "path", "query", "status"} <= set(c) for c in calls)
    assert API_KEY not in orjson.dumps(calls).decode() and "Basic" not in orjson.dumps(calls).decode()

    assert httpx.post(server.url + "/_sandbox/reset-calls").status_code == 200
    assert httpx.get(server.url + "/_sandbox/calls").json() == []
    # The dataset is untouched: another server still sees the bill locked.
    with SandboxServer(create_app(dataset, API_KEY)) as other:
        assert _is_locked(httpx.get(f"{other.url}/api/v2/bills/{locked['id']}", auth=(API_KEY, "")).json())


def test_patch_bill_external_id_only(fresh):
    _, _, api = fresh
    bill_id = _bills(api, 1001)[3]["id"]
    patched = api.patch(f"/bills/{bill_id}", json={"external_id": "inv-1"})
    assert patched.status_code == 200 and patched.json()["external_id"] == "inv-1"
    assert api.get("/bills/external_id:inv-1").json()["id"] == bill_id
    assert api.patch(f"/bills/{bill_id}", json={"total_amount": 1}).status_code == 400
    other = _bills(api, 1001)[4]["id"]
    assert api.patch(f"/bills/{other}", json={"external_id": "inv-1"}).status_code == 409


def test_bill_upload_needs_multipart_and_creates_an_unparsed_bill(fresh):
    _, server, api = fresh
    assert api.post("/bills", json={"customer_id": 1001}).status_code == 415
    response = api.post("/bills", data={"customer_id": "1001"},
                        files={"file": ("bill.pdf", b"%PDF-1.4 tiny", "application/pdf")})
    assert response.status_code == 201
    bill = response.json()
    assert bill["status"] == "unparsed" and bill["customer_id"] == 1001 and bill["meters"] == []
    assert api.get(f"/bills/{bill['id']}").json() == bill
    assert _bills(api, 1001)[0]["id"] == bill["id"]
    assert api.post("/bills", data={"customer_id": "1001"},
                    files={"file": ("x.txt", b"hello", "text/plain")}).status_code == 400
    pdf = httpx.get(f"{server.url}/_sandbox/files/10005.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# -- intervals ---------------------------------------------------------------------------------


def test_interval_window_shape_and_filters(api, dataset):
    window = {"start": "2025-02-10T06:00:00Z", "end": "2025-02-10T09:00:00Z"}
    response = api.get("/customers/1001/intervals", params=window)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"first_interval_discovered", "last_interval_discovered", "granularities", "meters"}
    assert body["granularities"] == [15]
    customer = api.get("/customers/1001").json()
    assert body["first_interval_discovered"] == customer["first_interval_discovered"]
    assert body["last_interval_discovered"] == customer["last_interval_discovered"]
    types = {m["id"]: m["type"] for a in customer["account_numbers"] for m in a["meters"]}
    assert {m["id"] for m in body["meters"]} == set(types) and len(types) == 2
    for meter in body["meters"]:
        assert set(meter) == {"id", "granularities", "intervals"} and meter["granularities"] == [15]
        readings = meter["intervals"]
        assert len(readings) == 12  # 3 hours, start inclusive, end exclusive
        assert readings[0]["start"] == "2025-02-10T06:00:00Z" and readings[-1]["end"] == "2025-02-10T09:00:00Z"
        for reading in readings:
            assert READING_KEYS <= set(reading)
            start = datetime.fromisoformat(reading["start"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(reading["end"].replace("Z", "+00:00"))
            assert all(reading[k].endswith("Z") for k in ("start", "end", "created_at", "updated_at"))
            assert end - start == timedelta(minutes=15)
            if types[meter["id"]] == "electric":
                assert reading["gas_consumption"] is None and reading["electricity_consumption"] is not None
            else:
                assert reading["electricity_consumption"] is None and _number(reading["gas_consumption"]) > 0

    # Unaligned bounds: start rounds up to the next interval start, end is exclusive.
    unaligned = {"start": "2025-02-10T06:05:00+00:00", "end": "2025-02-10T07:00:01Z"}
    odd = api.get("/customers/1001/intervals", params=unaligned).json()
    assert [r["start"][11:16] for r in odd["meters"][0]["intervals"]] == ["06:15", "06:30", "06:45", "07:00"]

    gas_id = next(i for i, t in types.items() if t == "gas")
    gas_day = {"start": "2025-02-10", "end": "2025-02-11", "meter_id": gas_id}
    only_gas = api.get("/customers/1001/intervals", params=gas_day).json()
    assert [m["id"] for m in only_gas["meters"]] == [gas_id] and len(only_gas["meters"][0]["intervals"]) == 96
    assert api.get("/customers/1001/intervals", params={"meter_id": "nope"}).status_code == 404

    without = api.get("/customers/1007/intervals").json()  # account without interval data
    assert without["meters"] == [] and without["first_interval_discovered"] is None
    latest = api.get("/customers/1001/intervals", params={"start": AS_OF.isoformat()}).json()
    assert latest["meters"][0]["intervals"][-1]["end"] == body["last_interval_discovered"]


def test_solar_customers_generate_in_daylight(api, dataset):
    solar = next(c for c in dataset.customers if any(m.solar_kw for m in c.meters))
    body = api.get(f"/customers/{solar.id}/intervals", params={"start": "2025-05-20", "end": "2025-05-21"}).json()
    readings = next(m for m in body["meters"] if m["id"] == solar.meters[0].id)["intervals"]
    generated = [_number(r["generated_electricity"]) for r in readings]
    assert sum(generated) > 0 and min(generated) == 0
    for reading in readings:
        if not any(isinstance(reading[k], list) for k in READING_KEYS):
            net = reading["electricity_consumption"] - reading["generated_electricity"]
            assert reading["net_electricity_consumption"] == net
    assert any("carbon_intensity" in r for r in readings)  # unknown extra field on readings


def test_conflicting_readings_become_arrays(api, dataset):
    body = api.get("/customers/1001/intervals", params={"start": "2024-07-01", "end": "2025-06-01"}).json()
    readings = [r for m in body["meters"] for r in m["intervals"]]
    arrays = [(k, r[k]) for r in readings for k in READING_KEYS if isinstance(r[k], list)]
    assert arrays, "expected some conflicting readings"
    assert 1 / 5000 < len(arrays) / len(readings) < 1 / 800
    for _, values in arrays:
        assert len(values) == 2 and all(v for v in values) and values[0] != values[1]
    electric = [k for k, _ in arrays if k != "gas_consumption"]
    assert electric and sum(k == "electricity_consumption" for k in electric) >= len(electric) / 2


def test_bill_consumption_reconciles_with_interval_sums(api, dataset):
    customer = api.get("/customers/1001").json()
    first_interval = customer["first_interval_discovered"][:10]
    bills = [b for b in _bills(api, 1001)
             if b.get("status") == "unlocked" and b["billing_period_from"] >= first_interval]
    assert len(bills) >= 3
    for bill in bills[1:4]:
        end = (date.fromisoformat(bill["billing_period_to"]) + timedelta(days=1)).isoformat()
        body = api.get("/customers/1001/intervals", params={"start": bill["billing_period_from"], "end": end}).json()
        sums = {
            m["id"]: sum(_number(r["electricity_consumption"] if r["gas_consumption"] is None else r["gas_consumption"])
                         for r in m["intervals"])
            for m in body["meters"]
        }
        for meter in bill["meters"]:
            if meter["type"] == "electric":
                assert _number(meter["consumption"]) == sums[meter["id"]].to_integral_value()
            else:
                assert bill["gas_consumption_unit"] == "therms"
                assert _number(meter["consumption"]) == round(sums[meter["id"]], 3)


def test_fast_and_slow_rendering_paths_agree(dataset):
    customer = dataset.customer(1008)
    day = datetime(2025, 1, 7, tzinfo=UTC)
    whole = orjson.loads(dataset.intervals(customer, day, day + timedelta(days=1)).to_bytes())
    halves = [
        orjson.loads(dataset.intervals(customer, a, b).to_bytes())
        for a, b in ((day, day + timedelta(hours=9)), (day + timedelta(hours=9), day + timedelta(days=1)))
    ]
    for index, meter in enumerate(whole["meters"]):
        assert meter["intervals"] == halves[0]["meters"][index]["intervals"] + halves[1]["meters"][index]["intervals"]


def test_large_windows_stream_and_match(api, dataset):
    customer = dataset.customer(1004)
    expected = dataset.intervals(customer).to_bytes()
    with api.stream("GET", "/customers/1004/intervals") as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # streamed
        received = b"".join(response.iter_bytes())
    assert received == expected
    assert len(orjson.loads(received)["meters"]) == 2


# -- faults ------------------------------------------------------------------------------------


def test_fault_injection_429_with_retry_after_then_5xx_then_success(fresh):
    state, server, api = fresh
    response = httpx.post(server.url + "/_sandbox/faults", json={
        "path": "/api/v2/customers", "responses": [{"status": 429, "retry_after": 1}, {"status": 500}],
    })
    assert response.status_code == 201
    assert api.get("/utilities").status_code == 200  # other paths are unaffected
    limited = api.get("/customers/1001/bills")
    assert limited.status_code == 429 and limited.headers["retry-after"] == "1"
    assert limited.json()["error_code"] == "too_many_requests" and set(limited.json()) == ERROR_KEYS
    failed = api.get("/customers")
    assert failed.status_code == 500 and failed.json()["error_type"] == "api_error"
    assert api.get("/customers").status_code == 200
    calls = state.calls_snapshot()
    assert [c["status"] for c in calls if c["fault"]] == [429, 500]

    state.inject_faults("/api/v2/bills", [{"status": 503}], method="POST")
    assert api.get("/bills/10001").status_code == 200
    assert api.post("/bills/10001/unlock").status_code == 503
    state.inject_faults("customers/1001/intervals", [{"status": 200, "raw": '{"meters": [{"id"'}])
    assert api.get("/customers/1001/intervals").text == '{"meters": [{"id"'
    state.inject_faults("/api/v2/customers", [{"status": 502}])
    assert httpx.delete(server.url + "/_sandbox/faults").status_code == 200
    assert api.get("/customers/").status_code == 200
    assert httpx.post(server.url + "/_sandbox/faults", json={"path": "/x", "responses": [{}]}).status_code == 400


# -- server and settings -----------------------------------------------------------------------


def test_several_servers_in_one_process_start_and_stop_cleanly(dataset):
    servers = [SandboxServer(create_app(dataset, API_KEY)) for _ in range(3)]
    for server in servers:
        server.start()
    try:
        assert len({s.port for s in servers}) == 3
        for server in servers:
            assert server.url == f"http://127.0.0.1:{server.port}" and server.host == "127.0.0.1"
            assert httpx.get(server.url + "/api/v2/utilities", auth=(API_KEY, "")).status_code == 200
    finally:
        for server in servers:
            server.stop()
    names = {f"sandbox-{s.port}" for s in servers}
    assert not [t for t in threading.enumerate() if t.name in names]
    with pytest.raises(httpx.ConnectError):
        httpx.get(servers[0].url + "/api/v2/utilities")


def test_start_bayou_sandbox_and_env_settings(monkeypatch):
    monkeypatch.setenv("BAYOU_SANDBOX_SEED", "11")
    monkeypatch.setenv("BAYOU_SANDBOX_CUSTOMERS", "3")
    monkeypatch.setenv("BAYOU_SANDBOX_MONTHS", "4")
    monkeypatch.setenv("BAYOU_SANDBOX_AS_OF", "2025-03-10")
    settings = sandbox_settings_from_env()
    assert settings.generator_kwargs() == {"seed": 11, "customers": 3, "months": 4, "as_of": date(2025, 3, 10)}
    server, base_url = start_bayou_sandbox(api_key="k", customers=2)
    with server:
        assert base_url == server.url + "/api/v2"
        customers = httpx.get(base_url + "/customers", auth=("k", "")).json()
        assert len(customers) == 2
        assert server.app.state.sandbox.dataset.seed == 11
    monkeypatch.setenv("BAYOU_SANDBOX_MONTHS", "many")
    with pytest.raises(ValueError, match="BAYOU_SANDBOX_MONTHS"):
        sandbox_settings_from_env()
    assert sandbox_settings_from_env({}).generator_kwargs() == {"seed": 7, "customers": 8, "months": 24, "as_of": None}


def test_scale_is_lazy():
    big = generate_dataset(customers=60, months=24, as_of=AS_OF)
    readings = sum(big.intervals(c).reading_count for c in big.customers)
    assert readings > 3_000_000
    assert sum(len(m._month_cache) for c in big.customers for m in c.meters) < 60 * 3 * 30
