"""Arcadia Arc against its sandbox over real HTTP: tokens, keyset paging, intervals, syncs, webhooks."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import duckdb
import httpx
import pytest

from connectors.core.vendor import VendorConnection
from connectors.arcadia.client import ArcadiaClient
from connectors.arcadia.sandbox import generate_dataset, start_arcadia_sandbox
from connectors.arcadia.sync import sync_accounts_and_meters, sync_intervals, sync_statements, sync_users_and_credentials
from connectors.core.errors import VendorAuthError, VendorNotFoundError
from connectors.core.vendor import SyncContext
from connectors.lake import Lake, new_load_id
from connectors.policy import compile_policy, parse_policy
from connectors.registry import VENDORS

log = logging.getLogger("test")
AS_OF = date(2026, 10, 1)
_DATASET: dict = {}


@pytest.fixture()
def arcadia():
    if "d" not in _DATASET:
        _DATASET["d"] = generate_dataset(seed=3, users=3, months=24, as_of=AS_OF)
    server, base_url = start_arcadia_sandbox(dataset=_DATASET["d"], client_id="cid", client_secret="arc-SECRET-42")
    try:
        yield base_url, server.app.state.sandbox
    finally:
        server.stop()


def client_for(base_url, **kwargs) -> ArcadiaClient:
    return ArcadiaClient("cid", "arc-SECRET-42", base_url, transport_sleep=lambda s: None, **kwargs)


def test_token_is_cached_and_renewed_once_on_401(arcadia):
    base_url, state = arcadia
    with client_for(base_url) as client:
        assert client.ping()
        client.users()
        assert client.auth.renewals == 1  # one token for every call
        state.expire_tokens()
        assert client.users().records  # 401 -> renewed -> retried
        assert client.auth.renewals == 2
    token_calls = [c for c in state.calls_snapshot() if c["path"] == "/auth/access_token"]
    assert len(token_calls) == 2


def test_token_renewed_before_it_expires(arcadia):
    base_url, _ = arcadia
    now = [1_000_000.0]
    with client_for(base_url, clock=lambda: now[0]) as client:
        client.ping()
        now[0] += 7200 - 100  # inside the renewal margin
        client.ping()
        assert client.auth.renewals == 2


def test_bad_client_secret_fails_clearly_without_the_secret(arcadia):
    base_url, _ = arcadia
    with ArcadiaClient("cid", "wrong-secret-123", base_url) as client, pytest.raises(VendorAuthError) as info:
        client.ping()
    assert "ARCADIA_CLIENT_ID" in str(info.value) and "wrong-secret-123" not in str(info.value)


def test_every_call_carries_the_version_header(arcadia):
    base_url, _ = arcadia
    raw = httpx.get(f"{base_url}/ping")
    assert raw.status_code in (400, 401)
    with client_for(base_url) as client:
        assert client.ping()


def test_keyset_paging_crosses_pages_and_meets_records_updated_mid_sync(arcadia):
    base_url, state = arcadia
    with client_for(base_url, page_size=5) as client:
        pages = client.pages("/utility_accounts")
        first = next(pages)
        touched = first[0]["id"]
        state.touch("utility_accounts", touched)
        rest = [r for page in pages for r in page]
        total = client.http.get_json("/utility_accounts", params={"limit": 1})["total_count"]
    ids = [r["id"] for r in first + rest]
    assert ids.count(touched) == 2, "the record updated mid-sync is met again at the end"
    assert len(set(ids)) == total
    stamps = [r["updated_at"] for r in rest]
    assert stamps == sorted(stamps)


def test_not_found_is_clear(arcadia):
    base_url, _ = arcadia
    with client_for(base_url) as client, pytest.raises(VendorNotFoundError):
        client.account(987654321)


def test_intervals_are_split_into_requests_of_at_most_a_year(arcadia, tmp_path):
    base_url, state = arcadia
    lake = Lake(tmp_path / "lake")
    connection = VendorConnection("arcadia", client_for(base_url), is_sandbox=True, base_url=base_url)

    def ctx(policy):
        compiled = compile_policy(parse_policy(policy), VENDORS["arcadia"].customer_links(lake)) if policy else None
        return SyncContext("arcadia", connection, lake, new_load_id(), compiled, log)

    sync_users_and_credentials(ctx(None))
    sync_accounts_and_meters(ctx(None))
    state.reset_calls()
    result = sync_intervals(ctx({"default": {"history": "all", "continuous": True}}))
    calls = [c for c in state.calls_snapshot() if c["path"] == "/plug/utility_intervals"]
    assert result.entities["intervals"].rows > 0 and all(c["status"] == 200 for c in calls)
    from urllib.parse import parse_qs

    spans = []
    for call in calls:
        query = parse_qs(call["query"])
        start = datetime.fromisoformat(query["start_time"][0].replace("Z", "+00:00"))
        end = datetime.fromisoformat(query["end_time"][0].replace("Z", "+00:00"))
        spans.append(end - start)
    assert max(spans) <= timedelta(days=365) and len(calls) > len({c["query"].split("&")[0] for c in calls})
    # incremental: the second sync re-reads only the lookback
    second = sync_intervals(ctx({"default": {"history": "all", "continuous": True}}))
    assert second.entities["intervals"].rows < result.entities["intervals"].rows / 10
    # statements outside policy keep ids and dates only
    masked = sync_statements(ctx({"default": {"history": "none", "continuous": False}}))
    assert masked.counters["statements_masked"] == masked.counters["statements_seen"] > 0
    with duckdb.connect() as con:
        (leaks,) = con.execute(f"select count(*) from read_parquet('{lake.glob('arcadia', 'statements')}') "
                               "where is_masked and (utility_charge is not null or kwh is not null or has_pdf)").fetchone()
    assert leaks == 0
    connection.close()
