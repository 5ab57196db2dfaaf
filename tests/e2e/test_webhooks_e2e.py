"""Webhooks end to end: signed Arc events (the sandbox's triggers and the seed's example) reach the
receiver, the inbox, the sensor, a targeted Dagster run and the marts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from dagster import DagsterInstance, build_sensor_context

from connectors.core.sandbox_server import SandboxServer
from connectors.registry import VENDORS
from connectors.webhooks import arc_signature, create_receiver

from .conftest import ARCADIA_SIGNING_KEY

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "arcadia-utility-accounts-discovered-webhook.txt"
# The request sample of the seed document, kept with the tests (the seed lives outside the repository).
EXAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "arcadia_utility_accounts_discovered.json"


def seed_example() -> bytes:
    body = EXAMPLE.read_bytes().strip()
    if SEED.exists():  # the copy must stay the seed's example, byte for byte
        assert body.decode() in SEED.read_text()
    return body


@pytest.fixture(scope="module")
def receiver(pipeline):
    import os

    app = create_receiver([spec.webhook for spec in VENDORS.values() if spec.webhook], pipeline.data_dir / "lake",
                          dict(os.environ))
    with SandboxServer(app) as server:
        yield server.url


def run_sensor_requests(pipeline):
    from orchestration.automation import build_notification_sensor
    from orchestration.definitions import defs

    sensor = build_notification_sensor(VENDORS["arcadia"])
    context = build_sensor_context(repository_def=defs.get_repository_def())
    requests = [r for r in sensor(context) if hasattr(r, "run_key")]
    assert requests, "the stored events should request runs"
    job = defs.resolve_implicit_global_asset_job_def()
    with DagsterInstance.ephemeral() as instance:
        for request in requests:
            result = job.execute_in_process(instance=instance, asset_selection=request.asset_selection,
                                            tags=request.tags)
            assert result.success
    # the next tick acknowledges the events: nothing pending any more
    list(sensor(build_sensor_context(cursor=context.cursor, repository_def=defs.get_repository_def())) or [])
    return requests


def test_seed_example_and_sandbox_events_reach_the_marts(pipeline, receiver):
    state = pipeline.arcadia_state
    state.webhook_target(f"{receiver}/webhooks/arcadia", ARCADIA_SIGNING_KEY)
    # the seed's own example, signed like Arc signs
    body = seed_example()
    timestamp = str(int(time.time()))
    answer = httpx.post(f"{receiver}/webhooks/arcadia", content=body, headers={
        "Content-Type": "application/json", "Arc-Webhook-Timestamp": timestamp,
        "Arc-Webhook-Signature": arc_signature(ARCADIA_SIGNING_KEY, timestamp, body)})
    assert answer.status_code == 202
    # a duplicate delivery is stored once
    again = httpx.post(f"{receiver}/webhooks/arcadia", content=body, headers={
        "Content-Type": "application/json", "Arc-Webhook-Timestamp": timestamp,
        "Arc-Webhook-Signature": arc_signature(ARCADIA_SIGNING_KEY, timestamp, body)})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    # a new statement triggered in the sandbox, delivered signed by the sandbox itself
    account_id = pipeline.sql("select vendor_account_id from marts.dim_accounts where vendor = 'arcadia' "
                              "and status = 'active' order by 1 limit 1")[0][0]
    sent = state.trigger_new_statement(int(account_id))
    assert sent["status"] == 202
    assert sent["delivered"], sent.get("error")
    statement_id = str(sent["event"]["data"]["id"])
    pending = list((pipeline.data_dir / "lake" / "inbox" / "arcadia" / "pending").glob("*.json"))
    assert len(pending) == 2

    requests = run_sensor_requests(pipeline)
    assert {tuple(sorted(k.split("/", 1)[1] for k in r.tags if k.startswith("scope/"))) for r in requests}

    # the seed's account and meter are in the marts
    assert pipeline.sql("select account_number, status from marts.dim_accounts "
                        "where vendor = 'arcadia' and vendor_account_id = '12345'") == [("7626177069", "active")]
    assert pipeline.sql("select meter_number, commodity from marts.dim_meters "
                        "where vendor = 'arcadia' and vendor_meter_id = '500'") == [("12300000045 67", "electric")]
    # the new statement is in fct_bills
    assert pipeline.sql("select count(*) from marts.fct_bills where vendor = 'arcadia' and vendor_bill_id = ?",
                            [statement_id]) == [(1,)]
    assert not list((pipeline.data_dir / "lake" / "inbox" / "arcadia" / "pending").glob("*.json"))
    stored = json.loads(next((pipeline.data_dir / "lake" / "inbox" / "arcadia" / "processed").glob("*.json")).read_text())
    assert "arc-webhook-signature" not in {k.lower() for k in stored.get("headers", {})}
