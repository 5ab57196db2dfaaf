"""The Arcadia Arc sandbox itself, over real HTTP (httpx against a SandboxServer)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.arcadia.sandbox import (
    API_VERSION,
    create_app,
    generate_dataset,
    sandbox_settings_from_env,
    start_arcadia_sandbox,
)
from connectors.core.sandbox_server import SandboxServer

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret-value"
AS_OF = date(2025, 6, 15)
SCALE = {"seed": 7, "users": 4, "months": 24, "as_of": AS_OF}
# The seed's request sample, kept with the tests (tests/e2e checks it against the seed document).
SEED_EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "arcadia_utility_accounts_discovered.json"
# From the vendor notes, field for field.
CREDENTIAL_KEYS = {
    "id", "client_user_id", "utility_name", "utility_long_name", "username", "verification_status",
    "accounts_load_in_progress", "verification_updated_at", "created_at", "updated_at", "sandboxed",
}
STATEMENT_KEYS = {
    "id", "client_user_id", "utility_account_id", "utility_name", "tariff", "statement_date", "due_date",
    "service_start_date", "service_end_date", "kwh", "utility_charge", "supplier_charge", "gas_charge", "past_due",
    "final_bill", "service_window_inclusive_of_end_date", "pdf_url", "billing_flags", "created_at", "updated_at",
    "sandboxed",
}
INTERVAL_KEYS = {"start_time", "end_time", "net_kwh", "consumption_kwh", "generation_kwh", "is_null_kwh", "kwh"}
LISTS = ["/users", "/utility_credentials", "/utility_accounts", "/utility_meters", "/plug/utility_statements"]


def _seed_example() -> dict:
    return json.loads(SEED_EXAMPLE.read_text())


def _token(base_url: str, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> str:
    response = httpx.post(base_url + "/auth/access_token", json={"client_id": client_id, "client_secret": client_secret})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _client(base_url: str) -> httpx.Client:
    headers = {"Arcadia-Version": API_VERSION, "Authorization": f"Bearer {_token(base_url)}"}
    return httpx.Client(base_url=base_url, headers=headers, timeout=30)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(**SCALE)


@pytest.fixture(scope="module")
def server(dataset):
    """Shared, read-only server: tests that change state start their own."""
    with SandboxServer(create_app(dataset, CLIENT_ID, CLIENT_SECRET)) as running:
        yield running


@pytest.fixture(scope="module")
def api(server):
    with _client(server.url) as client:
        yield client


@pytest.fixture
def fresh(dataset):
    """A server of its own (tokens, touches, faults, triggers stay in it) and a client."""
    app = create_app(dataset, CLIENT_ID, CLIENT_SECRET)
    with SandboxServer(app) as running, _client(running.url) as client:
        yield app.state.sandbox, running, client


def _all(api: httpx.Client, path: str, params: dict | None = None) -> list[dict]:
    response = api.get(path, params={**(params or {}), "limit": 100, "order": "asc"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total_count"] <= 100, "test helper expects one page"
    return body["data"]


def _page_asc(api: httpx.Client, path: str, limit: int, between_pages=None) -> list[dict]:
    """Keyset paging exactly as documented: updated_after = the last updated_at seen."""
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit, "order": "asc"}
        if cursor:
            params["updated_after"] = cursor
        body = api.get(path, params=params).json()
        seen.extend(body["data"])
        pages += 1
        if between_pages and pages == 1:
            between_pages(body["data"])
        if len(body["data"]) < limit:
            return seen
        cursor = body["data"][-1]["updated_at"]


# -- auth --------------------------------------------------------------------------------------


def test_token_issue_json_and_form(server):
    response = httpx.post(server.url + "/auth/access_token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "created_at"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert abs(body["created_at"] - time.time()) < 60
    form = httpx.post(server.url + "/auth/access_token", data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert form.status_code == 200 and form.json()["access_token"] != body["access_token"]


@pytest.mark.parametrize("payload", [
    {"client_id": CLIENT_ID, "client_secret": "wrong"}, {"client_id": "other", "client_secret": CLIENT_SECRET},
    {"client_id": CLIENT_ID}, {},
])
def test_bad_credentials_are_401_with_arcs_body(server, payload):
    response = httpx.post(server.url + "/auth/access_token", json=payload)
    assert response.status_code == 401
    assert response.json() == {"error": "The supplied credentials are invalid."}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", f"Basic {CLIENT_ID}", "Bearer"])
def test_missing_or_invalid_token_is_401(server, authorization):
    headers = {"Arcadia-Version": API_VERSION}
    if authorization is not None:
        headers["Authorization"] = authorization
    response = httpx.get(server.url + "/utility_accounts", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_tokens_answer_401_and_a_new_token_works(fresh):
    state, running, client = fresh
    assert client.get("/ping").json() == {"pong": True}
    assert len(state.issued_tokens) == 1
    assert state.expire_tokens() == 1
    response = client.get("/ping")
    assert response.status_code == 401 and "expired" in response.json()["error"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    renewed = httpx.get(running.url + "/ping", headers={"Arcadia-Version": API_VERSION,
                                                        "Authorization": f"Bearer {_token(running.url)}"})
    assert renewed.status_code == 200
    # Over HTTP too.
    assert httpx.post(running.url + "/_sandbox/expire-tokens").json()["expired"] == 2


def test_tokens_expire_after_their_ttl(dataset):
    with SandboxServer(create_app(dataset, CLIENT_ID, CLIENT_SECRET, token_ttl_s=1)) as running:
        response = httpx.post(running.url + "/auth/access_token", json={"client_id": CLIENT_ID,
                                                                         "client_secret": CLIENT_SECRET})
        assert response.json()["expires_in"] == 1
        headers = {"Arcadia-Version": API_VERSION, "Authorization": f"Bearer {response.json()['access_token']}"}
        assert httpx.get(running.url + "/ping", headers=headers).status_code == 200
        time.sleep(1.1)
        assert httpx.get(running.url + "/ping", headers=headers).status_code == 401


def test_version_header_is_required_and_the_old_spelling_accepted(server, api):
    token = api.headers["Authorization"]
    missing = httpx.get(server.url + "/utility_accounts", headers={"Authorization": token})
    assert missing.status_code == 400
    assert "Arcadia-Version" in missing.json()["error"] and API_VERSION in missing.json()["error"]
    old = httpx.get(server.url + "/ping", headers={"Authorization": token, "Arc-Version": API_VERSION})
    assert old.status_code == 200
    other = httpx.get(server.url + "/ping", headers={"Authorization": token, "Arcadia-Version": "2024-02-21"})
    assert other.status_code == 400 and "2024-02-21" in other.json()["error"]


def test_ping_unknown_routes_and_wrong_methods(api):
    assert api.get("/ping").json() == {"pong": True}
    assert api.get("/ping/").json() == {"pong": True}
    assert api.get("/nothing-here").status_code == 404
    assert api.get("/nothing-here").json() == {"error": "Not found"}
    wrong = api.post("/utility_accounts")
    assert wrong.status_code == 405 and wrong.json() == {"error": "Method not allowed"}
    assert "GET" in wrong.headers["Allow"]
    assert api.get("/auth/access_token").status_code == 405


def test_calls_are_recorded_without_secrets_or_tokens(fresh):
    state, running, client = fresh
    state.reset_calls()
    token = client.headers["Authorization"].split()[1]
    httpx.post(running.url + f"/auth/access_token?client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}")
    client.get("/utility_accounts", params={"limit": 2})
    client.get("/utility_accounts/1")
    calls = state.calls_snapshot()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/auth/access_token", 200), ("GET", "/utility_accounts", 200), ("GET", "/utility_accounts/1", 404),
    ]
    assert calls[1]["query"] == "limit=2"
    assert "[REDACTED]" in calls[0]["query"]
    text = json.dumps(calls)
    assert CLIENT_SECRET not in text and token not in text
    assert all(t.access_token not in text for t in state.issued_tokens)
    assert httpx.get(running.url + "/_sandbox/calls").json() == calls


# -- lists and keyset paging -------------------------------------------------------------------


@pytest.mark.parametrize("path", LISTS)
def test_keyset_paging_ascending_crosses_pages_without_gaps_or_duplicates(api, path):
    key = "client_user_id" if path == "/users" else "id"
    first = api.get(path, params={"limit": 1}).json()
    total = first["total_count"]
    limit = max(1, total // 7)
    seen = _page_asc(api, path, limit)
    ids = [r[key] for r in seen]
    assert len(ids) == len(set(ids)) == total
    stamps = [(_at(r["updated_at"]), r[key]) for r in seen]
    assert stamps == sorted(stamps)
    assert len({r["updated_at"] for r in seen}) == total  # unique per kind: the strict cursor loses nothing


def test_default_order_is_desc_and_updated_before_pages_backwards(api):
    body = api.get("/plug/utility_statements").json()
    assert len(body["data"]) == 10
    stamps = [_at(r["updated_at"]) for r in body["data"]]
    assert stamps == sorted(stamps, reverse=True)
    seen, cursor = [], None
    while True:
        params = {"limit": 50}
        if cursor:
            params["updated_before"] = cursor
        page = api.get("/plug/utility_statements", params=params).json()["data"]
        seen.extend(page)
        if len(page) < 50:
            break
        cursor = page[-1]["updated_at"]
    assert len(seen) == len({r["id"] for r in seen}) == body["total_count"]


def test_ids_follow_creation_order_so_asc_paging_meets_old_records_first(api):
    statements = _page_asc(api, "/plug/utility_statements", 100)
    created = [(_at(s["created_at"]), s["id"]) for s in statements]
    assert [i for _, i in sorted(created)] == sorted(s["id"] for s in statements)
    first_half = {s["id"] for s in statements[: len(statements) // 2]}
    assert min(first_half) == min(s["id"] for s in statements)
    span = _at(statements[-1]["updated_at"]) - _at(statements[0]["updated_at"])
    assert span > timedelta(days=365)


def test_touch_mid_paging_makes_the_record_reappear_later(fresh):
    state, running, client = fresh
    touched = {}

    def touch_one(first_page):
        record = first_page[3]
        touched["id"] = record["id"]
        touched["old"] = record["updated_at"]
        touched["new"] = state.touch("statement", record["id"])["updated_at"]

    seen = _page_asc(client, "/plug/utility_statements", 25, between_pages=touch_one)
    ids = [s["id"] for s in seen]
    total = client.get("/plug/utility_statements", params={"limit": 1}).json()["total_count"]
    assert len(set(ids)) == total
    assert ids.count(touched["id"]) == 2
    assert ids[-1] == touched["id"] and seen[-1]["updated_at"] == touched["new"]
    assert _at(touched["new"]) > max(_at(s["updated_at"]) for s in seen[:-1])
    assert [i for i in ids if i != touched["id"]] == list(dict.fromkeys(i for i in ids if i != touched["id"]))
    # A touched meter shows in its account too, and the HTTP hook works the same way.
    meter = client.get("/utility_meters", params={"limit": 1, "order": "asc"}).json()["data"][0]
    after = httpx.post(running.url + "/_sandbox/touch", json={"kind": "utility_meter", "id": meter["id"]}).json()
    account = client.get(f"/utility_accounts/{meter['utility_account_id']}").json()
    assert next(m for m in account["utility_meters"] if m["id"] == meter["id"])["updated_at"] == after["updated_at"]
    assert httpx.post(running.url + "/_sandbox/touch", json={"kind": "meter", "id": 1}).status_code == 404
    assert httpx.post(running.url + "/_sandbox/touch", json={"kind": "bill", "id": 1}).status_code == 400


def test_updated_after_is_strict_and_total_count_follows_filters(api):
    statements = _all(api, "/plug/utility_statements", {"utility_account_id": 12001})
    middle = statements[len(statements) // 2]
    body = api.get("/plug/utility_statements", params={
        "utility_account_id": 12001, "updated_after": middle["updated_at"], "order": "asc", "limit": 5}).json()
    later = [s for s in statements if _at(s["updated_at"]) > _at(middle["updated_at"])]
    assert body["total_count"] == len(later)
    assert body["data"][0]["id"] == later[0]["id"] != middle["id"]
    # A cursor stepped back a millisecond includes the record again (clients do this against ties).
    stepped = (_at(middle["updated_at"]) - timedelta(milliseconds=1)).isoformat().replace("+00:00", "Z")
    again = api.get("/plug/utility_statements", params={
        "utility_account_id": 12001, "updated_after": stepped, "order": "asc", "limit": 1}).json()
    assert again["data"][0]["id"] == middle["id"]


@pytest.mark.parametrize("params", [
    {"updated_after": "2024-01-01T00:00:00Z", "updated_before": "2025-01-01T00:00:00Z"},
    {"limit": 101}, {"limit": 0}, {"limit": "ten"}, {"order": "sideways"}, {"updated_after": "yesterday"},
    {"utility_account_id": "abc"},
])
def test_invalid_list_parameters_are_400(api, params):
    response = api.get("/plug/utility_statements", params=params)
    assert response.status_code == 400
    assert response.json()["error"]


def test_list_filters(api, dataset):
    user = dataset.users[1].client_user_id
    credentials = _all(api, "/utility_credentials", {"client_user_id": user})
    assert credentials and {c["client_user_id"] for c in credentials} == {user}
    accounts = _all(api, "/utility_accounts", {"client_user_id": user})
    assert accounts and {a["client_user_id"] for a in accounts} == {user}
    gas_account = next(a for a in dataset.accounts if a.gas_meter is not None)
    meters = _all(api, "/utility_meters", {"utility_account_id": gas_account.id})
    assert {m["service_type"] for m in meters} == {"electric", "gas"}
    gas_only = _all(api, "/utility_meters", {"utility_account_id": gas_account.id, "service_types[]": "gas"})
    assert [m["service_type"] for m in gas_only] == ["gas"]
    both = api.get("/utility_meters", params=[("service_types[]", "gas"), ("service_types[]", "electric")]).json()
    assert both["total_count"] == len(dataset.meters)
    assert api.get("/utility_meters", params={"service_types[]": "steam"}).status_code == 400
    statements = _all(api, "/plug/utility_statements", {"utility_account_id": 12002})
    assert {s["utility_account_id"] for s in statements} == {12002}
    # Empty parameters (as some clients send them) are ignored; unknown parents give nothing.
    assert api.get("/utility_accounts", params={"client_user_id": ""}).json()["total_count"] == len(dataset.accounts)
    assert api.get("/utility_accounts", params={"client_user_id": "nobody"}).json() == {"data": [], "total_count": 0}


def test_single_records_and_404s(api, dataset):
    user = dataset.users[0].client_user_id
    assert api.get(f"/users/{user}").json()["client_user_id"] == user
    for path in ("/utility_credentials/1001", "/utility_accounts/12001", "/utility_meters/50001",
                 "/plug/utility_statements/300001"):
        record = api.get(path).json()
        assert record["id"] == int(path.rsplit("/", 1)[1]) and record["sandboxed"] is True
    for path in ("/users/nobody", "/utility_credentials/9", "/utility_accounts/x", "/utility_meters/1",
                 "/plug/utility_statements/1", "/plug/utility_statements/1/intervals"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"].startswith("Couldn't find")


# -- shapes ------------------------------------------------------------------------------------


def _assert_same_shape(ours: dict, theirs: dict, where: str) -> None:
    assert set(ours) == set(theirs), (where, set(ours) ^ set(theirs))
    for key, value in theirs.items():
        if isinstance(value, dict):
            _assert_same_shape(ours[key], value, f"{where}.{key}")


def test_accounts_and_meters_have_the_seeds_shape(api):
    example = _seed_example()["data"]["utility_accounts"][0]
    example_meter = example["utility_meters"][0]
    for account in _all(api, "/utility_accounts"):
        _assert_same_shape(account, example, "account")
        assert account["sandboxed"] is True
        assert account["status"] in ("active", "closed", "incomplete", "locked", "unknown")
        assert set(account["services"]) <= {"electric", "gas", "water"}
        assert set(account["flags"]) <= {"utility_statement_past_due"}
        assert set(account["feature_availability"].values()) <= {"AVAILABLE", "NOT_AVAILABLE", "NOT_READY"}
        assert account["services"] == sorted({m["service_type"] for m in account["utility_meters"]},
                                             key=["electric", "gas"].index)
        for meter in account["utility_meters"]:
            _assert_same_shape(meter, example_meter, "embedded meter")
            assert meter["utility_account_id"] == account["id"]
            assert meter["utility_credential_id"] == account["utility_credential_id"]
    for meter in _all(api, "/utility_meters"):
        _assert_same_shape(meter, example_meter, "meter")
        assert isinstance(meter["meter_number"], str) and meter["sandboxed"] is True


def test_credentials_statements_users_and_intervals_have_the_documented_fields(api, dataset):
    credentials = _all(api, "/utility_credentials")
    assert all(set(c) == CREDENTIAL_KEYS for c in credentials)
    statuses = {c["verification_status"] for c in credentials}
    assert statuses == {"verified", "pending", "rejected", "error"}
    for user in _all(api, "/users"):
        assert {c["verification_status"] for c in user["utility_credentials"]} >= {"verified"}
        assert sum(c["verification_status"] == "verified" for c in user["utility_credentials"]) == 1
        assert len(user["utility_credentials"]) >= 2
        assert {"client_user_id", "created_at", "updated_at", "sandboxed", "utility_credentials"} == set(user)
    statement = api.get("/plug/utility_statements/300001").json()
    assert set(statement) == STATEMENT_KEYS
    assert set(statement["tariff"]) == {"main_tariff_id", "supplier_name", "tariff_code", "tariff_name", "utility_name"}
    assert re.match(r"https://.+\.pdf\?.*X-Amz-Expires=600&X-Amz-Signature=[0-9a-f]{64}$", statement["pdf_url"])
    window = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-01-01T06:00:00Z"}).json()
    assert len(window["data"]) == 24
    assert all(set(item) == INTERVAL_KEYS for item in window["data"])


# -- statements --------------------------------------------------------------------------------


def test_statement_flags_past_due_final_bill_and_possible_rebill_pair(api, dataset):
    statements = _page_asc(api, "/plug/utility_statements", 100)
    assert any(s["past_due"] for s in statements)
    assert not all(s["past_due"] for s in statements)
    # An account whose newest statement is past due is flagged.
    flagged = [a for a in _all(api, "/utility_accounts") if a["flags"] == ["utility_statement_past_due"]]
    assert flagged
    for account in flagged:
        own = [s for s in statements if s["utility_account_id"] == account["id"]]
        assert max(own, key=lambda s: s["statement_date"])["past_due"] is True
    # Closed accounts end with a final bill.
    finals = [s for s in statements if s["final_bill"]]
    assert finals
    for final in finals:
        account = api.get(f"/utility_accounts/{final['utility_account_id']}").json()
        assert account["status"] == "closed"
        own = [s for s in statements if s["utility_account_id"] == account["id"]]
        assert max(own, key=lambda s: s["service_start_date"])["id"] == final["id"]
    # Rebills: two statements for one period, the later one flagged.
    rebills = [s for s in statements if s["billing_flags"] == ["possible_rebill"]]
    assert rebills
    for rebill in rebills:
        twins = [s for s in statements if s["utility_account_id"] == rebill["utility_account_id"]
                 and s["service_start_date"] == rebill["service_start_date"]
                 and s["service_end_date"] == rebill["service_end_date"]]
        assert len(twins) == 2
        original = next(s for s in twins if s["id"] != rebill["id"])
        assert original["billing_flags"] == []
        assert original["statement_date"] < rebill["statement_date"] and original["id"] < rebill["id"]
        assert (original["kwh"], original["utility_charge"]) != (rebill["kwh"], rebill["utility_charge"])
    assert all(s["billing_flags"] in ([], ["possible_rebill"]) for s in statements)


def test_statements_are_monthly_and_charges_add_up(api, dataset):
    statements = _page_asc(api, "/plug/utility_statements", 100)
    by_account: dict[int, list[dict]] = {}
    for s in statements:
        if not s["billing_flags"]:
            by_account.setdefault(s["utility_account_id"], []).append(s)
    for account_id, own in by_account.items():
        own.sort(key=lambda s: s["service_start_date"])
        inclusive = own[0]["service_window_inclusive_of_end_date"]
        for previous, current in zip(own, own[1:]):
            gap = date.fromisoformat(current["service_start_date"]) - date.fromisoformat(previous["service_end_date"])
            assert gap == timedelta(days=1 if inclusive else 0)
        account = dataset.account(account_id)
        if not account.closed:
            assert len(own) >= SCALE["months"] - 2
    for s in statements:
        assert date.fromisoformat(s["statement_date"]) <= AS_OF
        assert s["due_date"] > s["statement_date"] > s["service_end_date"] >= s["service_start_date"]
        assert s["utility_charge"] > 0
        if s["gas_charge"] is not None:
            assert 0 < s["gas_charge"] < s["utility_charge"]
        assert (s["supplier_charge"] is None) == (s["tariff"]["supplier_name"] is None)
        if s["kwh"] > 0 and s["supplier_charge"] is not None:
            assert 0.05 < s["supplier_charge"] / s["kwh"] < 0.2
    assert any(s["gas_charge"] for s in statements) and any(s["supplier_charge"] for s in statements)
    # Tariffs: most_recent_tariff is the newest statement's.
    for account in _all(api, "/utility_accounts"):
        own = [s for s in statements if s["utility_account_id"] == account["id"]]
        newest = max(own, key=lambda s: (s["statement_date"], s["id"]))
        assert account["most_recent_tariff"]["tariff_as_of_date"] == newest["statement_date"]
        assert account["most_recent_tariff"]["tariff_code"] == newest["tariff"]["tariff_code"]


def test_statement_kwh_equals_its_interval_readings(api, dataset):
    checked = 0
    for statement in _all(api, "/plug/utility_statements", {"utility_account_id": 12002}):
        body = api.get(f"/plug/utility_statements/{statement['id']}/intervals").json()
        items = body["data"]
        start, end = date.fromisoformat(statement["service_start_date"]), date.fromisoformat(statement["service_end_date"])
        days = (end - start).days + (1 if statement["service_window_inclusive_of_end_date"] else 0)
        if len(items) != days * 96 or any(i["is_null_kwh"] for i in items):
            continue
        assert items[0]["start_time"] == f"{statement['service_start_date']}T00:00:00Z"
        assert abs(sum(i["net_kwh"] for i in items) - statement["kwh"]) <= 0.5 + 1e-6
        checked += 1
    assert checked >= 5


# -- intervals ---------------------------------------------------------------------------------


def test_interval_window_rules(api, dataset):
    meter = dataset.meter(50001)
    earliest, latest = meter.available_start, meter.available_end
    iso = lambda m: m.isoformat().replace("+00:00", "Z")  # noqa: E731
    neither = api.get("/plug/utility_intervals", params={"start_time": iso(latest - timedelta(days=1))})
    assert neither.status_code == 400 and "exactly one" in neither.json()["error"]
    both = api.get("/plug/utility_intervals", params={"utility_meter_id": 50001, "utility_account_id": 12001})
    assert both.status_code == 400
    over_a_year = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": iso(latest - timedelta(days=367)), "end_time": iso(latest)})
    assert over_a_year.status_code == 400 and "one year" in over_a_year.json()["error"]
    year = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": iso(latest - timedelta(days=365)), "end_time": iso(latest)})
    assert year.status_code == 200 and len(year.json()["data"]) == 365 * 96
    backwards = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": iso(latest - timedelta(days=1)), "end_time": iso(latest - timedelta(days=2))})
    assert backwards.status_code == 400
    for start, end in ((latest - timedelta(days=1), latest + timedelta(hours=1)),
                       (earliest - timedelta(days=2), earliest + timedelta(days=1))):
        outside = api.get("/plug/utility_intervals", params={
            "utility_meter_id": 50001, "start_time": iso(start), "end_time": iso(end)})
        assert outside.status_code == 400
        body = outside.json()
        assert body["available_start_time"] == iso(earliest) and body["available_end_time"] == iso(latest)
        assert "available range" in body["error"]
    gas = next(m for m in dataset.meters if m.service_type == "gas")
    assert api.get("/plug/utility_intervals", params={"utility_meter_id": gas.id}).status_code == 400
    default = api.get("/plug/utility_intervals", params={"utility_account_id": 12001}).json()
    assert default["batch_end_time"] == iso(latest) and len(default["data"]) == 30 * 96
    assert default["data"][-1]["end_time"] == iso(latest)


def test_interval_metadata(api, dataset):
    by_meter = api.get("/plug/utility_intervals/metadata", params={"utility_meter_id": 50001}).json()
    by_account = api.get("/plug/utility_intervals/metadata", params={"utility_account_id": 12001}).json()
    assert by_meter == by_account
    meter = dataset.meter(50001)
    assert by_meter == {
        "client_user_id": meter.account.client_user_id, "utility_account_id": 12001, "utility_meter_id": 50001,
        "intervals_earliest_time": "2023-06-07T00:00:00Z", "intervals_latest_time": "2025-06-14T00:00:00Z",
    }
    first = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": by_meter["intervals_earliest_time"],
        "end_time": "2023-06-07T01:00:00Z"}).json()
    assert first["data"][0]["start_time"] == by_meter["intervals_earliest_time"]
    closed = next(a for a in dataset.accounts if a.closed)
    closed_meta = api.get("/plug/utility_intervals/metadata", params={"utility_account_id": closed.id}).json()
    assert _at(closed_meta["intervals_latest_time"]) < datetime(2025, 1, 1, tzinfo=UTC)
    gas = next(m for m in dataset.meters if m.service_type == "gas")
    gas_meta = api.get("/plug/utility_intervals/metadata", params={"utility_meter_id": gas.id}).json()
    assert gas_meta["intervals_earliest_time"] is None and gas_meta["intervals_latest_time"] is None
    assert api.get("/plug/utility_intervals/metadata").status_code == 400
    assert api.get("/plug/utility_intervals/metadata", params={"utility_meter_id": 7}).status_code == 404


def test_solar_accounts_generate_and_net_is_consumption_minus_generation(api, dataset):
    solar = next(a for a in dataset.accounts if a.solar)
    plain = next(a for a in dataset.accounts if not a.solar)
    window = {"start_time": "2024-07-01T00:00:00Z", "end_time": "2024-07-08T00:00:00Z"}
    items = api.get("/plug/utility_intervals", params={"utility_account_id": solar.id, **window}).json()["data"]
    real = [i for i in items if not i["is_null_kwh"]]
    assert sum(i["generation_kwh"] for i in real) > 50
    assert any(i["net_kwh"] < 0 for i in real)  # exporting at midday
    assert all(i["generation_kwh"] == 0 for i in real if i["start_time"].endswith(("T08:00:00Z", "T09:00:00Z")))
    for item in real:
        assert item["net_kwh"] == pytest.approx(item["consumption_kwh"] - item["generation_kwh"], abs=1e-9)
        assert item["kwh"] == item["net_kwh"]
    others = api.get("/plug/utility_intervals", params={"utility_account_id": plain.id, **window}).json()["data"]
    assert all(i["generation_kwh"] is None for i in others)
    assert all(i["net_kwh"] == i["consumption_kwh"] for i in others if not i["is_null_kwh"])
    account = api.get(f"/utility_accounts/{solar.id}").json()
    assert "NEM" in account["most_recent_tariff"]["tariff_code"] or "DG" in account["most_recent_tariff"]["tariff_code"]


def test_null_readings_have_is_null_kwh_and_null_values(api):
    items = api.get("/plug/utility_intervals", params={
        "utility_meter_id": 50001, "start_time": "2024-09-01T00:00:00Z", "end_time": "2024-12-01T00:00:00Z"}).json()["data"]
    nulls = [i for i in items if i["is_null_kwh"]]
    assert 0 < len(nulls) < len(items) / 50
    assert all(i["net_kwh"] is None and i["kwh"] is None and i["consumption_kwh"] is None
               and i["generation_kwh"] is None for i in nulls)
    starts = [i["start_time"] for i in items]
    assert len(starts) == len(set(starts)) == 91 * 96


# -- determinism -------------------------------------------------------------------------------


def test_same_seed_scale_and_as_of_give_byte_identical_responses(server, api):
    other = generate_dataset(**SCALE)
    paths = [
        "/users?limit=100", "/utility_credentials?limit=100", "/utility_accounts?limit=100",
        "/utility_meters?limit=100&order=asc", "/plug/utility_statements?limit=100&updated_after=2024-01-01",
        "/plug/utility_statements/300010",
        "/plug/utility_intervals?utility_meter_id=50002&start_time=2024-02-27T00:00:00Z&end_time=2024-03-02T00:00:00Z",
        "/plug/utility_intervals/metadata?utility_account_id=12005",
    ]
    with SandboxServer(create_app(other, CLIENT_ID, CLIENT_SECRET)) as second, _client(second.url) as api2:
        for path in paths:
            a, b = api.get(path), api2.get(path)
            assert a.status_code == b.status_code == 200, path
            assert a.content == b.content, path


def test_other_seed_gives_other_data(dataset):
    other = generate_dataset(**{**SCALE, "seed": 8})
    assert [u.client_user_id for u in other.users] != [u.client_user_id for u in dataset.users]
    assert [s.kwh for s in other.statements[:20]] != [s.kwh for s in dataset.statements[:20]]


def test_scale_knob_and_laziness():
    started = time.perf_counter()
    big = generate_dataset(seed=3, users=40, months=24, as_of=AS_OF)
    assert time.perf_counter() - started < 10
    assert len(big.users) == 40 and len(big.accounts) >= 80 and len(big.statements) > 40 * 2 * 20
    small = generate_dataset(seed=3, users=2, months=3, as_of=AS_OF)
    assert small.users[0].client_user_id == big.users[0].client_user_id
    assert all(s.statement_date >= small.history_start for s in small.statements)


# -- faults ------------------------------------------------------------------------------------


def test_fault_injection_429_with_retry_after_then_500_then_success(fresh):
    state, running, client = fresh
    state.reset_calls()
    state.inject_faults("/utility_accounts", [{"status": 429, "retry_after": 2}, {"status": 500}], method="GET")
    first = client.get("/utility_accounts")
    assert first.status_code == 429 and first.headers["Retry-After"] == "2"
    assert first.json() == {"error": "Too Many Requests"}
    assert client.get("/utility_accounts/12001").status_code == 500
    assert client.get("/utility_accounts").status_code == 200
    state.inject_faults("plug/utility_intervals", [{"status": 200, "raw": '{"data": [{"start_time"'}])
    truncated = client.get("/plug/utility_intervals", params={"utility_meter_id": 50001})
    assert truncated.status_code == 200 and truncated.text == '{"data": [{"start_time"'
    state.inject_faults("/auth/access_token", [{"status": 503, "body": {"error": "maintenance"}}])
    assert httpx.post(running.url + "/auth/access_token", json={}).json() == {"error": "maintenance"}
    assert [c["fault"] for c in state.calls_snapshot()] == [True, True, False, True, True]
    assert httpx.post(running.url + "/_sandbox/faults", json={"path": "/ping", "responses": [{"status": 502}]}).status_code == 201
    assert client.get("/ping").status_code == 502
    assert state.faults_snapshot() == []


# -- webhooks ----------------------------------------------------------------------------------


class Receiver:
    """A tiny webhook endpoint that checks Arc's signature the way a real receiver would."""

    def __init__(self, signing_key: str, fail_first: int = 0, prefix: str = "Arc-Webhook") -> None:
        self.signing_key = signing_key
        self.fail_first = fail_first
        self.prefix = prefix
        self.events: list[dict] = []
        self.rejected = 0
        self.lock = threading.Lock()
        self.app = Starlette(routes=[Route("/hooks/arc", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> JSONResponse:
        body = await request.body()
        timestamp = request.headers.get(f"{self.prefix}-Timestamp", "")
        signature = request.headers.get(f"{self.prefix}-Signature", "")
        expected = hmac.new(self.signing_key.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        with self.lock:
            if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300 or not hmac.compare_digest(
                    expected, signature):
                self.rejected += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            if self.fail_first > 0:
                self.fail_first -= 1
                return JSONResponse({"error": "try later"}, status_code=500)
            self.events.append(orjson.loads(body))
        return JSONResponse({"ok": True})


@pytest.fixture
def receiver():
    hook = Receiver("whsec-test-key")
    with SandboxServer(hook.app, name="receiver") as running:
        hook.url = running.url + "/hooks/arc"
        yield hook


def test_triggers_deliver_correctly_signed_events(fresh, receiver, dataset):
    state, running, client = fresh
    state.webhook_target(receiver.url, receiver.signing_key)
    seed_event = _seed_example()

    # New statement: visible through the API, the account follows.
    account = next(a for a in dataset.accounts if not a.closed)
    before = _all(client, "/plug/utility_statements", {"utility_account_id": account.id})
    sent = state.trigger_new_statement(account.id)
    assert sent["delivered"] is True and sent["status"] == 200 and len(sent["attempts"]) == 1
    event = receiver.events[-1]
    assert set(event) == set(seed_event) and event["type"] == "new_utility_statement_available"
    statement = event["data"]
    assert set(statement) == STATEMENT_KEYS and statement["utility_account_id"] == account.id
    newest_before = max(before, key=lambda s: s["service_end_date"])
    assert statement["service_start_date"] > newest_before["service_start_date"]
    listed = client.get("/plug/utility_statements", params={"utility_account_id": account.id, "limit": 1}).json()
    assert listed["total_count"] == len(before) + 1 and listed["data"][0]["id"] == statement["id"]
    assert client.get(f"/plug/utility_statements/{statement['id']}").json()["kwh"] == statement["kwh"]
    refreshed = client.get(f"/utility_accounts/{account.id}").json()
    assert refreshed["most_recent_tariff"]["tariff_as_of_date"] == statement["statement_date"]
    assert refreshed["updated_at"] == statement["updated_at"] == statement["created_at"] == event["created_at"]
    assert refreshed["flags"] == []

    # New intervals: the range grows by a day and the event says which.
    meter = account.electric_meter
    old = client.get("/plug/utility_intervals/metadata", params={"utility_meter_id": meter.id}).json()
    sent = state.trigger_new_intervals(meter.id)
    data = receiver.events[-1]["data"]
    assert receiver.events[-1]["type"] == "new_utility_intervals_available"
    assert data == {"client_user_id": account.client_user_id, "utility_account_id": account.id,
                    "utility_meter_id": meter.id, "intervals_start_time": old["intervals_latest_time"],
                    "intervals_end_time": (_at(old["intervals_latest_time"]) + timedelta(days=1)).strftime(
                        "%Y-%m-%dT%H:%M:%SZ")}
    new = client.get("/plug/utility_intervals/metadata", params={"utility_meter_id": meter.id}).json()
    assert new["intervals_latest_time"] == data["intervals_end_time"]
    fresh_items = client.get("/plug/utility_intervals", params={
        "utility_meter_id": meter.id, "start_time": data["intervals_start_time"],
        "end_time": data["intervals_end_time"]}).json()["data"]
    assert len(fresh_items) == 96

    # Credential revoked: its status changes.
    credential = dataset.credential(account.credential.id)
    state.trigger_credential_revoked(credential.id)
    assert receiver.events[-1]["type"] == "utility_credential_revoked"
    assert receiver.events[-1]["data"] == {"client_user_id": credential.client_user_id,
                                           "utility_credential_id": credential.id}
    assert client.get(f"/utility_credentials/{credential.id}").json()["verification_status"] == "rejected"

    # Accounts discovered: the seed's payload, key for key.
    state.trigger_accounts_discovered(account.client_user_id)
    event = receiver.events[-1]
    assert event["type"] == "utility_accounts_discovered"
    _assert_same_shape(event, seed_event, "event")
    assert event["data"]["utility_credential_id"] == credential.id
    assert {a["id"] for a in event["data"]["utility_accounts"]} == set(credential.account_ids)
    for discovered in event["data"]["utility_accounts"]:
        _assert_same_shape(discovered, seed_event["data"]["utility_accounts"][0], "discovered account")

    assert receiver.rejected == 0
    assert [w["type"] for w in state.sent_webhooks] == [
        "new_utility_statement_available", "new_utility_intervals_available", "utility_credential_revoked",
        "utility_accounts_discovered"]
    for record in state.sent_webhooks:
        assert record["status"] == 200 and record["delivered"]
        assert receiver.signing_key not in json.dumps(record)
        timestamp = record["headers"]["Arc-Webhook-Timestamp"]
        assert record["headers"]["Arc-Webhook-Signature"] == hmac.new(
            receiver.signing_key.encode(), f"{timestamp}.{record['body']}".encode(), hashlib.sha256).hexdigest()


def test_failed_deliveries_are_retried(fresh):
    state, _, _ = fresh
    state.webhook_retry_delays = (0.01, 0.01)
    hook = Receiver("key-2", fail_first=2)
    with SandboxServer(hook.app, name="receiver") as running:
        state.webhook_target(running.url + "/hooks/arc", "key-2")
        sent = state.trigger_test()
        assert [a["status"] for a in sent["attempts"]] == [500, 500, 200] and sent["delivered"]
        assert len(hook.events) == 1 and hook.events[0]["type"] == "test"
        hook.fail_first = 5
        sent = state.trigger_test()
        assert [a["status"] for a in sent["attempts"]] == [500, 500, 500]
        assert sent["delivered"] is False and sent["status"] == 500
    # Nobody listening: the error is recorded, the change still happens.
    state.webhook_target("http://127.0.0.1:9/hooks", "key-2")
    sent = state.trigger_credential_revoked(1001)
    assert sent["status"] is None and sent["attempts"][0]["error"]
    assert state.get("utility_credentials", 1001)["verification_status"] == "rejected"


def test_http_triggers_and_legacy_header_names(fresh, dataset):
    state, running, client = fresh
    hook = Receiver("legacy-key", prefix="Arcadia-Webhook")
    with SandboxServer(hook.app, name="receiver") as receiver_server:
        url = receiver_server.url + "/hooks/arc"
        response = httpx.post(running.url + "/_sandbox/webhook_target",
                              json={"url": url, "signing_key": "legacy-key", "legacy_header_names": True})
        assert response.status_code == 200
        assert httpx.get(running.url + "/_sandbox/webhook_target").json() == {"url": url, "legacy_header_names": True}
        user = dataset.users[0].client_user_id
        sent = httpx.post(running.url + "/_sandbox/trigger/accounts_discovered", json={"client_user_id": user},
                          timeout=30).json()
        assert sent["delivered"] and "Arcadia-Webhook-Signature" in sent["headers"]
        meter = next(m for m in dataset.meters if m.service_type == "electric")
        assert httpx.post(running.url + "/_sandbox/trigger/new_intervals",
                          json={"utility_meter_id": meter.id, "days": 2}, timeout=30).json()["delivered"]
        closed = next(a for a in dataset.accounts if a.closed)
        assert httpx.post(running.url + "/_sandbox/trigger/new_statement",
                          json={"utility_account_id": closed.id}).status_code == 400
        assert httpx.post(running.url + "/_sandbox/trigger/new_statement",
                          json={"utility_account_id": 1}).status_code == 404
        gas = next(m for m in dataset.meters if m.service_type == "gas")
        assert httpx.post(running.url + "/_sandbox/trigger/new_intervals",
                          json={"utility_meter_id": gas.id}).status_code == 400
        assert httpx.post(running.url + "/_sandbox/trigger/bogus", json={}).status_code == 404
        assert [e["type"] for e in hook.events] == ["utility_accounts_discovered", "new_utility_intervals_available"]
        assert hook.rejected == 0
        listed = httpx.get(running.url + "/_sandbox/webhooks").json()
        assert [w["type"] for w in listed] == ["utility_accounts_discovered", "new_utility_intervals_available"]


def test_trigger_without_a_target_still_changes_the_data(fresh, dataset):
    state, _, client = fresh
    account = next(a for a in dataset.accounts if not a.closed)
    sent = state.trigger_new_statement(account.id)
    assert sent["delivered"] is False and sent["url"] is None
    assert client.get(f"/plug/utility_statements/{sent['event']['data']['id']}").status_code == 200


# -- starting ----------------------------------------------------------------------------------


def test_start_arcadia_sandbox_and_env_settings(monkeypatch):
    monkeypatch.setenv("ARCADIA_SANDBOX_SEED", "11")
    monkeypatch.setenv("ARCADIA_SANDBOX_USERS", "2")
    monkeypatch.setenv("ARCADIA_SANDBOX_MONTHS", "6")
    monkeypatch.setenv("ARCADIA_SANDBOX_AS_OF", "2025-03-10")
    settings = sandbox_settings_from_env()
    assert settings.generator_kwargs() == {"seed": 11, "users": 2, "months": 6, "as_of": date(2025, 3, 10)}
    server, base_url = start_arcadia_sandbox(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, users=3)
    with server:
        assert base_url == server.url and base_url.startswith("http://127.0.0.1:")
        state = server.app.state.sandbox
        assert (state.dataset.seed, len(state.dataset.users), state.dataset.months) == (11, 3, 6)
        assert state.dataset.as_of == date(2025, 3, 10)
        with _client(base_url) as client:
            assert client.get("/users").json()["total_count"] == 3
    with pytest.raises(TypeError):
        start_arcadia_sandbox(generate_dataset(users=1, months=1, as_of=AS_OF), users=2)
    monkeypatch.setenv("ARCADIA_SANDBOX_USERS", "many")
    with pytest.raises(ValueError):
        sandbox_settings_from_env()
