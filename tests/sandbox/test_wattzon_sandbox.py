"""The WattzOn Link sandbox itself, over real HTTPS with a client certificate (httpx + SandboxServer)."""

from __future__ import annotations

import base64
import csv
import io
import socket
import ssl
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from connectors.core.sandbox_server import SandboxServer
from connectors.core.tls import SandboxPKI, make_throwaway_pki, make_untrusted_client
from connectors.wattzon.sandbox import (
    create_app,
    generate_dataset,
    sandbox_settings_from_env,
    start_wattzon_sandbox,
)

AS_OF = date(2025, 6, 15)
SCALE = {"seed": 7, "profiles": 6, "months": 24, "as_of": AS_OF}
PREFIX = "/link/4.0"
MOCK_EG, PGE, CONED, MOCK_E, WATER, SCL = 101, 102, 103, 104, 105, 106
LA = ZoneInfo("America/Los_Angeles")
SEED_JOB_STATES = {
    "success", "partial_success", "credential_error", "action_needed", "unexpected_presentation",
    "incomplete_parameters", "timeout_site", "site_error", "terminated", "agent_failure", "timeout_agent",
    "queued", "init", "start", "login", "account_navigation", "bill_extract", "bill_processing",
    "interval_extract", "interval_processing", "logout", "worker_wait",
}
COMMON_KEYS = {"name", "service_address", "account_number", "bill_date", "type", "pdf", "bill_id", "cached",
               "cached_job_id", "currency"}
BILLING_KEYS = {"previous_balance", "payment_received", "past_due_balance", "due_date", "current_charges",
                "total_amount_due", "payment_date"}
PERIOD_KEYS = {"meter_id", "month_id", "first_interval", "last_interval", "complete", "extraction_time",
               "source_file_size", "job_id_extracted"}


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> SandboxPKI:
    return make_throwaway_pki(tmp_path_factory.mktemp("wattzon-pki"))


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(**SCALE)


def _serve(app, pki: SandboxPKI) -> SandboxServer:
    return SandboxServer(
        app, name="wattzon-test", ssl_certfile=pki.server_cert_file, ssl_keyfile=pki.server_key_file,
        ssl_ca_certs=pki.ca_file, ssl_cert_reqs=ssl.CERT_REQUIRED,
    )


@pytest.fixture(scope="module")
def server(dataset, pki):
    """Shared server for read-only tests: tests that change state start their own."""
    with _serve(create_app(dataset), pki) as running:
        yield running


@pytest.fixture(scope="module")
def api(server, pki):
    with httpx.Client(base_url=server.url + PREFIX, verify=pki.client_ssl_context(), timeout=30) as client:
        yield client


@pytest.fixture
def fresh(dataset, pki):
    """A server of its own (profiles, jobs, keys, faults stay in it), its state and a client."""
    app = create_app(dataset)
    with _serve(app, pki) as running, httpx.Client(
        base_url=running.url + PREFIX, verify=pki.client_ssl_context(), timeout=30
    ) as client:
        yield app.state.sandbox, running, client


def _encrypt(public_key_pem: str, plaintext: str) -> str:
    key = serialization.load_pem_public_key(public_key_pem.encode())
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    return base64.b64encode(key.encrypt(plaintext.encode(), oaep)).decode()


def _set_field(client: httpx.Client, profile_id: int, field: str, plaintext: str, method: str = "POST"):
    key = client.get("/profiles/keys/").json()
    return client.request(method, f"/profiles/{profile_id}/sensitive/",
                          json={"field": field, "value": _encrypt(key["public_key"], plaintext)})


def _new_profile(client: httpx.Client, provider_id: int = 3149, username: str | None = "jane", password: str = "pw"):
    response = client.post("/profiles/", json={"provider_id": provider_id, "zipcode": "00007", "label": "t"})
    assert response.status_code == 201, response.text
    profile_id = response.json()["id"]
    if username is not None:
        assert _set_field(client, profile_id, "username", username).status_code == 201
        assert _set_field(client, profile_id, "password", password).status_code == 201
    return profile_id


def _run_job(client: httpx.Client, profile_id: int, mode: str = "bill", **extra) -> tuple[str, list[dict]]:
    response = client.post("/jobs/", json={"profile_id": profile_id, "mode": mode, **extra})
    assert response.status_code == 200, response.text
    job_id = response.json()["job_id"]
    polls = []
    for _ in range(30):
        status = client.get(f"/jobs/{job_id}/").json()
        polls.append(status)
        if status["finished"]:
            break
    return job_id, polls


def _notifications(server: SandboxServer, pki: SandboxPKI) -> list[dict]:
    response = httpx.get(server.url + "/_sandbox/notifications?max=100", verify=pki.client_ssl_context())
    assert response.status_code == 200
    return response.json()["messages"]


def _money(value) -> Decimal:
    return Decimal(str(value))


# -- TLS --------------------------------------------------------------------------------------


def _raw_request(port: int, context: ssl.SSLContext) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET /link/4.0/echo/?string=x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return tls.recv(200)


def _tls12(context: ssl.SSLContext) -> ssl.SSLContext:
    # With TLS 1.2 the server's verdict on the client certificate is part of the handshake itself.
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def test_right_client_certificate_works(server, pki):
    assert server.url.startswith("https://127.0.0.1:")
    response = httpx.get(server.url + PREFIX + "/echo/?string=hello", verify=pki.client_ssl_context())
    assert response.status_code == 200
    assert response.json() == {"string": "hello"}
    assert _raw_request(server.port, _tls12(pki.client_ssl_context())).startswith(b"HTTP/1.1 200")


def test_missing_or_untrusted_client_certificate_fails_at_the_tls_layer(dataset, pki, tmp_path):
    untrusted = make_untrusted_client(tmp_path)
    app = create_app(dataset)
    with _serve(app, pki) as running:
        for context in (pki.trust_only_context(), untrusted.ssl_context(pki.ca_file)):
            with pytest.raises(httpx.TransportError):
                httpx.get(running.url + PREFIX + "/echo/?string=x", verify=context)
            with pytest.raises(ssl.SSLError):
                _raw_request(running.port, _tls12(context))
        assert app.state.sandbox.calls_snapshot() == []  # nothing reached HTTP


def test_certificate_info_reads_the_client_certificate(api):
    info = api.get("/certificates/info").json()
    assert info["client_name"] == "utility-data-client"
    assert info["enabled"] is True
    created = datetime.fromisoformat(info["created_date"])
    expires = datetime.fromisoformat(info["expiration_date"])
    assert timedelta(days=364) < expires - created < timedelta(days=366)


def test_start_wattzon_sandbox_with_and_without_tls(tmp_path):
    server, base_url, pki = start_wattzon_sandbox(directory=tmp_path, profiles=2, months=3, as_of=AS_OF)
    with server:
        assert base_url == f"https://127.0.0.1:{server.port}/link/4.0"
        assert {p.name for p in tmp_path.iterdir()} >= {"ca.pem", "server.pem", "server.key", "client.pem",
                                                        "client.key"}
        assert httpx.get(base_url + "/profiles/", verify=pki.client_ssl_context()).json() == {"profiles": [101, 102]}
    server, base_url, none = start_wattzon_sandbox(tls=False, profiles=1, months=2, as_of=AS_OF)
    with server:
        assert none is None and base_url.startswith("http://127.0.0.1:")
        assert httpx.get(base_url + "/echo?string=plain").json() == {"string": "plain"}
        info = httpx.get(base_url + "/certificates/info").json()
        assert info["client_name"] == "utility-data-client"


def test_settings_from_env():
    settings = sandbox_settings_from_env({"WATTZON_SANDBOX_SEED": "9", "WATTZON_SANDBOX_PROFILES": "3",
                                          "WATTZON_SANDBOX_MONTHS": "5", "WATTZON_SANDBOX_AS_OF": "2024-02-29"})
    assert settings.generator_kwargs() == {"seed": 9, "profiles": 3, "months": 5, "as_of": date(2024, 2, 29)}
    assert sandbox_settings_from_env({}).generator_kwargs() == {"seed": 7, "profiles": 6, "months": 24, "as_of": None}
    with pytest.raises(ValueError):
        sandbox_settings_from_env({"WATTZON_SANDBOX_PROFILES": "many"})


# -- determinism ------------------------------------------------------------------------------


def test_same_seed_scale_and_as_of_give_byte_identical_responses(server, pki):
    other = generate_dataset(**SCALE)
    paths = [
        "/profiles/", "/profiles/103", "/data/bills/101/", "/data/bills/103", "/data/intervals/102/",
        "/data/intervals/101/__mock_meter__101/monthly/2025-03?format=json",
        "/data/intervals/101/__mock_meter__101/monthly/2025-06?format=source",
        "/jobs/profiles/101", "/utilities?zipcode=00007",
    ]
    context = pki.client_ssl_context()
    with _serve(create_app(other), pki) as second:
        for path in paths:
            a = httpx.get(server.url + PREFIX + path, verify=context)
            b = httpx.get(second.url + PREFIX + path, verify=context)
            assert a.status_code == b.status_code == 200, path
            assert a.content == b.content, path


def test_other_seed_gives_other_data(dataset):
    other = generate_dataset(**{**SCALE, "seed": 8})
    assert [p.name for p in other.profiles] != [p.name for p in dataset.profiles]


def test_large_scale_is_generated_quickly_and_lazily():
    big = generate_dataset(seed=3, profiles=200, months=24, as_of=AS_OF)
    assert len(big.profiles) == 200
    # Intervals are computed on demand: a period knows its size without rendering readings.
    months = big.interval_months(big.profiles[0])
    assert len(months) == 25 and months[-1].complete is False


# -- basic services, ZIPs, utilities ------------------------------------------------------------


def test_echo_get_and_post_with_and_without_trailing_slash(api):
    assert api.get("/echo?string=value").json() == {"string": "value"}
    assert api.get("/echo/?string=value").json() == {"string": "value"}
    assert api.post("/echo/", json={"string": "30"}).json() == {"string": "30"}
    # curl -d sends JSON with a form content type
    response = api.post("/echo", content=b'{"string": "30"}',
                        headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.json() == {"string": "30"}


def test_zips(api):
    info = api.get("/zips/00007").json()
    assert info["zipcode"] == "00007" and set(info) == {"zipcode", "city", "county", "state", "latitude", "longitude"}
    assert api.get("/zips/99999/").status_code == 404
    assert api.get("/zips/99999/").json() == {"error": "ZIP not found"}
    assert api.get("/zips/abc").status_code == 400


def test_find_and_read_utilities(api):
    assert api.get("/utilities/?zipcode=00007").json() == {"provider_ids": [3149, 3150]}
    assert api.get("/utilities/?zipcode=00007&type=gas").json() == {"provider_ids": [3149]}
    assert 3150 in api.get("/utilities", params={"name": "mock utility"}).json()["provider_ids"]
    assert api.get("/utilities", params={"zipcode": "98101", "type": "water"}).json() == {"provider_ids": [2210]}
    missing = api.get("/utilities/")
    assert missing.status_code == 400 and missing.json() == {"error": "Name or Zipcode not found in URI"}
    assert api.get("/utilities?zipcode=12345").status_code == 404
    provider = api.get("/utilities/3149/").json()
    assert provider == {"name": "Mock Utility Provider (electric+gas)", "type": "electricity,gas", "lseid": None,
                        "homepage_url": provider["homepage_url"]}
    assert api.get("/utilities/3150").json()["type"] == "electricity"
    assert api.get("/utilities/77").status_code == 404
    assert api.get("/utilities/abc").json() == {"error": "Error loading the Provider ID"}


def test_unknown_route_and_wrong_method(api):
    response = api.get("/nothing/here")
    assert response.status_code == 404 and response.json() == {"error": "Not found"}
    response = api.delete("/echo/")
    assert response.status_code == 405 and "GET" in response.headers["allow"]


# -- profiles ---------------------------------------------------------------------------------


def test_profile_list_filters(api, dataset):
    assert api.get("/profiles/").json() == {"profiles": [101, 102, 103, 104, 105, 106]}
    assert api.get("/profiles/?id=103").json() == {"profiles": [103]}
    assert api.get("/profiles/?id=103,105&id=101").json() == {"profiles": [101, 103, 105]}
    assert api.get("/profiles/?provider=3149").json() == {"profiles": [101]}
    assert api.get("/profiles/?tags=solar").json() == {"profiles": [102]}
    label = dataset.profile(104).label
    assert api.get("/profiles/", params={"label": label}).json() == {"profiles": [104]}
    recent = (AS_OF - timedelta(days=60)).isoformat()
    listed = api.get("/profiles/", params={"start_date": recent}).json()["profiles"]
    assert listed == [p.id for p in dataset.profiles if p.created.date() >= AS_OF - timedelta(days=60)]
    assert 0 < len(listed) < 6
    old = api.get("/profiles/", params={"end_date": recent}).json()["profiles"]
    assert sorted(old + listed) == [101, 102, 103, 104, 105, 106]
    assert api.get("/profiles/?start_date=garbage").json() == {"profiles": []}


def test_profile_read(api):
    profile = api.get("/profiles/101/").json()
    assert set(profile) >= {"utility_provider", "utility_provider_id", "label", "tags", "zipcode", "created",
                            "modified"}
    assert profile["utility_provider_id"] == 3149 and profile["zipcode"] == "00007"
    assert profile["created"] <= profile["modified"]
    created = [datetime.fromisoformat(api.get(f"/profiles/{i}").json()["created"]) for i in range(101, 107)]
    ages = [(datetime.combine(AS_OF, datetime.min.time()) - c).days for c in created]
    assert max(ages) > 700 and min(ages) < 10  # some long ago, some recent
    assert api.get("/profiles/999").json() == {"error": "Profile not found"}
    assert api.get("/profiles/abc").status_code == 400


def test_profile_create_change_delete(fresh):
    state, _, client = fresh
    created = client.post("/profiles/", json={"provider_id": 3150, "zipcode": "00007", "label": "your label"})
    assert created.status_code == 201
    body = created.json()
    assert body["id"] == body["profile_id"] >= 501
    assert {k: body[k] for k in ("label", "utility_provider", "utility_provider_id", "zipcode")} == {
        "label": "your label", "utility_provider": "Mock Utility (electric only)", "utility_provider_id": 3150,
        "zipcode": "00007"}
    profile_id = body["id"]
    changed = client.put(f"/profiles/{profile_id}/", json={"provider_id": 3149, "label": "changed"})
    assert changed.status_code == 200
    assert changed.json()["utility_provider_id"] == 3149 and changed.json()["label"] == "changed"
    assert client.get(f"/profiles/{profile_id}").json()["label"] == "changed"
    assert client.put(f"/profiles/{profile_id}", json={"provider_id": 1}).json() == {
        "error": "Utility provider not found"}
    assert client.put(f"/profiles/{profile_id}", json={"zipcode": "55555"}).json() == {"error": "ZIP not found"}
    assert client.post("/profiles/", json={"provider_id": 1}).status_code == 404
    assert client.post("/profiles/", json={"provider_id": 3150, "zipcode": "55555"}).status_code == 404
    assert client.post("/profiles/", content=b"{not json").json() == {"error": "Error loading the JSON"}
    assert client.delete(f"/profiles/{profile_id}/").status_code == 200
    assert client.get(f"/profiles/{profile_id}").status_code == 404
    assert profile_id not in client.get("/profiles/").json()["profiles"]


def test_tags(fresh):
    _, _, client = fresh
    assert client.get("/profiles/101/tags").json() == {"tags": []}
    assert client.post("/profiles/101/tags/", json={"name": "brand new tag"}).status_code == 201
    assert client.post("/profiles/101/tags/", json={"name": "solar"}).status_code == 200  # exists on 102
    assert client.get("/profiles/101/tags").json() == {"tags": ["brand new tag", "solar"]}
    assert client.post("/profiles/103/tags/", json={"name": "brand new tag"}).status_code == 200
    assert client.request("DELETE", "/profiles/101/tags/", json={"name": "solar"}).status_code == 200
    missing = client.request("DELETE", "/profiles/101/tags", json={"name": "solar"})
    assert missing.status_code == 404 and missing.json() == {"error": "Tag not found"}
    assert client.post("/profiles/101/tags", json={}).status_code == 400
    assert client.get("/profiles/101/tags").json() == {"tags": ["brand new tag"]}
    assert client.get("/profiles/?tags=brand new tag").json() == {"profiles": [101, 103]}


# -- sensitive fields -------------------------------------------------------------------------


def test_transmission_key_and_encryption_round_trip(fresh):
    state, _, client = fresh
    key = client.get("/profiles/keys/").json()
    assert key["public_key"].startswith("-----BEGIN PUBLIC KEY-----")
    public = serialization.load_pem_public_key(key["public_key"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    assert 500 < key["expires"] - datetime.now(UTC).timestamp() <= 600
    profile_id = _new_profile(client, username=None)
    assert client.get(f"/profiles/{profile_id}/sensitive").json() == {"fields": []}
    response = _set_field(client, profile_id, "username", "jane.doe@example.com")
    assert response.status_code == 201 and response.json() == {"message": "Success"}
    assert _set_field(client, profile_id, "password", "s3cr3t ünïcode").status_code == 201
    assert state.sensitive_values(profile_id) == {"username": "jane.doe@example.com", "password": "s3cr3t ünïcode"}
    assert client.get(f"/profiles/{profile_id}/sensitive/").json() == {"fields": ["password", "username"]}
    duplicate = _set_field(client, profile_id, "username", "someone else")
    assert duplicate.status_code == 409 and duplicate.json() == {"error": "Field already exists"}
    assert _set_field(client, profile_id, "username", "john", method="PUT").status_code == 200
    assert state.sensitive_values(profile_id)["username"] == "john"
    assert _set_field(client, profile_id, "pin", "1234", method="PUT").json() == {"error": "Sensitive field not found"}
    assert client.delete(f"/profiles/{profile_id}/sensitive/password/").json() == {"message": "Deleted"}
    assert client.delete(f"/profiles/{profile_id}/sensitive/password").status_code == 404
    assert state.sensitive_values(profile_id) == {"username": "john"}
    # Values are never recorded with the calls.
    assert all("value" not in str(call) for call in state.calls_snapshot())


def test_decryption_failures_and_expired_keys(fresh, pki):
    state, server, client = fresh
    profile_id = _new_profile(client, username=None)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    wrong = client.post(f"/profiles/{profile_id}/sensitive", json={"field": "username", "value": _encrypt(other, "x")})
    assert wrong.status_code == 403 and wrong.json() == {"error": "Decryption failed"}
    garbage = client.post(f"/profiles/{profile_id}/sensitive", json={"field": "username", "value": "!!not base64"})
    assert garbage.status_code == 403
    # SHA-256 OAEP is not what the service decrypts.
    public = serialization.load_pem_public_key(client.get("/profiles/keys").json()["public_key"].encode())
    sha256 = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    value = base64.b64encode(public.encrypt(b"x", sha256)).decode()
    assert client.post(f"/profiles/{profile_id}/sensitive", json={"field": "username", "value": value}).status_code == 403

    stale = client.get("/profiles/keys").json()["public_key"]
    state.expire_keys()
    expired = client.post(f"/profiles/{profile_id}/sensitive",
                          json={"field": "username", "value": _encrypt(stale, "jane")})
    assert expired.status_code == 403 and expired.json() == {"error": "Key expired"}
    fresh_key = client.get("/profiles/keys").json()["public_key"]
    assert fresh_key != stale
    assert client.post(f"/profiles/{profile_id}/sensitive",
                       json={"field": "username", "value": _encrypt(fresh_key, "jane")}).status_code == 201
    # The HTTP hook does the same.
    hook = httpx.post(server.url + "/_sandbox/expire-keys", verify=pki.client_ssl_context())
    assert hook.status_code == 200
    assert client.post(f"/profiles/{profile_id}/sensitive",
                       json={"field": "password", "value": _encrypt(fresh_key, "pw")}).json() == {"error": "Key expired"}
    assert state.sensitive_values(profile_id) == {"username": "jane"}
    assert state.private_key is not None


# -- jobs -------------------------------------------------------------------------------------


def test_job_moves_through_states_to_success_and_notifies(fresh, pki):
    state, server, client = fresh
    job_id, polls = _run_job(client, MOCK_EG, "bill")
    codes = [p["job_status"] for p in polls]
    assert codes[0] == "AgentState.queued"
    assert codes[-1] == "AgentState.success"
    assert [c.removeprefix("AgentState.") for c in codes] == [
        "queued", "init", "start", "login", "account_navigation", "bill_extract", "bill_processing", "logout",
        "worker_wait", "success"]
    assert [p["finished"] for p in polls] == [False] * (len(polls) - 1) + [True]
    assert all(set(p) == {"job_id", "job_status", "finished", "detail"} for p in polls)
    again = client.get(f"/jobs/{job_id}").json()
    assert again["finished"] is True and again["job_status"] == "AgentState.success"
    assert client.get(f"/jobs/profiles/{MOCK_EG}/").json()["job_id"] == job_id
    messages = _notifications(server, pki)
    assert len(messages) == 1
    message = messages[0]
    assert set(message) == {"app", "profile_id", "job_id", "tags", "created_at", "final_state", "mode",
                            "existing_records", "new_records"}
    assert message["app"] == "link" and message["profile_id"] == MOCK_EG and message["job_id"] == job_id
    assert message["final_state"] == "success" and message["mode"] == "bill"
    assert message["new_records"] > 0 and message["existing_records"] > 0
    datetime.fromisoformat(message["created_at"])
    assert _notifications(server, pki) == []  # received messages are deleted


def test_credential_error_partial_success_and_unknown_status(fresh, pki):
    state, server, client = fresh
    bad = _new_profile(client, username="credential_error")
    _, polls = _run_job(client, bad)
    assert polls[-1]["job_status"] == "AgentState.credential_error" and polls[-1]["finished"] is True
    assert "login" in polls[-2]["job_status"]

    partial = _new_profile(client, username="partial")
    job_id, polls = _run_job(client, partial)
    assert polls[-1]["job_status"] == "AgentState.partial_success"
    bills = client.get(f"/data/bills/{partial}").json()
    everything = state.profiles[partial].data.statements
    assert 0 < len({b["bill_date"] for b in bills}) == len(everything) - 1  # the newest bill is missing

    needs_action = _new_profile(client, username="action_needed")
    assert _run_job(client, needs_action)[1][-1]["job_status"] == "AgentState.action_needed"

    no_credentials = _new_profile(client, username=None)
    _, polls = _run_job(client, no_credentials)
    assert polls[-1]["job_status"] == "AgentState.incomplete_parameters"
    assert client.get(f"/data/bills/{no_credentials}").json() == {"error": "Bills not found"}

    _, polls = _run_job(client, MOCK_E)
    codes = [p["job_status"].removeprefix("AgentState.") for p in polls]
    unknown = [c for c in codes if c not in SEED_JOB_STATES]
    assert unknown == ["captcha_wait"]
    assert codes[-1] == "success" and polls[-1]["finished"]
    finals = {m["profile_id"]: m["final_state"] for m in _notifications(server, pki)}
    assert finals == {bad: "credential_error", partial: "partial_success", needs_action: "action_needed",
                      no_credentials: "incomplete_parameters", MOCK_E: "success"}


def test_job_errors(fresh, pki):
    state, server, client = fresh
    bad_flag = client.post("/jobs/", json={"profile_id": MOCK_EG, "send_notification": "yes"})
    assert bad_flag.status_code == 400 and bad_flag.json() == {"error": "Error loading the JSON"}
    assert client.post("/jobs/", json={"profile_id": MOCK_EG, "mode": "everything"}).status_code == 400
    assert client.post("/jobs/", json={"profile_id": 999}).json() == {"error": "Profile not found"}
    no_agent = client.post("/profiles/", json={"provider_id": 5012, "zipcode": "78701"}).json()["id"]
    response = client.post("/jobs/", json={"profile_id": no_agent})
    assert response.status_code == 404 and response.json() == {"error": "No agent for provider"}
    assert client.get("/jobs/not-a-uuid").status_code == 400
    missing = client.get("/jobs/3b7471eb-7e35-4a45-b081-e9cfa9d71e75/")
    assert missing.status_code == 404 and missing.json() == {"error": "Job not found"}
    assert client.get(f"/jobs/profiles/{no_agent}").status_code == 404
    # send_notification false: the job finishes silently.
    _run_job(client, MOCK_E, send_notification=False)
    assert _notifications(server, pki) == []


def test_finish_jobs_hook(fresh, pki):
    state, server, client = fresh
    job_id = client.post("/jobs/", json={"profile_id": WATER}).json()["job_id"]
    finished = httpx.post(server.url + "/_sandbox/jobs/finish", verify=pki.client_ssl_context()).json()["finished"]
    assert finished == [job_id]
    assert client.get(f"/jobs/{job_id}").json()["finished"] is True
    assert [m["job_id"] for m in state.receive_notifications()] == [job_id]


# -- bills ------------------------------------------------------------------------------------


def _all_bills(api) -> dict[int, list[dict]]:
    return {pid: api.get(f"/data/bills/{pid}/").json() for pid in range(101, 107)}


def test_bills_have_every_type_and_the_seed_fields(api):
    bills = _all_bills(api)
    records = [r for rs in bills.values() for r in rs]
    assert {r["type"] for r in records} == {"electricity", "gas", "water", "billing"}
    for record in records:
        assert COMMON_KEYS <= set(record), record
        assert record["currency"] == "USD"
        assert len(record["bill_id"]) == 24 and int(record["bill_id"], 16) >= 0
        if record["type"] == "billing":
            assert BILLING_KEYS <= set(record)
            continue
        assert {"service_id", "meter_number", "cost", "usage", "units"} <= set(record)
        assert ("start_date" in record and "end_date" in record) != ("date" in record)
    units = {r["type"]: r["units"] for r in records if r["type"] != "billing"}
    assert units == {"electricity": "KWh", "gas": "therms", "water": "ccf"}
    assert any("exported_energy" in r for r in bills[PGE])
    assert any(r["pdf"] == "" for r in records) and any(r["pdf"].startswith("/link/4.0/data/bills/") for r in records)
    sample = next(r for r in bills[MOCK_EG] if "start_date" in r)
    assert sample["start_date"].endswith("T00:00:00") and sample["end_date"].endswith("T23:59:59")


def test_older_agent_gives_date_only_records(api):
    records = [r for r in api.get(f"/data/bills/{CONED}").json() if r["type"] != "billing"]
    date_only = [r for r in records if "date" in r]
    full = [r for r in records if "start_date" in r]
    assert date_only and full
    assert max(r["bill_date"] for r in date_only) < min(r["bill_date"] for r in full)
    assert all(r["pdf"] == "" for r in date_only)


def test_billing_records_add_up_and_group_by_account_and_bill_date(api):
    for profile_id, records in _all_bills(api).items():
        groups: dict[tuple, list[dict]] = {}
        for record in records:
            groups.setdefault((record["account_number"], record["bill_date"]), []).append(record)
        previous_total = None
        for key in sorted(groups, key=lambda k: k[1]):
            group = groups[key]
            billing = [r for r in group if r["type"] == "billing"]
            assert len(billing) == 1, (profile_id, key)
            billing = billing[0]
            commodities = [r for r in group if r["type"] != "billing"]
            assert commodities
            assert _money(billing["current_charges"]) == sum(_money(r["cost"]) for r in commodities)
            assert _money(billing["total_amount_due"]) == (
                _money(billing["previous_balance"]) - _money(billing["payment_received"])
                + _money(billing["current_charges"]))
            if previous_total is not None:
                assert _money(billing["previous_balance"]) == previous_total
            previous_total = _money(billing["total_amount_due"])


def test_cached_records_and_job_views(fresh):
    state, _, client = fresh
    before = client.get(f"/data/bills/{MOCK_EG}").json()
    assert any(r["cached"] for r in before) and any(not r["cached"] for r in before)
    latest_job = next(r["cached_job_id"] for r in before if not r["cached"])
    assert all(r["cached_job_id"] != latest_job for r in before if r["cached"])
    # A job's view: what it extracted (not cached) plus what earlier jobs had (cached).
    first_job = before[0]["cached_job_id"]
    view = client.get(f"/data/bills/{MOCK_EG}", params={"job_id": first_job}).json()
    assert view and all(not r["cached"] and r["cached_job_id"] == first_job for r in view)
    assert len(view) < len(before)

    job_id, _ = _run_job(client, MOCK_EG)
    after = client.get(f"/data/bills/{MOCK_EG}/").json()
    new = [r for r in after if not r["cached"]]
    assert new and all(r["cached_job_id"] == job_id for r in new)
    assert len(after) == len(before) + len(new)
    assert {r["bill_id"] for r in before} < {r["bill_id"] for r in after}
    assert client.get(f"/data/bills/{MOCK_EG}", params={"job_id": job_id}).json() == after
    assert client.get(f"/data/bills/{MOCK_EG}", params={"job_id": latest_job}).status_code == 200
    assert client.get(f"/data/bills/{PGE}", params={"job_id": job_id}).json() == {"error": "Job not found"}
    assert client.get("/data/bills/999").json() == {"error": "Profile not found"}
    assert client.get("/data/bills/abc").json() == {"error": "Error loading the Profile ID"}


def test_bill_pdf(api):
    records = api.get(f"/data/bills/{MOCK_EG}").json()
    with_pdf = next(r for r in records if r["pdf"])
    response = api.get(with_pdf["pdf"].removeprefix(PREFIX))
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")
    without = next(r for r in records if not r["pdf"])
    assert api.get(f"/data/bills/{MOCK_EG}/{without['bill_id']}/pdf").json() == {"error": "PDF not found"}
    assert api.get(f"/data/bills/{MOCK_EG}/{'0' * 24}/pdf").json() == {"error": "Bill not found"}
    assert api.get(f"/data/bills/{MOCK_EG}/xyz/pdf").json() == {"error": "Error loading the Bill ID"}


# -- intervals --------------------------------------------------------------------------------


def test_interval_periods_follow_local_months(api):
    periods = api.get(f"/data/intervals/{MOCK_EG}/").json()["intervals"]
    assert periods and all(set(p) == PERIOD_KEYS for p in periods)
    assert {p["meter_id"] for p in periods} == {"__mock_meter__101"}
    for period in periods:
        first = datetime.fromtimestamp(period["first_interval"], LA)
        assert (first.day, first.hour, first.minute) == (1, 0, 0)
        assert period["first_interval"] % 86400 != 0  # not a UTC boundary
        assert f"{first:%Y-%m}" == period["month_id"]
        assert period["complete"] is (period["month_id"] != "2025-06")
        if period["complete"]:
            after_last = datetime.fromtimestamp(period["last_interval"] + 900, LA)
            assert (after_last.day, after_last.hour, after_last.minute) == (1, 0, 0)
    current = periods[-1]
    assert current["month_id"] == "2025-06" and current["last_interval"] < datetime(2025, 6, 15, 12, tzinfo=UTC).timestamp()
    two_meters = api.get(f"/data/intervals/{PGE}").json()["intervals"]
    assert len({p["meter_id"] for p in two_meters}) == 2
    assert api.get(f"/data/intervals/{SCL}").json() == {"error": "No intervals found"}
    assert api.get(f"/data/intervals/{WATER}").status_code == 404
    assert api.get("/data/intervals/999").json() == {"error": "Profile not found"}


def _readings(api, profile_id, meter, ym) -> list[dict]:
    response = api.get(f"/data/intervals/{profile_id}/{meter}/monthly/{ym}/", params={"format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["readings"]


@pytest.mark.parametrize(("ym", "expected", "odd_days"), [
    ("2025-03", 31 * 96 - 4, {"2025-03-09": 92}),
    ("2024-11", 30 * 96 + 4, {"2024-11-03": 100}),
    ("2025-01", 31 * 96, {}),
])
def test_dst_months_have_the_right_number_of_readings(api, ym, expected, odd_days):
    readings = _readings(api, MOCK_EG, "__mock_meter__101", ym)
    assert len(readings) == expected
    starts = [r["start"] for r in readings]
    assert starts == list(range(starts[0], starts[0] + 900 * expected, 900))  # contiguous in UTC
    per_day: dict[str, int] = {}
    for reading in readings:
        per_day[reading["start_local"][:10]] = per_day.get(reading["start_local"][:10], 0) + 1
    assert {day: n for day, n in per_day.items() if n != 96} == odd_days
    if ym == "2024-11":  # the repeated hour appears twice in local time, with two offsets
        repeated = [r["start_local"] for r in readings if r["start_local"].startswith("2024-11-03T01:00")]
        assert repeated == ["2024-11-03T01:00:00-07:00", "2024-11-03T01:00:00-08:00"]


def test_month_file_formats(api):
    base = f"/data/intervals/{MOCK_EG}/__mock_meter__101/monthly/2025-03"
    as_json = api.get(base, params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/json")
    body = as_json.json()
    assert {k: body[k] for k in ("meter_id", "month_id", "timezone", "interval_minutes", "unit")} == {
        "meter_id": "__mock_meter__101", "month_id": "2025-03", "timezone": "America/Los_Angeles",
        "interval_minutes": 15, "unit": "kWh"}
    first = body["readings"][0]
    assert set(first) == {"start", "end", "start_local", "value"} and first["end"] - first["start"] == 900
    as_csv = api.get(base, params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(body["readings"])
    assert rows[0] == {"start": str(first["start"]), "end": str(first["end"]), "start_local": first["start_local"],
                       "value": f"{first['value']:.3f}"}
    source = api.get(base)  # default: source
    assert source.text.startswith("Name,")
    assert "TYPE,DATE,START TIME,END TIME,USAGE,UNITS,NOTES" in source.text
    data_rows = [line for line in source.text.splitlines() if line.startswith("Electric usage,")]
    assert len(data_rows) == len(body["readings"])
    assert data_rows[0] == "Electric usage,2025-03-01,00:00,00:14,%.3f,kWh," % first["value"]
    period = next(p for p in api.get(f"/data/intervals/{MOCK_EG}").json()["intervals"] if p["month_id"] == "2025-03")
    assert period["source_file_size"] == len(source.content)
    assert api.get(base, params={"format": "xml"}).json() == {"error": "Format not supported"}
    assert api.get(f"/data/intervals/{MOCK_EG}/nope/monthly/2025-03").json() == {"error": "Interval not found"}
    assert api.get(f"/data/intervals/{MOCK_EG}/__mock_meter__101/monthly/2020-01").status_code == 404
    assert api.get(f"/data/intervals/{MOCK_EG}/__mock_meter__101/monthly/March").status_code == 400


def test_older_agent_months_have_only_the_source_file(api):
    periods = api.get(f"/data/intervals/{CONED}").json()["intervals"]
    oldest = periods[0]
    path = f"/data/intervals/{CONED}/{oldest['meter_id']}/monthly/{oldest['month_id']}"
    assert api.get(path, params={"format": "json"}).json() == {"error": "Normalized data not available"}
    assert api.get(path, params={"format": "source"}).status_code == 200
    newest = periods[-1]
    assert api.get(f"/data/intervals/{CONED}/{newest['meter_id']}/monthly/{newest['month_id']}",
                   params={"format": "csv"}).status_code == 200


def test_electricity_usage_equals_the_interval_readings(api):
    bill = next(r for r in api.get(f"/data/bills/{MOCK_EG}").json()
                if r["type"] == "electricity" and r["start_date"] >= "2024-08" and r["end_date"] < "2025-05")
    first, last = date.fromisoformat(bill["start_date"][:10]), date.fromisoformat(bill["end_date"][:10])
    months = {f"{first:%Y-%m}", f"{last:%Y-%m}"}
    total = 0
    for ym in months:
        for reading in _readings(api, MOCK_EG, "__mock_meter__101", ym):
            if first.isoformat() <= reading["start_local"][:10] <= last.isoformat():
                total += round(reading["value"] * 1000)
    assert Decimal(total) / 1000 == Decimal(str(bill["usage"]))


def test_interval_job_re_extracts_the_current_month_only(fresh):
    state, _, client = fresh
    before = {(p["meter_id"], p["month_id"]): p for p in client.get(f"/data/intervals/{MOCK_EG}").json()["intervals"]}
    job_id, polls = _run_job(client, MOCK_EG, "interval")
    assert "AgentState.interval_processing" in [p["job_status"] for p in polls]
    after = {(p["meter_id"], p["month_id"]): p for p in client.get(f"/data/intervals/{MOCK_EG}").json()["intervals"]}
    assert before.keys() == after.keys()
    for key, period in after.items():
        if period["complete"]:
            assert period == before[key]
        else:
            assert period["job_id_extracted"] == job_id
            assert period["extraction_time"] > before[key]["extraction_time"]
            assert period["last_interval"] > before[key]["last_interval"]
            assert period["source_file_size"] > before[key]["source_file_size"]
    # A new profile's first interval job extracts its whole history at once.
    profile_id = _new_profile(client, provider_id=3150)
    assert client.get(f"/data/intervals/{profile_id}").status_code == 404
    job_id, _ = _run_job(client, profile_id, "interval")
    periods = client.get(f"/data/intervals/{profile_id}").json()["intervals"]
    assert len(periods) == 13 and {p["job_id_extracted"] for p in periods} == {job_id}
    assert [p["complete"] for p in periods] == [True] * 12 + [False]


# -- faults and calls -------------------------------------------------------------------------


def test_fault_injection_429_with_retry_after(fresh, pki):
    state, server, client = fresh
    state.inject_faults("/profiles", [{"status": 429, "retry_after": 2}, {"status": 500}], method="GET")
    first = client.get("/profiles/")
    assert first.status_code == 429 and first.headers["retry-after"] == "2"
    assert first.json() == {"error": "Too Many Requests"}
    assert client.get("/profiles/101").status_code == 500
    assert client.get("/profiles/").status_code == 200
    assert client.post("/echo", json={"a": "b"}).status_code == 200
    # Over HTTP too, with a raw body.
    hook = httpx.post(server.url + "/_sandbox/faults", verify=pki.client_ssl_context(),
                      json={"path": "/link/4.0/data/bills", "responses": [{"status": 502, "raw": "<html>bad"}]})
    assert hook.status_code == 201
    broken = client.get("/data/bills/101/")
    assert broken.status_code == 502 and broken.text == "<html>bad"
    calls = state.calls_snapshot()
    assert [c["status"] for c in calls if c["fault"]] == [429, 500, 502]
    assert {"method", "path", "query", "status"} <= set(calls[0])
    assert calls[0]["path"] == "/link/4.0/profiles"  # recorded without the trailing slash
    listed = httpx.get(server.url + "/_sandbox/calls", verify=pki.client_ssl_context()).json()
    assert len(listed) == len(calls)
    state.reset_calls()
    assert state.calls_snapshot() == []
    assert httpx.delete(server.url + "/_sandbox/faults", verify=pki.client_ssl_context()).status_code == 200


def test_sandbox_state_hook(server, pki):
    summary = httpx.get(server.url + "/_sandbox/state", verify=pki.client_ssl_context()).json()
    assert summary["profile_ids"] == [101, 102, 103, 104, 105, 106]
    assert summary["unknown_status_profile_ids"] == [MOCK_E]
    assert summary["as_of"] == AS_OF.isoformat()


def test_dataset_is_shared_read_only(dataset, fresh):
    # A server's changes stay in its state: the dataset (and so other servers) are untouched.
    state, _, client = fresh
    _run_job(client, MOCK_EG)
    assert state.profiles[MOCK_EG].statement_jobs != dataset.profile(MOCK_EG).statement_jobs
    assert None in dataset.profile(MOCK_EG).statement_jobs


def test_pki_files(pki: SandboxPKI):
    from cryptography import x509

    client = x509.load_pem_x509_certificate(Path(pki.client_cert_file).read_bytes())
    assert client.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "utility-data-client"
    lifetime = client.not_valid_after_utc - client.not_valid_before_utc
    assert timedelta(days=364) < lifetime < timedelta(days=366)
    server = x509.load_pem_x509_certificate(Path(pki.server_cert_file).read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
