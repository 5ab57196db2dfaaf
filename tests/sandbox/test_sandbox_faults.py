"""Rate-based fault injection (connectors/core/sandbox_kit.py) over real HTTP, and the client's
answer to each kind (connectors/core/http.py)."""

from __future__ import annotations

import time
from datetime import date

import httpx
import pyarrow as pa
import pytest

from connectors.bayou.client import BayouClient
from connectors.bayou.sandbox import generate_dataset, start_bayou_sandbox
from connectors.core.errors import VendorUnavailableError
from connectors.core.http import RetryPolicy, Timeouts
from connectors.core.landing import drop_duplicate_keys
from connectors.core.sandbox_kit import FAULT_KINDS, FaultRate, cli_arguments, fault_rate_from_env, parse_fault_kinds
from connectors.core.sandbox_kit import SandboxSettings

AUTH = ("k", "")


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(seed=3, customers=3, months=3, as_of=date(2026, 6, 1))


@pytest.fixture()
def bayou(dataset):
    server, base_url = start_bayou_sandbox(api_key="k", dataset=dataset)
    try:
        yield base_url, server.app.state.sandbox
    finally:
        server.stop()


def test_settings_from_env_vendor_overrides_and_validation():
    assert not fault_rate_from_env({}, "bayou").enabled
    env = {"SANDBOX_FAULT_RATE": "0.2", "SANDBOX_FAULT_SEED": "9", "SANDBOX_FAULT_KINDS": "5xx,reset",
           "BAYOU_SANDBOX_FAULT_RATE": "0.5"}
    bayou = fault_rate_from_env(env, "bayou")
    assert (bayou.rate, bayou.seed, bayou.kinds) == (0.5, 9, ("500", "502", "503", "reset"))
    assert fault_rate_from_env(env, "arcadia").rate == 0.2
    assert parse_fault_kinds("") == FAULT_KINDS
    with pytest.raises(ValueError, match="between 0 and 1"):
        FaultRate(rate=1.5)
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultRate(rate=0.1, kinds=("teapot",))
    with pytest.raises(ValueError, match="SANDBOX_FAULT_RATE"):
        fault_rate_from_env({"SANDBOX_FAULT_RATE": "lots"})


def test_command_line_flags_default_from_env(monkeypatch):
    monkeypatch.setenv("WATTZON_SANDBOX_FAULT_RATE", "0.3")
    settings = SandboxSettings(profiles=1, months=1, seed=1, as_of=None)
    args = cli_arguments("wattzon", "doc", 0, "profiles", settings).parse_args(["--fault-seed", "4"])
    assert (args.fault_rate, args.fault_seed) == (0.3, 4)
    args = cli_arguments("wattzon", "doc", 0, "profiles", settings).parse_args(["--fault-rate", "0"])
    assert args.fault_rate == 0


def test_decisions_are_deterministic_per_request_and_off_by_default(bayou):
    _, state = bayou
    assert state.take_rate_fault("GET", "/api/v2/customers", "") == (None, ())
    state.configure_faults(0.5, seed=1)
    first = [state.take_rate_fault("GET", f"/api/v2/customers/{i}", "")[0] for i in range(40)]
    state.configure_faults(0.5, seed=1)  # counters restart
    again = [state.take_rate_fault("GET", f"/api/v2/customers/{i}", "")[0] for i in range(40)]
    assert first == again and 5 < sum(k is not None for k in first) < 35
    state.configure_faults(1.0, seed=1)
    assert all(state.take_rate_fault("POST", "/api/v2/bills/1/unlock", "")[0] not in ("slow", "truncate")
               for _ in range(50))  # a change is never answered late or cut: a retry could apply it twice


@pytest.mark.parametrize("kind, error", [("reset", httpx.RemoteProtocolError), ("truncate", httpx.TransportError),
                                         ("slow", httpx.ReadTimeout)])
def test_network_faults_surface_as_transport_errors(bayou, kind, error):
    base_url, state = bayou
    state.configure_faults(1.0, kinds=(kind,), slow_s=0.5)
    with pytest.raises(error):
        httpx.get(f"{base_url}/utilities", auth=AUTH, timeout=httpx.Timeout(5, read=0.2))
    assert httpx.get(base_url.replace("/api/v2", "/_sandbox/calls"), timeout=5).status_code == 200  # hooks never faulted
    deadline = time.monotonic() + 5  # a slow call is recorded once its answer is sent
    while not state.calls_snapshot() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c["fault"] for c in state.calls_snapshot()] == [kind]


def test_truncated_body_keeps_the_full_content_length(bayou):
    base_url, state = bayou
    full = httpx.get(f"{base_url}/utilities", auth=AUTH).content
    state.configure_faults(1.0, kinds=("truncate",))
    with httpx.Client(auth=AUTH) as client, client.stream("GET", f"{base_url}/utilities") as response:
        assert int(response.headers["content-length"]) == len(full)
        received = b""
        with pytest.raises(httpx.TransportError):
            for chunk in response.iter_raw():
                received += chunk
    assert 0 < len(received) < len(full) and full.startswith(received)


def test_429_carries_retry_after_and_listing_faults_repeat_and_shuffle(bayou):
    base_url, state = bayou
    state.configure_faults(1.0, kinds=("429",), retry_after_s=0.5)
    response = httpx.get(f"{base_url}/customers", auth=AUTH)
    assert response.status_code == 429 and response.headers["retry-after"] == "0.5"
    state.configure_faults(0)
    utilities = httpx.get(f"{base_url}/utilities", auth=AUTH).json()
    state.configure_faults(1.0, kinds=("duplicate",))
    repeated = httpx.get(f"{base_url}/utilities", auth=AUTH).json()
    assert len(repeated) > len(utilities) and {u["id"] for u in repeated} == {u["id"] for u in utilities}
    state.configure_faults(1.0, kinds=("reorder",), seed=2)
    shuffled = httpx.get(f"{base_url}/utilities", auth=AUTH).json()
    assert sorted(map(str, shuffled)) == sorted(map(str, utilities))
    assert [c["fault"] for c in state.calls_snapshot()][-2:] == ["duplicate", "reorder"]


def test_fault_rate_hook(bayou):
    base_url, state = bayou
    hook = base_url.replace("/api/v2", "/_sandbox/fault-rate")
    assert httpx.post(hook, json={"rate": 0.25, "seed": 3, "kinds": "503,reset"}).json()["kinds"] == ["503", "reset"]
    assert state.fault_rate.rate == 0.25
    assert httpx.post(hook, json={"rate": 2}).status_code == 400
    httpx.delete(hook)
    assert not state.fault_rate.enabled


def test_client_retries_every_network_fault_and_counts_it(bayou):
    base_url, state = bayou
    state.configure_faults(0.6, seed=5, kinds=("reset", "truncate", "slow", "503"), slow_s=0.6)
    retry = RetryPolicy(max_attempts=20, initial_backoff_s=0.01, max_backoff_s=0.02, jitter_s=0)
    with BayouClient("k", base_url, retry=retry, timeouts=Timeouts(read_s=0.3)) as client:
        for _ in range(5):
            assert client.list_utilities_raw()
        assert client.http.stats.retries > 0
        counted = client.http.stats.as_metadata()["by_status"]
    assert set(counted) - {"200"} <= {"503", "RemoteProtocolError", "ReadError", "ReadTimeout"}


def test_exhausted_retries_name_vendor_endpoint_and_last_status(bayou):
    base_url, state = bayou
    state.configure_faults(1.0, kinds=("502",))
    retry = RetryPolicy(max_attempts=2, initial_backoff_s=0.01, max_backoff_s=0.01, jitter_s=0)
    with BayouClient("k", base_url, retry=retry) as client, pytest.raises(VendorUnavailableError) as failure:
        client.list_bills_raw("1001", start=date(2026, 1, 1))
    assert str(failure.value).startswith("bayou: GET /customers/1001/bills failed with HTTP 502 [bad_gateway] after 2")
    assert "start=" not in str(failure.value)


def test_drop_duplicate_keys_keeps_the_last_copy():
    table = pa.table({"id": ["a", "b", "a", "c", "b"], "v": [1, 2, 3, 4, 5]})
    deduped, dropped = drop_duplicate_keys(table, ("id",))
    assert dropped == 2 and deduped.to_pylist() == [{"id": "a", "v": 3}, {"id": "c", "v": 4}, {"id": "b", "v": 5}]
    assert drop_duplicate_keys(table, ())[1] == 0

