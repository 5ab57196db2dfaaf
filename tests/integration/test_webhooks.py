"""The webhook receiver over real HTTP (uvicorn on 127.0.0.1) on a temporary lake: Arc signatures,
Bayou's token path, the durable inbox, and the Dagster sensor that turns stored events into runs."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from connectors.core.redaction import REDACTED
from connectors.core.sandbox_server import SandboxServer
from connectors.core.vendor import Notification, SyncContext
from connectors.registry import VENDORS
from connectors.webhooks import Inbox, InboxNotifications, arc_webhook_spec, create_receiver
from connectors.webhooks.signatures import arc_signature, arc_signature_headers

ARC_KEY = "arc-test-signing-key-5f0c2d"
BAYOU_TOKEN = "bayou-test-token-8e41b7a9"
SMALL_LIMIT = 4096

# The request sample of Arc's "Utility Accounts Discovered" webhook, verbatim from the seed
# (seeds/arcadia-utility-accounts-discovered-webhook.txt).
ARC_SEED_EVENT = rb"""{
  "type": "utility_accounts_discovered",
  "created_at": "2019-08-24T14:15:22Z",
  "data": {
    "client_user_id": "fff57dc7-3a2b-4395-8a62-e3486d46dabe",
    "utility_credential_id": 1234,
    "utility_accounts": [
      {
        "id": 12345,
        "client_user_id": "fff57dc7-3a2b-4395-8a62-e3486d46dabe",
        "utility_name": "Pepco",
        "utility_long_name": "Pepco DC",
        "utility_credential_id": 54321,
        "account_number": "7626177069",
        "service_address_street_one": "1060 W Addison",
        "service_address_street_two": "Apartment 1",
        "service_address_city": "Chicago",
        "service_address_state": "IL",
        "service_address_zip": "60613",
        "service_customer_name": "Joan Arc",
        "supplier_account_id": "123456789",
        "status": "active",
        "most_recent_tariff": {
          "main_tariff_id": "gen_mtid_3331108",
          "supplier_name": "East Bay Community Energy",
          "tariff_code": "EV-2A-TOU",
          "tariff_name": "Residential - Time of Use - Plug-In Electric Vehicle 2",
          "utility_name": "Pacific Gas & Electric",
          "tariff_as_of_date": "2021-03-01"
        },
        "flags": [
          "utility_statement_past_due"
        ],
        "services": [
          "electric"
        ],
        "created_at": "2019-08-24T14:15:22Z",
        "updated_at": "2019-08-24T14:15:22Z",
        "feature_availability": {
          "charge_cost": "AVAILABLE",
          "smart_charge": "AVAILABLE",
          "utility_intervals": "AVAILABLE",
          "utility_statements": "AVAILABLE",
          "hosted_payments": "AVAILABLE",
          "utility_remittance": "AVAILABLE"
        },
        "utility_meters": [
          {
            "id": 500,
            "client_user_id": "fff57dc7-3a2b-4395-8a62-e3486d46dabe",
            "utility_credential_id": 1234,
            "utility_account_id": 12345,
            "meter_number": "12300000045 67",
            "service_type": "electric",
            "created_at": "2019-08-24T14:15:22Z",
            "updated_at": "2019-08-24T14:15:22Z",
            "sandboxed": false
          }
        ],
        "sandboxed": false
      }
    ]
  }
}"""


def trivial_arc_notification(event: dict, receipt: str) -> Notification | None:
    """Stands in for the Arcadia connector's mapping: one unscoped run per event but `test`."""
    if event["body"].get("type") == "test":
        return None
    return Notification(key=event["event_id"], scope={}, receipt=receipt, summary=event["body"].get("type", ""))


ARC_SPEC = arc_webhook_spec(trivial_arc_notification, max_body_bytes=SMALL_LIMIT)


@pytest.fixture()
def env() -> dict[str, str]:
    return {"ARCADIA_WEBHOOK_SIGNING_KEY": ARC_KEY, "BAYOU_WEBHOOK_TOKEN": BAYOU_TOKEN}


@pytest.fixture()
def receiver(tmp_path, env):
    """(base url, lake root, env): the receiver for Arc and Bayou on a temporary lake; `env` is
    read at request time, so a test can unset a secret."""
    lake_root = tmp_path / "lake"
    app = create_receiver([ARC_SPEC, VENDORS["bayou"].webhook], lake_root, env)
    with SandboxServer(app, name="webhooks") as server:
        yield server.url, lake_root, env


def arc_event(kind: str = "utility_credential_verified", **data) -> bytes:
    return json.dumps({"type": kind, "created_at": "2026-03-01T10:00:00Z",
                       "data": {"client_user_id": "user-1", **data}}).encode()


def post_arc(url: str, body: bytes, *, timestamp: int | None = None, key: str = ARC_KEY, legacy: bool = False,
             headers: dict[str, str] | None = None) -> httpx.Response:
    signed = arc_signature_headers(key, body, int(time.time()) if timestamp is None else timestamp, legacy=legacy)
    return httpx.post(f"{url}/webhooks/arcadia", content=body, headers=headers if headers is not None else signed)


def inbox_files(lake_root: Path, vendor: str, state: str = "pending") -> list[Path]:
    directory = lake_root / "inbox" / vendor / state
    return sorted(directory.iterdir()) if directory.exists() else []


# -- Arc: signed deliveries ------------------------------------------------------------------------


def test_signed_event_is_on_disk_when_the_2xx_arrives(receiver):
    url, lake_root, _ = receiver
    body = arc_event(utility_credential_id=77)
    timestamp = int(time.time())
    response = post_arc(url, body, timestamp=timestamp)
    assert response.status_code == 202
    answer = response.json()
    assert answer["status"] == "accepted"
    path = lake_root / "inbox" / "arcadia" / "pending" / f"{answer['event_id']}.json"
    assert path.is_file()  # written (and fsynced) before the answer
    stored = json.loads(path.read_bytes())
    assert stored["event_id"] == answer["event_id"]
    assert stored["vendor"] == "arcadia"
    assert stored["received_at"].endswith("Z")
    assert stored["body"] == json.loads(body)
    assert stored["headers"]["content-type"] == "application/json"
    assert stored["headers"]["arc-webhook-timestamp"] == str(timestamp)
    assert not any("signature" in name for name in stored["headers"])
    assert arc_signature(ARC_KEY, timestamp, body) not in path.read_text()
    assert [p.name for p in (lake_root / "inbox" / "arcadia" / "pending").iterdir()] == [path.name]  # no temp left


def test_older_arcadia_header_spelling_is_accepted(receiver):
    url, lake_root, _ = receiver
    response = post_arc(url, arc_event(), legacy=True)
    assert response.status_code == 202
    stored = json.loads(inbox_files(lake_root, "arcadia")[0].read_bytes())
    assert "arcadia-webhook-timestamp" in stored["headers"]


def test_the_seed_example_event_is_accepted(receiver):
    url, lake_root, _ = receiver
    response = post_arc(url, ARC_SEED_EVENT)
    assert response.status_code == 202
    (path,) = inbox_files(lake_root, "arcadia")
    body = json.loads(path.read_bytes())["body"]
    assert body["type"] == "utility_accounts_discovered"
    assert body["data"]["utility_accounts"][0]["utility_meters"][0]["meter_number"] == "12300000045 67"


def _signed(body: bytes, timestamp: int, key: str = ARC_KEY) -> dict[str, str]:
    return arc_signature_headers(key, body, timestamp)


def _rejections() -> dict:
    """Built at test time: timestamps are relative to the receiver's clock (the exact 300 s
    boundary is tested without a clock race in tests/unit/test_webhook_signatures.py)."""
    now = int(time.time())
    body = arc_event()
    forged = _signed(body, now)
    forged["Arc-Webhook-Signature"] = "0" * 64
    tampered = _signed(body, now)
    without_timestamp = {k: v for k, v in _signed(body, now).items() if k != "Arc-Webhook-Timestamp"}
    not_a_number = _signed(body, now)
    not_a_number["Arc-Webhook-Timestamp"] = "yesterday"
    cases = [
        ("forged signature", body, forged, 401),
        ("another key", body, _signed(body, now, key="some-other-key"), 401),
        ("body changed after signing", body.replace(b"user-1", b"user-2"), tampered, 401),
        ("stale by 310 s", body, _signed(body, now - 310), 401),
        ("310 s in the future", body, _signed(body, now + 310), 401),
        ("no signature headers", body, {"Content-Type": "application/json"}, 401),
        ("no timestamp header", body, without_timestamp, 401),
        ("timestamp not a number", body, not_a_number, 400),
        ("not JSON", b"type=test&data=1", _signed(b"type=test&data=1", now), 400),
        ("JSON but not an object", b"[1, 2]", _signed(b"[1, 2]", now), 400),
        ("not UTF-8", b'{"type": "\xff"}', _signed(b'{"type": "\xff"}', now), 400),
        ("nested too deep to parse", b"[" * 4000, _signed(b"[" * 4000, now), 400),
        ("over the size limit", b" " * (SMALL_LIMIT + 1), _signed(b" " * (SMALL_LIMIT + 1), now), 413),
    ]
    return {name: (body, headers, status) for name, body, headers, status in cases}


@pytest.mark.parametrize("case", list(_rejections()))
def test_bad_deliveries_are_rejected_and_nothing_is_stored(receiver, case):
    url, lake_root, _ = receiver
    body, headers, status = _rejections()[case]
    response = httpx.post(f"{url}/webhooks/arcadia", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert "error" in response.json()
    assert not (lake_root / "inbox" / "arcadia").exists() or not inbox_files(lake_root, "arcadia")


def test_an_oversized_streamed_body_is_cut_off_at_the_limit(receiver):
    """No Content-Length (chunked): the limit is enforced while reading, not after."""
    url, lake_root, _ = receiver

    def chunks():
        for _ in range(64):
            yield b" " * 1024

    headers = _signed(b"", int(time.time()))
    response = httpx.post(f"{url}/webhooks/arcadia", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert not inbox_files(lake_root, "arcadia")


def test_a_retried_delivery_is_stored_once(receiver):
    """Arc retries with the same body and a new timestamp and signature."""
    url, lake_root, _ = receiver
    body = arc_event("new_utility_statement_available", id=501)
    first = post_arc(url, body, timestamp=int(time.time()) - 120)
    (path,) = inbox_files(lake_root, "arcadia")
    before = path.read_bytes(), path.stat().st_mtime_ns
    again = post_arc(url, body)
    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    assert inbox_files(lake_root, "arcadia") == [path]
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before  # not rewritten
    # still a duplicate once the sensor has acknowledged it
    Inbox(lake_root, "arcadia").acknowledge([path.name])
    assert post_arc(url, body).json()["status"] == "duplicate"
    assert not inbox_files(lake_root, "arcadia")


def test_concurrent_deliveries_of_one_event_store_it_once(receiver):
    url, lake_root, _ = receiver
    body = arc_event("utility_account_updated", id=9)
    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(lambda _: post_arc(url, body).status_code, range(8)))
    assert statuses == [200] * 7 + [202]
    assert len(inbox_files(lake_root, "arcadia")) == 1


def test_unconfigured_signing_key_answers_503_and_says_so_once(receiver, caplog):
    url, lake_root, env = receiver
    del env["ARCADIA_WEBHOOK_SIGNING_KEY"]
    with caplog.at_level(logging.DEBUG, logger="connectors.webhooks"):
        responses = [post_arc(url, arc_event()) for _ in range(3)]
    assert [r.status_code for r in responses] == [503] * 3
    assert "not configured" in responses[0].json()["error"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "ARCADIA_WEBHOOK_SIGNING_KEY" in r.getMessage()]
    assert len(errors) == 1
    assert not inbox_files(lake_root, "arcadia")


def test_health_and_unknown_paths(receiver):
    url, _, _ = receiver
    assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "vendors": ["arcadia", "bayou"]}
    assert httpx.post(f"{url}/webhooks/nobody", json={}).status_code == 404
    assert httpx.get(f"{url}/webhooks/arcadia").status_code == 405


def test_receiver_logs_name_vendor_type_id_and_outcome_but_never_the_body(receiver, caplog):
    url, _, _ = receiver
    body = arc_event("utility_credential_verified", username="jane.secret.user")
    with caplog.at_level(logging.INFO, logger="connectors.webhooks"):
        event_id = post_arc(url, body).json()["event_id"]
        post_arc(url, body)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("connectors.webhooks")]
    assert f"webhook arcadia: utility_credential_verified event {event_id} accepted" in messages
    assert f"webhook arcadia: utility_credential_verified event {event_id} duplicate" in messages
    assert "jane.secret.user" not in caplog.text


# -- Bayou: the token in the path ------------------------------------------------------------------


def bayou_event(event: str, obj: dict) -> dict:
    return {"event": event, "object": obj}


NEW_BILL = bayou_event("new_bill", {"id": 20417, "customer_id": 1042, "status": "unlocked", "billed_on": "2026-02-03"})


def test_bayou_without_configured_token_answers_503(receiver):
    url, lake_root, env = receiver
    del env["BAYOU_WEBHOOK_TOKEN"]
    response = httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
    assert response.status_code == 503
    assert "BAYOU_WEBHOOK_TOKEN" in response.json()["error"]
    assert not inbox_files(lake_root, "bayou")


@pytest.mark.parametrize("path", ["/webhooks/bayou/", "/webhooks/bayou/wrong-token",
                                  f"/webhooks/bayou/{BAYOU_TOKEN}x", f"/webhooks/bayou/{BAYOU_TOKEN[:-1]}",
                                  f"/webhooks/bayou/{BAYOU_TOKEN}/extra"])
def test_bayou_missing_or_wrong_token_is_401(receiver, path):
    url, lake_root, _ = receiver
    response = httpx.post(f"{url}{path}", json=NEW_BILL)
    assert response.status_code == 401
    assert BAYOU_TOKEN not in response.text
    assert not inbox_files(lake_root, "bayou")


def test_bayou_new_bill_is_stored_and_asks_for_that_customers_bills(receiver):
    url, lake_root, _ = receiver
    response = httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
    assert response.status_code == 202
    event_id = response.json()["event_id"]
    (path,) = inbox_files(lake_root, "bayou")
    assert path.name == f"{event_id}.json"
    assert json.loads(path.read_bytes())["body"] == NEW_BILL
    source = InboxNotifications(lake_root, VENDORS["bayou"].webhook)
    (notification,) = source.receive(10)
    assert notification == Notification(key=event_id, scope={"customer_id": "1042"}, receipt=path.name,
                                         summary="new_bill for customer 1042", syncs=("bills",))
    assert inbox_files(lake_root, "bayou") == [path]  # pending until acknowledged
    source.acknowledge([notification.receipt])
    assert not inbox_files(lake_root, "bayou")
    assert [p.name for p in inbox_files(lake_root, "bayou", "processed")] == [path.name]
    # redelivered after processing: a duplicate, no second event
    again = httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert source.receive(10) == []


def test_the_bayou_token_never_reaches_the_logs(receiver, caplog):
    url, lake_root, _ = receiver
    with caplog.at_level(logging.DEBUG):
        for path in (f"/webhooks/bayou/{BAYOU_TOKEN}", "/webhooks/bayou/wrong", f"/webhooks/bayou/{BAYOU_TOKEN}/x"):
            httpx.post(f"{url}{path}", json=NEW_BILL)
        httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", content=b"not json")
        httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)  # duplicate
        httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=bayou_event("bills_ready", {"id": 7}))
    assert caplog.records  # the receiver did log its outcomes
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert BAYOU_TOKEN not in text
    assert REDACTED not in text  # nothing even needed the redactor: the receiver never logs paths
    for path in (lake_root / "inbox").rglob("*"):
        if path.is_file():
            assert BAYOU_TOKEN not in path.read_text()


@pytest.mark.parametrize(("event", "obj", "syncs", "scope"), [
    ("new_bill", {"id": 1, "customer_id": 5}, ("bills",), {"customer_id": "5"}),
    ("updated_bill", {"id": 1, "customer_id": "6"}, ("bills",), {"customer_id": "6"}),
    ("bills_ready", {"id": 7, "bills_are_ready": True}, ("bills",), {"customer_id": "7"}),
    ("intervals_ready", {"id": 8}, ("intervals",), {"customer_id": "8"}),
    ("customer_has_filled_credentials", {"id": 9}, ("customers", "bills"), {"customer_id": "9"}),
    ("customer_must_reauthenticate", {"id": 10}, ("customers", "bills"), {"customer_id": "10"}),
    ("new_bill", {"id": 1}, ("bills",), {}),  # no customer named: an unscoped sync
])
def test_bayou_event_mapping(event, obj, syncs, scope):
    from connectors.bayou.webhooks import to_notification

    stored = {"event_id": "abc", "vendor": "bayou", "received_at": "", "headers": {}, "body": bayou_event(event, obj)}
    notification = to_notification(stored, "abc.json")
    assert (notification.key, notification.syncs, dict(notification.scope), notification.receipt) == (
        "abc", syncs, scope, "abc.json")


def test_bayou_events_without_a_run_are_stored_and_acknowledged_at_once(receiver):
    url, lake_root, _ = receiver
    for event in ("new_unparsed_bill", "some_future_event"):
        response = httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=bayou_event(event, {"id": 3}))
        assert response.status_code == 202
    assert len(inbox_files(lake_root, "bayou")) == 2
    assert InboxNotifications(lake_root, VENDORS["bayou"].webhook).receive(10) == []
    assert not inbox_files(lake_root, "bayou")
    assert len(inbox_files(lake_root, "bayou", "processed")) == 2


# -- the inbox as a NotificationSource -------------------------------------------------------------


def test_inbox_receives_oldest_first_up_to_max_and_acknowledges_by_moving(tmp_path):
    inbox = Inbox(tmp_path, "arcadia")
    for i, kind in enumerate(["c_third", "a_first", "b_second"]):
        assert inbox.store(f"event-{kind}", {"type": kind})
        path = inbox.pending / f"event-{kind}.json"
        stamp = {"a_first": 1_000, "b_second": 2_000, "c_third": 3_000}[kind]
        os.utime(path, (stamp, stamp))
    (inbox.pending / ".inbox-tmp-half-written.json").write_text("{")  # a writer in progress
    source = InboxNotifications(tmp_path, ARC_SPEC)
    first = source.receive(2)
    assert [n.summary for n in first] == ["a_first", "b_second"]
    assert [n.receipt for n in first] == ["event-a_first.json", "event-b_second.json"]
    assert [n.summary for n in source.receive(10)] == ["a_first", "b_second", "c_third"]  # not hidden: at least once
    source.acknowledge([n.receipt for n in first])
    source.acknowledge([n.receipt for n in first])  # twice is harmless
    assert [n.summary for n in source.receive(10)] == ["c_third"]
    assert sorted(p.name for p in inbox.processed.iterdir()) == ["event-a_first.json", "event-b_second.json"]
    assert not inbox.store("event-a_first", {"type": "again"})  # processed ids stay duplicates
    assert inbox.find("event-a_first")["body"] == {"type": "a_first"}  # processed
    assert inbox.find("event-c_third")["body"] == {"type": "c_third"}  # pending
    assert inbox.find("no-such-event") is None
    with pytest.raises(ValueError):
        source.acknowledge(["../../elsewhere.json"])


def test_inbox_store_is_exactly_once_under_concurrency(tmp_path):
    inbox = Inbox(tmp_path, "bayou")
    barrier = threading.Barrier(16)

    def store(i):
        barrier.wait()
        return inbox.store("same-event", {"event": "new_bill", "writer": i})

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(store, range(16)))
    assert results.count(True) == 1
    assert [p.name for p in inbox.pending.iterdir()] == ["same-event.json"]


def test_unsafe_event_ids_become_file_names(tmp_path):
    inbox = Inbox(tmp_path, "x")
    assert inbox.store("../../etc/passwd", {})
    assert inbox.store("a:b", {})
    assert inbox.store("a_b", {})
    names = sorted(p.name for p in inbox.pending.iterdir())
    assert len(names) == 3 and all("/" not in n and not n.startswith(".") for n in names)
    assert "a_b.json" in names


def test_a_mapping_error_leaves_the_event_pending(tmp_path):
    from connectors.webhooks import WebhookSpec

    def broken(event, receipt):
        raise KeyError("data")

    spec = WebhookSpec(vendor="arcadia", path="/x", authenticate=lambda r: None, to_notification=broken)
    Inbox(tmp_path, "arcadia").store("e1", {"type": "x"})
    assert InboxNotifications(tmp_path, spec).receive(5) == []
    assert [p.name for p in (tmp_path / "inbox" / "arcadia" / "pending").iterdir()] == ["e1.json"]


# -- Dagster: the notification sensor reads the inbox ----------------------------------------------


def test_bayou_sensor_turns_a_stored_event_into_a_scoped_run_and_acknowledges_next_tick(tmp_path, monkeypatch, env):
    from dagster import AssetKey, build_sensor_context

    from connectors.settings import load_settings
    from orchestration.automation import build_notification_sensor

    monkeypatch.setenv("UTILITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UTILITY_VENDORS", raising=False)
    lake_root = load_settings().lake_dir
    app = create_receiver([VENDORS["bayou"].webhook], lake_root, env)
    with SandboxServer(app, name="webhooks") as server:
        event_id = httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL).json()["event_id"]

    sensor = build_notification_sensor(VENDORS["bayou"])
    context = build_sensor_context(cursor=None)
    requests = [r for r in sensor(context) if hasattr(r, "run_key")]
    assert len(requests) == 1
    assert requests[0].run_key == f"bayou:{event_id}"
    assert requests[0].tags == {"scope/customer_id": "1042"}
    assert set(requests[0].asset_selection) == {AssetKey(["bayou", "bills"]), AssetKey(["bayou", "bill_meters"])}
    assert inbox_files(lake_root, "bayou") != []  # received, not yet acknowledged
    assert json.loads(context.cursor) == {"unacknowledged": [f"{event_id}.json"]}

    next_context = build_sensor_context(cursor=context.cursor)
    assert not [r for r in sensor(next_context) if hasattr(r, "run_key")]
    assert inbox_files(lake_root, "bayou") == []
    assert [p.name for p in inbox_files(lake_root, "bayou", "processed")] == [f"{event_id}.json"]
    assert json.loads(next_context.cursor) == {"unacknowledged": []}


def test_bayou_sensor_with_an_empty_inbox_skips(tmp_path, monkeypatch):
    from dagster import SkipReason, build_sensor_context

    from orchestration.automation import build_notification_sensor

    monkeypatch.setenv("UTILITY_DATA_DIR", str(tmp_path / "data"))
    results = list(build_notification_sensor(VENDORS["bayou"])(build_sensor_context()))
    assert len(results) == 1 and isinstance(results[0], SkipReason)


# -- Bayou syncs honour the event's scope ----------------------------------------------------------


def test_a_new_bill_event_leads_to_a_bills_sync_of_that_customer_only(bayou, tmp_path, env):
    from connectors.core.vendor import VendorConnection
    from connectors.bayou.client import BayouClient
    from connectors.bayou.sync import sync_bills, sync_customers, sync_intervals
    from connectors.lake import Lake, new_load_id, query_dataset
    from connectors.policy import compile_policy, parse_policy

    _, base_url, _ = bayou
    lake = Lake(tmp_path / "lake")
    connection = VendorConnection("bayou", BayouClient("test-key", base_url, transport_sleep=lambda s: None),
                                 is_sandbox=True, base_url=base_url)
    log = logging.getLogger("test")
    try:
        sync_customers(SyncContext("bayou", connection, lake, new_load_id(), None, log))
        customers = [c for c in query_dataset(lake, "bayou", "customers",
                                              "select customer_id from dataset where has_filled_credentials "
                                              "order by customer_id").column("customer_id").to_pylist()]
        assert len(customers) >= 3
        target = customers[1]
        bill = connection.client.list_bills_raw(target)[0]
        app = create_receiver([VENDORS["bayou"].webhook], lake.root, env)
        with SandboxServer(app, name="webhooks") as server:
            response = httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=bayou_event("new_bill", bill))
        assert response.status_code == 202
        (notification,) = InboxNotifications(lake.root, VENDORS["bayou"].webhook).receive(5)
        assert notification.scope == {"customer_id": target}

        policy = compile_policy(parse_policy({"default": {"history": "all", "continuous": True}}),
                                VENDORS["bayou"].customer_links(lake))
        result = sync_bills(SyncContext("bayou", connection, lake, new_load_id(), policy, log,
                                        scope=notification.scope))
        assert result.entities["bills"].rows > 0
        landed = query_dataset(lake, "bayou", "bills", "select distinct customer_id from dataset")
        assert landed.column("customer_id").to_pylist() == [target]

        # a comma list (what the sensor makes of several events in one tick)
        two = f"{customers[0]},{customers[2]}"
        sync_bills(SyncContext("bayou", connection, lake, new_load_id(), policy, log, scope={"customer_id": two}))
        landed = query_dataset(lake, "bayou", "bills", "select distinct customer_id from dataset order by 1")
        assert landed.column("customer_id").to_pylist() == sorted([customers[0], customers[2], target])

        sync_intervals(SyncContext("bayou", connection, lake, new_load_id(), policy, log,
                                   scope={"customer_id": target}))
        if lake.has_data("bayou", "intervals"):
            landed = query_dataset(lake, "bayou", "intervals", "select distinct customer_id from dataset")
            assert landed.column("customer_id").to_pylist() == [target]
    finally:
        connection.close()


# -- entry points ------------------------------------------------------------------------------------


def test_make_ui_starts_the_receiver_in_the_background_for_the_configured_vendors(tmp_path, capsys):
    import socket

    from orchestration.webhooks import start_background_receiver

    env = {"UTILITY_DATA_DIR": str(tmp_path / "data"), "UTILITY_WEBHOOK_PORT": "0", "BAYOU_WEBHOOK_TOKEN": BAYOU_TOKEN}
    server = start_background_receiver(env)
    assert server is not None and server.host == "127.0.0.1"
    try:
        response = httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
        assert response.status_code == 202
        assert inbox_files(tmp_path / "data" / "lake", "bayou")
        out = capsys.readouterr().out
        assert "/webhooks/bayou/<token>" in out and BAYOU_TOKEN not in out
        # the port taken (e.g. by `make webhooks`): no receiver, no crash
        busy = dict(env, UTILITY_WEBHOOK_PORT=str(server.port))
        assert start_background_receiver(busy) is None
    finally:
        server.stop()
    # no enabled vendor with webhooks: nothing to start
    assert start_background_receiver(dict(env, UTILITY_VENDORS="wattzon")) is None
    with socket.socket() as probe:  # the receiver is gone
        assert probe.connect_ex(("127.0.0.1", server.port)) != 0


def test_a_bill_event_run_leaves_the_month_partitioned_marts_alone(tmp_path, monkeypatch, env):
    """With the definitions loaded, a bill event's run covers the bills sync and what reads it
    (bill marts, reconciliation), not the month-partitioned interval marts (no month range)."""
    from dagster import AssetKey, build_sensor_context

    from connectors.settings import load_settings
    from orchestration.automation import build_notification_sensor
    from orchestration.definitions import defs

    monkeypatch.setenv("UTILITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("UTILITY_VENDORS", raising=False)
    app = create_receiver([VENDORS["bayou"].webhook], load_settings().lake_dir, env)
    with SandboxServer(app, name="webhooks") as server:
        httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL).raise_for_status()

    sensor = build_notification_sensor(VENDORS["bayou"])
    requests = [r for r in sensor(build_sensor_context(cursor=None, definitions=defs)) if hasattr(r, "run_key")]
    assert len(requests) == 1
    selection = set(requests[0].asset_selection)
    assert {AssetKey(["bayou", "bills"]), AssetKey(["marts", "fct_bills"]),
            AssetKey(["marts", "fct_interval_reconciliation"])} <= selection
    assert not selection & {AssetKey(["marts", "fct_intervals"]), AssetKey(["marts", "fct_interval_coverage"]),
                            AssetKey(["bayou", "intervals"])}
    assert not any(tag.startswith("dagster/asset_partition_range") for tag in requests[0].tags)


# -- security: replays, size limits, binding, bodies kept out of logs --------------------------------


class _Clock:
    """The receiver's clock (create_receiver's `clock`), so a replay can be sent 'later' exactly."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_captured_request_replayed_verbatim_is_stored_once_then_refused_once_stale(tmp_path, env):
    """Someone who captured a signed delivery resends it byte for byte (same timestamp and
    signature): within Arc's 300 s tolerance it is a duplicate (stored once, answered 200), after it
    a stale request (401); nothing new lands either way."""
    clock = _Clock(float(int(time.time())))
    lake_root = tmp_path / "lake"
    app = create_receiver([ARC_SPEC], lake_root, env, clock=clock)
    body = arc_event("new_utility_statement_available", id=777)
    signed = arc_signature_headers(ARC_KEY, body, int(clock.now))
    with SandboxServer(app, name="webhooks") as server:
        first = httpx.post(f"{server.url}/webhooks/arcadia", content=body, headers=signed)
        (path,) = inbox_files(lake_root, "arcadia")
        stored = path.read_bytes()
        clock.now += 299
        replay = httpx.post(f"{server.url}/webhooks/arcadia", content=body, headers=signed)
        clock.now += 2  # 301 s after signing
        late = httpx.post(f"{server.url}/webhooks/arcadia", content=body, headers=signed)
    assert first.status_code == 202
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    assert late.status_code == 401
    assert inbox_files(lake_root, "arcadia") == [path] and path.read_bytes() == stored


def test_a_bayou_delivery_replayed_is_stored_once(receiver):
    """Bayou does not sign: its contract is the token, and a resent event is the same body."""
    url, lake_root, _ = receiver
    answers = [httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 200, 200]
    assert len(inbox_files(lake_root, "bayou")) == 1


@pytest.mark.parametrize("chunked", [False, True])
def test_bayou_oversized_bodies_are_refused_before_anything_is_stored(receiver, chunked):
    """The 1 MiB default limit on the Bayou path, declared (Content-Length) or streamed."""
    from connectors.webhooks import DEFAULT_MAX_BODY_BYTES

    url, lake_root, _ = receiver
    assert VENDORS["bayou"].webhook.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    padding = b" " * (DEFAULT_MAX_BODY_BYTES + 1 - len(json.dumps(NEW_BILL)))
    body = json.dumps(NEW_BILL).encode() + padding

    def chunks():
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    response = httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", content=chunks() if chunked else body)
    assert response.status_code == 413
    assert not inbox_files(lake_root, "bayou")
    # one byte less is a normal delivery
    assert httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", content=body[:-1]).status_code == 202


def test_an_oversized_forged_request_is_refused_without_being_read(receiver):
    """Size is checked before the signature: a forger declaring 1 GiB gets 413 at once, without
    the receiver waiting for (or verifying) the body. A raw socket: HTTP clients refuse to send
    less than they declare."""
    import socket
    from urllib.parse import urlsplit

    url, lake_root, _ = receiver
    address = urlsplit(url)
    head = (f"POST /webhooks/arcadia HTTP/1.1\r\nHost: {address.hostname}\r\n"
            f"Arc-Webhook-Signature: {'0' * 64}\r\nArc-Webhook-Timestamp: {int(time.time())}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {1 << 30}\r\n\r\n{{}}")
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(head.encode())
        answer = connection.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert not inbox_files(lake_root, "arcadia")


def test_the_receiver_binds_127_0_0_1_by_default():
    """Every entry point defaults to loopback: `python -m connectors.webhooks`, `serve()`, and the
    receiver `make ui` starts in the background."""
    import inspect

    from connectors.webhooks import receiver
    from connectors.webhooks.__main__ import main
    from orchestration.webhooks import start_background_receiver

    assert receiver.DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(receiver.serve).parameters["host"].default == "127.0.0.1"
    source = inspect.getsource(main)
    assert "default=DEFAULT_HOST" in source
    assert "0.0.0.0" not in inspect.getsource(start_background_receiver)


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on `port` (Linux /proc/net/tcp*)."""
    import ipaddress

    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, port_hex = address.split(":")
            if state != "0A" or int(port_hex, 16) != port:  # 0A = LISTEN
                continue
            raw = bytes.fromhex(host)
            # /proc stores each 32-bit word little-endian
            words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(str(ipaddress.ip_address(words)))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_python_m_connectors_webhooks_listens_on_loopback_only(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "UTILITY_DATA_DIR": str(tmp_path / "data"), "UTILITY_WEBHOOK_PORT": str(port),
           "BAYOU_WEBHOOK_TOKEN": BAYOU_TOKEN}
    env.pop("UTILITY_VENDORS", None)
    process = subprocess.Popen([sys.executable, "-m", "connectors.webhooks"], env=env,
                               cwd=Path(__file__).resolve().parents[2],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read().decode()
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.2)
        assert _listening_addresses(port) == {"127.0.0.1"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    output = process.stdout.read().decode()
    assert f"http://127.0.0.1:{port}" in output and BAYOU_TOKEN not in output


def test_request_bodies_with_secrets_never_reach_any_log(receiver, caplog, env):
    """A body full of secrets, through every outcome (accepted, duplicate, forged, stale,
    unauthenticated, not JSON, oversized, signing key unset), at DEBUG on every logger: neither
    the secrets nor the body's other values are logged, and rejected bodies are not stored."""
    url, lake_root, _ = receiver
    secrets = {"password": "hunter2-body-SECRET-91f3", "access_token": "tok-body-SECRET-7c2d",
               "account_number": "ACCT-body-SECRET-5510"}
    body = arc_event("utility_credential_verified", **secrets)
    now = int(time.time())
    bayou_body = json.dumps(bayou_event("new_bill", {"id": 5, "customer_id": 6, **secrets})).encode()
    with caplog.at_level(logging.DEBUG):
        assert post_arc(url, body).status_code == 202
        assert post_arc(url, body).status_code == 200
        forged = _signed(body, now)
        forged["Arc-Webhook-Signature"] = "f" * 64
        assert httpx.post(f"{url}/webhooks/arcadia", content=body, headers=forged).status_code == 401
        assert post_arc(url, body, timestamp=now - 3600).status_code == 401
        broken = body[:-1]
        assert post_arc(url, broken).status_code == 400
        big = body + b" " * SMALL_LIMIT
        assert post_arc(url, big).status_code == 413
        assert httpx.post(f"{url}/webhooks/bayou/{BAYOU_TOKEN}", content=bayou_body).status_code == 202
        assert httpx.post(f"{url}/webhooks/bayou/wrong-token", content=bayou_body).status_code == 401
        del env["ARCADIA_WEBHOOK_SIGNING_KEY"]
        assert post_arc(url, body).status_code == 503
    assert [r for r in caplog.records if r.name.startswith("connectors.webhooks")], "the receiver logged nothing"
    text = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for value in (*secrets.values(), ARC_KEY, BAYOU_TOKEN):
        assert value not in text, value
    # only the accepted events were stored, and only their bodies (no signature, no token)
    stored = [p.read_text() for p in (lake_root / "inbox").rglob("*.json")]
    assert len(stored) == 2
    assert not any(ARC_KEY in s or BAYOU_TOKEN in s or "Arc-Webhook-Signature".lower() in s.lower() for s in stored)
