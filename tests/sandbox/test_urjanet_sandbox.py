"""The Urjanet Utility Data API sandbox itself, over real HTTP (httpx against a SandboxServer)."""

from __future__ import annotations

import time
from datetime import date

import httpx
import pytest

from connectors.core.sandbox_server import SandboxServer
from connectors.urjanet.sandbox import create_app, generate_dataset, sandbox_settings_from_env, start_urjanet_sandbox

USERNAME, PASSWORD = "test-user", "test-password-value"
AS_OF = date(2025, 6, 15)
SCALE = {"seed": 7, "accounts": 30, "months": 24, "as_of": AS_OF}
API = "/api/v1"


def _token(base_url: str) -> str:
    response = httpx.post(base_url + "/auth/login", json={"username": USERNAME, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def _client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url + API, headers={"Authorization": f"Bearer {_token(base_url)}"}, timeout=30)


def _search(api: httpx.Client, what: str, conditions=(), sorts=None, start=0, length=100, **extra) -> dict:
    body = {"queryCriteria": {"start": start, "length": length, "sorts": sorts,
                              "filter": {"conditions": list(conditions)}}, **extra}
    response = api.post(f"/{what}/search", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _cond(field, operator, value=None) -> dict:
    return {"field": field, "operator": operator, "value": value}


@pytest.fixture(scope="module")
def dataset():
    return generate_dataset(**SCALE)


@pytest.fixture(scope="module")
def server(dataset):
    with SandboxServer(create_app(dataset, USERNAME, PASSWORD)) as running:
        yield running


@pytest.fixture(scope="module")
def api(server):
    with _client(server.url) as client:
        yield client


@pytest.fixture
def fresh(dataset):
    """A server of its own, for tests that change state."""
    app = create_app(dataset, USERNAME, PASSWORD)
    with SandboxServer(app) as running, _client(running.url) as client:
        yield app.state.sandbox, client


def test_dataset_is_deterministic_and_scales_cheaply():
    first, second = generate_dataset(**SCALE), generate_dataset(**SCALE)
    assert first.accounts == second.accounts and first.changelog == second.changelog
    assert generate_dataset(**{**SCALE, "seed": 8}).accounts != first.accounts
    started = time.monotonic()
    big = generate_dataset(**{**SCALE, "accounts": 1500})
    assert len(big.accounts) == 1500 and time.monotonic() - started < 3


def test_settings_from_env():
    settings = sandbox_settings_from_env({"URJANET_SANDBOX_SEED": "3", "URJANET_SANDBOX_ACCOUNTS": "1200",
                                          "URJANET_SANDBOX_AS_OF": "2025-01-02"})
    assert (settings.seed, settings.accounts, settings.months, settings.as_of) == (3, 1200, 24, date(2025, 1, 2))
    with pytest.raises(ValueError, match="URJANET_SANDBOX_ACCOUNTS"):
        sandbox_settings_from_env({"URJANET_SANDBOX_ACCOUNTS": "many"})


def test_login_and_401s(server):
    bad = httpx.post(server.url + "/auth/login", json={"username": USERNAME, "password": "wrong"})
    assert bad.status_code == 401 and bad.json()["messageCode"] == "NOT_AUTHORIZED"
    assert bad.json()["status"] == "FAILURE"
    body = {"queryCriteria": {"length": 1}}
    assert httpx.post(server.url + API + "/account/search", json=body).status_code == 401
    unknown = httpx.post(server.url + API + "/account/search", json=body, headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401 and unknown.json()["message"][0]["messageCode"] == "NOT_AUTHORIZED"
    login = httpx.post(server.url + "/auth/login", json={"username": USERNAME, "password": PASSWORD}).json()
    assert login["tokenType"] == "Bearer" and login["expiresIn"] == 3600 and login["expires"] > time.time() * 1000


def test_expired_tokens_are_401_and_a_new_login_works(fresh):
    state, api = fresh
    assert api.get("/serviceType/list").status_code == 200
    state.expire_tokens()
    assert api.get("/serviceType/list").status_code == 401
    api.headers["Authorization"] = f"Bearer {_token(str(api.base_url).removesuffix(API + '/'))}"
    assert api.get("/serviceType/list").status_code == 200


def test_token_ttl(dataset):
    with SandboxServer(create_app(dataset, USERNAME, PASSWORD, token_ttl_s=0.3)) as running:
        token = _token(running.url)
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(running.url + API + "/serviceType/list", headers=headers).status_code == 200
        time.sleep(0.4)
        assert httpx.get(running.url + API + "/serviceType/list", headers=headers).status_code == 401


def test_account_search_envelope_status_and_404(api, dataset):
    page = _search(api, "account", length=10)
    assert page["status"] == "OK" and page["message"] == [] and len(page["data"]) == 10
    assert page["morePages"] is True and page["nextPageOffset"] == 10
    account = page["data"][0]
    assert isinstance(account["created"], int) and account["customerId"] == dataset.customer_id
    assert account["utilityProvider"]["link"]["href"] == f"/provider/status/{account['utilityProvider']['id']}"
    assert not any(k.startswith("_") for k in account)
    one = api.get(f"/account/status/{account['id']}").json()
    assert one["data"] == account and one["status"] == "OK"
    missing = api.get("/account/status/does-not-exist")
    assert missing.status_code == 404 and missing.json()["messageCode"] == "NOT_FOUND"
    everything = api.post("/account/search", content=b"")
    assert len(everything.json()["data"]) == len(dataset.accounts)


def test_every_operator(api, dataset):
    accounts = list(dataset.accounts.values())
    number = accounts[3]["accountNumber"]
    prefix = number[:3]

    def ids(*conditions) -> set[str]:
        return {a["id"] for a in _search(api, "account", conditions, length=1000)["data"]}

    def expect(predicate) -> set[str]:
        return {a["id"] for a in accounts if predicate(a)}

    assert ids(_cond("accountNumber", "eq", number)) == expect(lambda a: a["accountNumber"] == number)
    assert ids(_cond("accountNumber", "neq", number)) == ids(_cond("accountNumber", "ne", number)) \
        == expect(lambda a: a["accountNumber"] != number)
    assert ids(_cond("accountNumber", "startsWith", prefix)) == expect(lambda a: a["accountNumber"].startswith(prefix))
    assert ids(_cond("accountNumber", "endswith", number[-5:])) == {accounts[3]["id"]}
    assert ids(_cond("utilityProviderId", "includes", "georgia")) == ids(_cond("utilityProviderId", "include", "Georgia")) \
        == expect(lambda a: "Georgia" in a["utilityProvider"]["naturalKey"])
    assert ids(_cond("utilityProviderId", "notinclude", "Georgia")) \
        == expect(lambda a: "Georgia" not in a["utilityProvider"]["naturalKey"])
    assert ids(_cond("subscribed", "is", True)) == ids(_cond("subscribed", "is", "true")) \
        == expect(lambda a: a["subscribed"])
    amount = sorted(a["latestTotalBillAmount"] for a in accounts if a["latestTotalBillAmount"] is not None)[5]
    assert ids(_cond("latestTotalBillAmount", "gt", amount)) == expect(lambda a: (a["latestTotalBillAmount"] or -1) > amount)
    assert ids(_cond("latestTotalBillAmount", "gte", amount)) == expect(lambda a: (a["latestTotalBillAmount"] or -1) >= amount)
    assert ids(_cond("latestTotalBillAmount", "lt", amount)) \
        == expect(lambda a: a["latestTotalBillAmount"] is not None and a["latestTotalBillAmount"] < amount)
    assert ids(_cond("latestTotalBillAmount", "lte", str(amount))) \
        == expect(lambda a: a["latestTotalBillAmount"] is not None and a["latestTotalBillAmount"] <= amount)
    created = accounts[10]["created"]
    assert ids(_cond("created", "before", created)) == expect(lambda a: a["created"] < created)
    assert ids(_cond("created", "after", created)) == expect(lambda a: a["created"] > created)
    assert ids(_cond("created", "on", created)) == expect(lambda a: a["created"] // 86_400_000 == created // 86_400_000)
    assert ids(_cond("extractionStatus", "isblank")) == expect(lambda a: a["extractionStatus"] is None)
    assert ids(_cond("extractionStatus", "notblank")) == expect(lambda a: a["extractionStatus"] is not None)
    both = ids(_cond("subscribed", "is", True), _cond("utilityProviderId", "eq", "GeorgiaPower"))
    assert both == expect(lambda a: a["subscribed"] and a["utilityProvider"]["naturalKey"] == "GeorgiaPower")


@pytest.mark.parametrize("criteria", [
    {"filter": {"conditions": [_cond("noSuchField", "eq", "x")]}},
    {"filter": {"conditions": [_cond("accountNumber", "gt", "5")]}},
    {"filter": {"conditions": [_cond("subscribed", "startswith", "t")]}},
    {"filter": {"conditions": [_cond("created", "before", "yesterday")]}},
    {"start": -1},
    {"length": "ten"},
    {"sorts": [{"field": "nope", "direction": "asc"}]},
])
def test_bad_criteria_are_400_invalid_arguments(api, criteria):
    response = api.post("/account/search", json={"queryCriteria": criteria})
    assert response.status_code == 400 and response.json()["messageCode"] == "INVALID_ARGUMENTS", response.text


def test_malformed_body_is_400(api):
    response = api.post("/account/search", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["messageCode"] == "MALFORMED_REQUEST"


def test_sorts(api):
    asc = [a["accountNumber"] for a in _search(api, "account", sorts=[{"field": "accountNumber", "direction": "asc"}])["data"]]
    assert asc == sorted(asc)
    desc = _search(api, "account", sorts=[{"field": "created", "direction": "DESC"}])["data"]
    assert [a["created"] for a in desc] == sorted((a["created"] for a in desc), reverse=True)
    by_two = _search(api, "account", sorts=[{"field": "utilityProviderId", "direction": "asc"},
                                            {"field": "accountNumber", "direction": "x"}])["data"]
    keys = [(a["utilityProvider"]["naturalKey"], a["accountNumber"]) for a in by_two]
    assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))


def test_paging_over_more_than_1000_accounts():
    big = generate_dataset(**{**SCALE, "accounts": 1200})
    with SandboxServer(create_app(big, USERNAME, PASSWORD)) as running, _client(running.url) as api:
        capped = _search(api, "account", length=5000)
        assert len(capped["data"]) == 1000 and capped["morePages"] is True and capped["nextPageOffset"] == 1000
        rest = _search(api, "account", start=capped["nextPageOffset"], length=1000)
        assert len(rest["data"]) == 200 and rest["morePages"] is False
        assert {a["id"] for a in capped["data"] + rest["data"]} == set(big.accounts)
        default = _search(api, "account", length=None)
        assert len(default["data"]) == 100 and default["nextPageOffset"] == 100


def test_meters_and_credentials(api, dataset):
    account_id = next(iter(dataset.accounts))
    meters = api.get(f"/meter/byaccount/{account_id}").json()["data"]
    assert meters and all(m["utilityAccount"]["id"] == account_id for m in meters)
    assert {m["id"] for m in _search(api, "meter", [_cond("accountId", "eq", account_id)])["data"]} == {m["id"] for m in meters}
    assert api.get(f"/meter/status/{meters[0]['id']}").json()["data"] == meters[0]
    credential = next(iter(dataset.credentials.values()))
    by_key = api.get(f"/credential/status/{credential['extractionChannelId']}").json()["data"]
    assert by_key == api.get(f"/credential/status/{credential['id']}").json()["data"]
    assert "password" not in by_key and not any(k.startswith("_") for k in by_key)
    found = _search(api, "credential", [_cond("username", "eq", credential["username"]),
                                        _cond("password", "eq", credential["_passwords"]["password"])])["data"]
    assert [c["id"] for c in found] == [credential["id"]]
    assert _search(api, "credential", [_cond("username", "eq", credential["username"]),
                                       _cond("password", "eq", "wrong")])["data"] == []
    only_password = api.post("/credential/search", json={"queryCriteria": {"filter": {"conditions": [
        _cond("password", "eq", "x")]}}})
    assert only_password.status_code == 400
    sort_password = api.post("/credential/search", json={"queryCriteria": {"sorts": [{"field": "password"}]}})
    assert sort_password.status_code == 400


def test_create_and_update_account(fresh, dataset):
    state, api = fresh
    credential = next(iter(dataset.credentials.values()))
    body = {"customerId": dataset.customer_id, "accountNumber": "999-1", "utilityProviderId": "GeorgiaPower",
            "subscribed": True, "toBeDelivered": True, "extractionChannelId": credential["extractionChannelId"],
            "customAttributes": {"FacilityId": "F1"}}
    created = api.post("/account/create", json=body).json()["data"]
    assert created["enrollmentStatus"] == "SUBMITTED" and created["created"] > dataset.now_ms
    assert created["extractionChannels"][0]["id"] == credential["id"]
    again = api.post("/account/create", json=body)
    assert again.status_code == 400 and again.json()["messageCode"] == "ALREADY_EXISTS"
    provider = api.post("/account/create", json={**body, "accountNumber": "2", "utilityProviderId": "Nope"})
    assert provider.status_code == 400 and provider.json()["messageCode"] == "PROVIDIER_NOT_FOUND"
    missing = api.post("/account/create", json={k: v for k, v in body.items() if k != "accountNumber"})
    assert missing.status_code == 400 and missing.json()["messageCode"] == "INVALID_ARGUMENTS"
    attribute = api.post("/account/create", json={**body, "accountNumber": "3", "customAttributes": {"Nope": "1"}})
    assert attribute.status_code == 400
    updated = api.post("/account/update", json={"id": created["id"], "toBeDelivered": False,
                                                "customAttributes": {"CostCenter": "CC9"}}).json()["data"]
    assert updated["toBeDelivered"] is False and updated["customAttributes"] == {"FacilityId": "F1", "CostCenter": "CC9"}
    assert updated["modified"] > created["modified"]
    assert api.post("/account/update", json={"id": "nope"}).status_code == 404
    events = _search(api, "changelog", [_cond("accountNumber", "eq", "999-1")],
                     sorts=[{"field": "timestamp", "direction": "asc"}])["data"]
    assert [e["eventName"] for e in events] == ["AccountNominatedEvent", "AccountDeliveryChangeEvent", "MixinChangeEvent"]
    assert events[1]["eventFields"] == {"accountNumber": "999-1", "providerAlias": "GeorgiaPower",
                                        "oldStatus": "true", "newStatus": "false"}
    assert len(dataset.accounts) == SCALE["accounts"]  # the dataset itself is never mutated


def test_create_and_update_credential_with_duplicate_rule(fresh):
    state, api = fresh
    body = {"customerId": "SandboxCustomer", "utilityProviderId": "DukeEnergy", "username": "new-user",
            "password": "secret-1"}
    created = api.post("/credential/create", json=body).json()["data"]
    assert created["template"]["naturalKey"] == "DukeEnergyTemplateProvider" and "password" not in created
    assert created["enabled"] is True and created["intervalDataEnabled"] is False
    duplicate = api.post("/credential/create", json={**body, "password": "other"})
    assert duplicate.status_code == 400 and duplicate.json()["messageCode"] == "ALREADY_EXISTS"
    assert api.post("/credential/create", json={**body, "username": "user-2"}).status_code == 200
    clash = api.post("/credential/update", json={"id": created["extractionChannelId"], "username": "user-2"})
    assert clash.status_code == 400 and clash.json()["messageCode"] == "ALREADY_EXISTS"
    updated = api.post("/credential/update", json={"id": created["id"], "password": "secret-2"}).json()["data"]
    assert "password" not in updated
    found = _search(api, "credential", [_cond("username", "eq", "new-user"), _cond("password", "eq", "secret-2")])
    assert [c["id"] for c in found["data"]] == [created["id"]]
    log = _search(api, "changelog", [_cond("eventName", "eq", "CredentialInputMapChangeEvent")])["data"]
    assert log[-1]["eventFields"]["extractionChannelId"] == created["extractionChannelId"]
    assert "secret" not in str(log)


def test_change_account_id(fresh, dataset):
    state, api = fresh
    old = next(iter(dataset.accounts.values()))
    new_id = state.change_account_id(old["id"])
    assert new_id != old["id"] and api.get(f"/account/status/{old['id']}").status_code == 404
    moved = api.get(f"/account/status/{new_id}").json()["data"]
    assert (moved["accountNumber"], moved["utilityProvider"]) == (old["accountNumber"], old["utilityProvider"])
    assert api.get(f"/meter/byaccount/{new_id}").json()["data"]
    linkage = _search(api, "changelog", [_cond("eventName", "eq", "AccountLinkageEvent")])["data"]
    assert linkage[-1]["eventFields"]["oldAccountId"] == old["id"]
    assert linkage[-1]["eventFields"]["newAccountId"] == new_id


def test_changelog_search_and_paging(api, dataset):
    first = _search(api, "changelog", [_cond("eventName", "eq", "EnrollmentStatusChangeEvent")], length=5)
    assert len(first["data"]) == 5 and first["morePages"] is True
    assert all(e["eventName"] == "EnrollmentStatusChangeEvent" and isinstance(e["timestamp"], int) for e in first["data"])
    newest = _search(api, "changelog", [_cond("timestamp", "after", dataset.now_ms - 400 * 86_400_000)],
                     sorts=[{"field": "timestamp", "direction": "desc"}], length=1000)["data"]
    assert newest and all(e["timestamp"] > dataset.now_ms - 400 * 86_400_000 for e in newest)


def test_catalogue_endpoints(api):
    types = api.get("/serviceType/list").json()["data"]
    electric = next(t for t in types if t["name"] == "Electric")
    assert api.get(f"/serviceType/status/{electric['id']}").json()["data"] == electric
    providers = api.get(f"/provider/byServiceType/{electric['id']}").json()["data"]
    assert "GeorgiaPower" in {p["providerAlias"] for p in providers}
    georgia = _search(api, "provider", [_cond("providerAlias", "startsWith", "Georgia")])["data"]
    assert [p["providerAlias"] for p in georgia] == ["GeorgiaPower"]
    assert georgia[0]["parentProvider"]["naturalKey"] == "SouthernCompany"
    template = api.get(f"/template/status/{georgia[0]['templateInfos'][0]['id']}").json()["data"]
    assert template["templateName"] == "GeorgiaPowerTemplateProvider"
    assert api.get(f"/provider/status/{georgia[0]['id']}").json()["data"] == georgia[0]
    attributes = _search(api, "attribute", [])["data"]
    assert {a["name"] for a in attributes} == {"FacilityId", "CostCenter"}
    templates = api.post("/template/status/search", json={}).json()
    assert len(templates["data"]) == 6 and templates["morePages"] is False


def test_faults_calls_and_routes(fresh):
    state, api = fresh
    state.reset_calls()
    state.inject_faults("/account/search", [{"status": 500}, {"status": 429, "retry_after": 2}])
    first = api.post("/account/search", json={})
    assert first.status_code == 500 and first.json()["status"] == "FAILURE"
    second = api.post("/account/search", json={})
    assert second.status_code == 429 and second.headers["Retry-After"] == "2"
    assert api.post("/account/search/", json={}).status_code == 200
    assert api.get("/account/search").status_code == 405
    assert api.get("/nothing/here").status_code == 404
    calls = state.calls_snapshot()
    assert [(c["path"], c["status"], c["fault"]) for c in calls[:3]] == [
        (API + "/account/search", 500, True), (API + "/account/search", 429, True), (API + "/account/search", 200, False)]


def test_start_urjanet_sandbox_and_ops_hooks():
    server, base_url = start_urjanet_sandbox(username=USERNAME, password=PASSWORD, **{**SCALE, "accounts": 5})
    with server:
        state = httpx.get(base_url + "/_sandbox/state").json()
        assert state["accounts"] == 5
        with _client(base_url) as api:
            account_id = _search(api, "account")["data"][0]["id"]
            moved = httpx.post(base_url + "/_sandbox/change-account-id", json={"id": account_id}).json()["id"]
            assert api.get(f"/account/status/{moved}").status_code == 200
        assert httpx.post(base_url + "/_sandbox/expire-tokens").json()["expired"] == 1
    with pytest.raises(TypeError):
        start_urjanet_sandbox(generate_dataset(**SCALE), accounts=3)


# -- candidates, meters and attributes ----------------------------------------------------------------


def _candidates(api: httpx.Client, what: str, conditions=(), **extra) -> dict:
    path = "/account/candidates" if what == "account" else "/meter/candidate"
    response = api.post(path, json={"queryCriteria": {"start": 0, "length": 1000,
                                                      "filter": {"conditions": list(conditions)}}, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_candidates_are_kept_apart_and_deterministic(api, dataset):
    again = generate_dataset(**SCALE)
    assert again.candidate_accounts == dataset.candidate_accounts and again.candidate_meters == dataset.candidate_meters
    assert dataset.candidate_accounts and dataset.candidate_meters
    assert not set(dataset.candidate_accounts) & set(dataset.accounts)
    assert len(_search(api, "account", length=1000)["data"]) == len(dataset.accounts)  # unchanged by candidates
    page = _candidates(api, "account")
    assert page["status"] == "OK" and page["morePages"] is False
    assert {a["id"] for a in page["data"]} == set(dataset.candidate_accounts)
    for candidate in page["data"]:  # seed Example C
        assert candidate["enrollmentStatus"] is None and candidate["extractionStatus"] == "SUCCESS"
        assert candidate["extractionChannels"] == [] and len(candidate["verifiedExtractionChannels"]) == 1
        assert candidate["subscribed"] is False and isinstance(candidate["lastExtracted"], int)
    credential = page["data"][0]["verifiedExtractionChannels"][0]["naturalKey"]
    on_credential = _candidates(api, "account", [_cond("extractionChannelId", "eq", credential),
                                                 _cond("extractionStatus", "eq", "SUCCESS")])["data"]
    assert on_credential and all(c["verifiedExtractionChannels"][0]["naturalKey"] == credential for c in on_credential)
    sorted_page = api.post("/account/candidates", json={"queryCriteria": {"length": 3, "sorts": [
        {"field": "accountNumber", "direction": "asc"}]}}).json()
    numbers = sorted(a["accountNumber"] for a in dataset.candidate_accounts.values())
    assert [a["accountNumber"] for a in sorted_page["data"]] == numbers[:3] and sorted_page["nextPageOffset"] == 3
    meters = _candidates(api, "meter")["data"]
    assert {m["id"] for m in meters} == set(dataset.candidate_meters)
    assert not set(dataset.candidate_meters) & {m["id"] for m in _search(api, "meter", length=1000)["data"]}
    number = dataset.candidate_accounts[meters[0]["utilityAccount"]["id"]]["accountNumber"] \
        if meters[0]["utilityAccount"]["id"] in dataset.candidate_accounts \
        else dataset.accounts[meters[0]["utilityAccount"]["id"]]["accountNumber"]
    by_account = _candidates(api, "meter", [_cond("accountNumber", "startsWith", number)])["data"]
    assert meters[0]["id"] in {m["id"] for m in by_account}


@pytest.mark.parametrize("path", ["/account/candidates", "/meter/candidate"])
def test_candidate_searches_reject_bad_criteria(api, path):
    response = api.post(path, json={"queryCriteria": {"filter": {"conditions": [_cond("noSuchField", "eq", "x")]}}})
    assert response.status_code == 400 and response.json()["messageCode"] == "INVALID_ARGUMENTS"
    response = api.post(path, json={"queryCriteria": {"start": -1}})
    assert response.status_code == 400 and response.json()["status"] == "FAILURE"


def test_enroll_candidate(fresh, dataset):
    state, api = fresh
    candidate = next(iter(dataset.candidate_accounts.values()))
    meters = [m["id"] for m in dataset.candidate_meters.values() if m["utilityAccount"]["id"] == candidate["id"]]
    assert meters
    bad_attribute = api.post("/account/enrollCandidate",
                             json={"id": candidate["id"], "customAttributes": {"Nope": "1"}})
    assert bad_attribute.status_code == 400 and bad_attribute.json()["messageCode"] == "INVALID_ARGUMENTS"
    enrolled = api.post("/account/enrollCandidate", json={"id": candidate["id"],
                                                          "customAttributes": {"FacilityId": "F-9"}}).json()
    assert enrolled["status"] == "OK"
    account = enrolled["data"]
    assert account["id"] == candidate["id"] and account["enrollmentStatus"] == "SUCCESSFUL_ENROLLED"
    assert account["monitoringStatus"] == "UNKNOWN" and account["subscribed"] is True and account["toBeDelivered"]
    assert account["extractionChannels"] == candidate["verifiedExtractionChannels"]
    assert account["customAttributes"] == {"FacilityId": "F-9"} and account["modified"] > dataset.now_ms
    assert api.get(f"/account/status/{candidate['id']}").json()["data"] == account
    assert candidate["id"] in {a["id"] for a in _search(api, "account", length=1000)["data"]}
    assert candidate["id"] not in {a["id"] for a in _candidates(api, "account")["data"]}
    promoted = api.get(f"/meter/byaccount/{candidate['id']}").json()["data"]
    assert {m["id"] for m in promoted} == set(meters) and all(m["modified"] == account["modified"] for m in promoted)
    events = _search(api, "changelog", [_cond("accountNumber", "eq", candidate["accountNumber"])])["data"]
    assert [e["eventName"] for e in events] == ["AccountNominatedEvent", "AccountLinkageEvent",
                                                "EnrollmentStatusChangeEvent"]
    assert events[1]["eventFields"]["manual"] == "true"
    assert events[2]["eventFields"]["newStatus"] == "SUCCESSFUL_ENROLLED"
    again = api.post("/account/enrollCandidate", json={"id": candidate["id"]})
    assert again.status_code == 400 and again.json()["messageCode"] == "ALREADY_EXISTS"
    unknown = api.post("/account/enrollCandidate", json={"id": "no-such-candidate"})
    assert unknown.status_code == 404 and unknown.json()["messageCode"] == "NOT_FOUND"
    missing = api.post("/account/enrollCandidate", json={})
    assert missing.status_code == 400 and missing.json()["messageCode"] == "INVALID_ARGUMENTS"
    assert len(dataset.candidate_accounts) == len(generate_dataset(**SCALE).candidate_accounts)  # not mutated


def test_creating_a_candidates_account_links_it(fresh, dataset):
    state, api = fresh
    candidate = list(dataset.candidate_accounts.values())[1]
    channel = candidate["verifiedExtractionChannels"][0]["naturalKey"]
    created = api.post("/account/create", json={
        "accountNumber": candidate["accountNumber"], "utilityProviderId": candidate["utilityProvider"]["naturalKey"],
        "subscribed": True, "toBeDelivered": True, "extractionChannelId": channel}).json()["data"]
    assert created["id"] != candidate["id"] and created["enrollmentStatus"] == "SUBMITTED"
    assert candidate["id"] not in {a["id"] for a in _candidates(api, "account")["data"]}
    assert api.get(f"/meter/byaccount/{created['id']}").json()["data"]
    names = [e["eventName"] for e in _search(api, "changelog", [_cond("accountNumber", "eq",
                                                                      candidate["accountNumber"])])["data"]]
    assert names == ["AccountNominatedEvent", "AccountLinkageEvent"]


def test_create_and_update_meter(fresh, dataset):
    state, api = fresh
    account = next(a for a in dataset.accounts.values() if a["utilityProvider"]["naturalKey"] != "CityOfAtlantaWater")
    body = {"customerId": dataset.customer_id, "meterNumber": "NEW-0001", "utilityAccountId": account["id"],
            "serviceType": "electric", "customAttributes": {"CostCenter": "CC-1"}}
    meter = api.post("/meter/create", json=body).json()["data"]
    assert meter["serviceType"] == "ELECTRIC" and meter["normalizedMeterNumber"] == "NEW0001"
    assert meter["utilityAccount"]["id"] == account["id"] and meter["created"] > dataset.now_ms
    assert meter["customAttributes"] == {"CostCenter": "CC-1"} and meter["deactivated"] is False
    assert api.get(f"/meter/status/{meter['id']}").json()["data"] == meter
    assert meter["id"] in {m["id"] for m in api.get(f"/meter/byaccount/{account['id']}").json()["data"]}
    duplicate = api.post("/meter/create", json={**body, "meterNumber": "NEW 0001"})
    assert duplicate.status_code == 400 and duplicate.json()["messageCode"] == "ALREADY_EXISTS"
    for bad in ({**body, "meterNumber": "X2", "utilityAccountId": "nope"},
                {**body, "meterNumber": "X3", "utilityAccountId": next(iter(dataset.candidate_accounts))},
                {**body, "meterNumber": "X4", "serviceType": "Steam"},
                {k: v for k, v in body.items() if k != "meterNumber"},
                {**body, "meterNumber": "X5", "customAttributes": {"Nope": "1"}}):
        response = api.post("/meter/create", json=bad)
        assert response.status_code == 400 and response.json()["messageCode"] == "INVALID_ARGUMENTS", bad
    updated = api.post("/meter/update", json={"id": meter["id"], "customAttributes": {"FacilityId": "F-1"}}).json()
    assert updated["data"]["customAttributes"] == {"CostCenter": "CC-1", "FacilityId": "F-1"}
    assert updated["data"]["modified"] > meter["modified"]
    event = _search(api, "changelog", [_cond("eventName", "eq", "MeterMixinChangeEvent")])["data"][-1]
    assert event["eventFields"]["meterNumber"] == "NEW-0001"
    assert event["eventFields"]["accountNumber"] == account["accountNumber"]
    not_modifiable = api.post("/meter/update", json={"id": meter["id"], "meterNumber": "Y", "customAttributes": {}})
    assert not_modifiable.status_code == 400 and not_modifiable.json()["messageCode"] == "INVALID_ARGUMENTS"
    unknown = api.post("/meter/update", json={"id": "nope", "customAttributes": {}})
    assert unknown.status_code == 404 and unknown.json()["messageCode"] == "NOT_FOUND"
    # A requested meter Urjanet already discovered on the account is linked, not duplicated.
    candidate = next(m for m in dataset.candidate_meters.values() if m["utilityAccount"]["id"] in dataset.accounts)
    linked = api.post("/meter/create", json={
        "meterNumber": candidate["meterNumber"], "serviceType": candidate["serviceType"],
        "utilityAccountId": candidate["utilityAccount"]["id"]}).json()["data"]
    assert linked["id"] == candidate["id"] and linked["serviceAddress"] == candidate["serviceAddress"]
    assert candidate["id"] not in {m["id"] for m in _candidates(api, "meter")["data"]}
    linkage = _search(api, "changelog", [_cond("eventName", "eq", "MeterLinkageEvent")])["data"]
    assert [e["eventFields"]["meterNumber"] for e in linkage] == [candidate["meterNumber"]]


def test_create_and_update_attribute(fresh, dataset):
    state, api = fresh
    created = api.post("/attribute/create", json={"customerId": dataset.customer_id, "name": "Region",
                                                  "cnbdPosition": 3}).json()
    attribute = created["data"]
    assert created["status"] == "OK" and attribute["name"] == "Region" and attribute["required"] is False
    assert attribute["cnbdPosition"] == 3 and attribute["urjanetKey"] is None and attribute["created"] > dataset.now_ms
    assert api.get(f"/attribute/status/{attribute['id']}").json()["data"] == attribute
    duplicate = api.post("/attribute/create", json={"name": "facilityid"})
    assert duplicate.status_code == 400 and duplicate.json()["messageCode"] == "ALREADY_EXISTS"
    for bad in ({"name": "  "}, {}, {"name": "X", "cnbdPosition": "two"}, {"name": "X", "required": "maybe"}):
        response = api.post("/attribute/create", json=bad)
        assert response.status_code == 400 and response.json()["messageCode"] == "INVALID_ARGUMENTS", bad
    credential = next(iter(dataset.credentials.values()))
    account_body = {"accountNumber": "ATTR-1", "utilityProviderId": credential["utilityProvider"]["naturalKey"],
                    "subscribed": True, "toBeDelivered": True, "extractionChannelId": credential["id"],
                    "customAttributes": {"Region": "South"}}
    account = api.post("/account/create", json=account_body).json()["data"]
    assert account["customAttributes"] == {"Region": "South"}
    renamed = api.post("/attribute/update", json={"id": attribute["id"], "name": "Territory", "required": True}).json()
    assert renamed["data"]["name"] == "Territory" and renamed["data"]["required"] is True
    assert renamed["data"]["modified"] > attribute["modified"] and renamed["data"]["created"] == attribute["created"]
    assert api.get(f"/account/status/{account['id']}").json()["data"]["customAttributes"] == {"Territory": "South"}
    required = api.post("/account/create", json={**account_body, "accountNumber": "ATTR-2", "customAttributes": {}})
    assert required.status_code == 400 and "Territory" in required.json()["message"][0]["message"]
    clash = api.post("/attribute/update", json={"id": attribute["id"], "name": "CostCenter"})
    assert clash.status_code == 400 and clash.json()["messageCode"] == "ALREADY_EXISTS"
    unknown = api.post("/attribute/update", json={"id": "nope", "required": False})
    assert unknown.status_code == 404 and unknown.json()["messageCode"] == "NOT_FOUND"
    assert {a["name"] for a in _search(api, "attribute")["data"]} == {"FacilityId", "CostCenter", "Territory"}
    assert {a["name"] for a in dataset.attributes.values()} == {"FacilityId", "CostCenter"}
