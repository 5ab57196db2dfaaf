"""Urjanet client against its sandbox over real HTTP: login and re-login, search paging, ms-epoch
dates, envelopes and Appendix D error codes, enrollment calls."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import pytest

from connectors.core.errors import VendorAuthError, VendorNotFoundError, VendorRequestError
from connectors.urjanet.client import (
    UrjanetAlreadyExistsError,
    UrjanetClient,
    UrjanetOperationError,
    UrjanetProviderNotFoundError,
)
from connectors.urjanet.query import Query
from connectors.urjanet.records import Account

sandbox = pytest.importorskip("connectors.urjanet.sandbox", reason="the Urjanet sandbox is not written yet")
if not hasattr(sandbox, "start_urjanet_sandbox"):
    pytest.skip("the Urjanet sandbox package does not export start_urjanet_sandbox yet", allow_module_level=True)

AS_OF = date(2026, 10, 1)
PASSWORD = "urj-SECRET-pw-77"
_DATASET: dict = {}


@pytest.fixture()
def urjanet():
    """A fresh sandbox per test: (base_url, state, dataset)."""
    if "d" not in _DATASET:
        _DATASET["d"] = sandbox.generate_dataset(seed=3, accounts=25, months=6, as_of=AS_OF)
    server, base_url = sandbox.start_urjanet_sandbox(dataset=_DATASET["d"], username="api-user", password=PASSWORD)
    try:
        yield base_url, server.app.state.sandbox, _DATASET["d"]
    finally:
        server.stop()


def client_for(base_url, dataset=None, **kwargs) -> UrjanetClient:
    customer = dataset.customer_id if dataset is not None else None
    return UrjanetClient("api-user", PASSWORD, base_url, customer_id=customer, transport_sleep=lambda s: None, **kwargs)


def logins(state) -> int:
    return sum(1 for c in state.calls_snapshot() if c["path"] == "/auth/login")


def searches(state, path: str) -> list[dict]:
    return [c for c in state.calls_snapshot() if c["path"] == f"/api/v1/{path}"]


# -- auth ---------------------------------------------------------------------------------------------

def test_login_once_then_relogin_once_after_expiry(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset) as client:
        first = next(iter(dataset.accounts))
        assert client.account(first).id == first
        list(client.search_meters())
        assert client.auth.logins == 1 and logins(state) == 1
        state.expire_tokens()
        assert client.account(first).id == first  # 401 -> login again -> retried
        assert client.auth.logins == 2 and logins(state) == 2


def test_wrong_password_is_a_clear_auth_error_without_the_password(urjanet, caplog):
    base_url, state, _ = urjanet
    caplog.set_level(logging.DEBUG)
    with UrjanetClient("api-user", "not-the-Password-9", base_url, transport_sleep=lambda s: None) as client:
        with pytest.raises(VendorAuthError) as info:
            client.service_types()
    message = str(info.value)
    assert "/auth/login" in message and "URJANET_PASSWORD" in message
    assert "not-the-Password-9" not in message and "not-the-Password-9" not in caplog.text
    assert PASSWORD not in caplog.text


def test_a_second_401_stands_as_vendor_auth_error(urjanet):
    base_url, state, _ = urjanet
    with client_for(base_url) as client:
        client.service_types()
        state.inject_faults("/serviceType/list", [{"status": 401}, {"status": 401}])
        with pytest.raises(VendorAuthError) as info:
            client.service_types()
        assert info.value.status == 401 and info.value.error_code == "NOT_AUTHORIZED"
        assert client.auth.logins == 2  # renewed exactly once


# -- search paging ------------------------------------------------------------------------------------

def test_search_pages_across_windows_until_no_more_pages(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset, page_size=10) as client:
        accounts = list(client.search_accounts(Query().sort("accountNumber")))
    assert len(accounts) == len(dataset.accounts) == 25
    assert {a.id for a in accounts} == set(dataset.accounts)
    assert [a.account_number for a in accounts] == sorted(a.account_number for a in accounts)
    assert len(searches(state, "account/search")) == 3


def test_default_window_is_one_thousand_and_one_call(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset) as client:
        meters = list(client.search_meters())
    assert len(meters) == len(dataset.meters)
    assert len(searches(state, "meter/search")) == 1


def test_filters_and_limit(urjanet):
    base_url, state, dataset = urjanet
    statuses = {a["enrollmentStatus"] for a in dataset.accounts.values()}
    status = sorted(statuses)[0]
    expected = {k for k, a in dataset.accounts.items() if a["enrollmentStatus"] == status}
    with client_for(base_url, dataset, page_size=3) as client:
        found = {a.id for a in client.search_accounts(Query().eq("enrollmentStatus", status))}
        assert found == expected
        assert len(list(client.search_accounts(limit=5))) == 5
        events = list(client.change_events(Query().eq("eventName", "AccountNominatedEvent")))
        assert events and all(e.event_name == "AccountNominatedEvent" for e in events)
        middle = sorted(e.timestamp for e in client.change_events())[50]
        later = list(client.change_events(Query().after("timestamp", middle)))
        assert later and all(e.timestamp > middle for e in later)


# -- ms-epoch dates -----------------------------------------------------------------------------------

def test_epoch_milliseconds_become_aware_utc_datetimes(urjanet):
    base_url, _, dataset = urjanet
    account_id, raw = next(iter(dataset.accounts.items()))
    with client_for(base_url, dataset) as client:
        account = client.account(account_id)
        assert isinstance(account, Account)
        assert account.created == datetime.fromtimestamp(raw["created"] / 1000, tz=UTC)
        assert account.created.tzinfo is not None and account.created.utcoffset().total_seconds() == 0
        event = next(client.change_events())
        assert event.timestamp.tzinfo is not None
        meter = client.meters_by_account(account_id).records[0]
        assert meter.utility_account.id == account_id and meter.created.tzinfo is not None
        assert client.meter(meter.id).modified == meter.modified


# -- error codes ---------------------------------------------------------------------------------------

def test_appendix_d_codes_raise_their_exceptions(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset) as client:
        with pytest.raises(VendorNotFoundError) as info:
            client.account("no-such-account")
        assert info.value.error_code == "NOT_FOUND"
        with pytest.raises(VendorRequestError) as info:
            list(client.search_accounts(Query().eq("noSuchField", "x")))
        assert info.value.error_code == "INVALID_ARGUMENTS" and "noSuchField" in str(info.value)
        credential = next(iter(dataset.credentials.values()))
        with pytest.raises(UrjanetProviderNotFoundError) as info:
            client.create_account(account_number="1", utility_provider_id="NoSuchUtility",
                                  extraction_channel_id=credential["id"])
        assert info.value.error_code == "PROVIDIER_NOT_FOUND"
        state.inject_faults("/account/search", [{"status": 500, "body": {
            "data": None, "status": "FAILURE", "messageCode": "ACCOUNT_SEARCH_FAILURE",
            "message": [{"messageCode": "ACCOUNT_SEARCH_FAILURE", "message": "database timeout"}]}}] * 6)
        with pytest.raises(UrjanetOperationError) as info:
            list(client.search_accounts())
        assert info.value.error_code == "ACCOUNT_SEARCH_FAILURE" and "database timeout" in str(info.value)


def test_transient_500_is_retried(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset) as client:
        state.inject_faults("/meter/search", [{"status": 500}])
        assert len(list(client.search_meters())) == len(dataset.meters)
        assert client.http.stats.retries == 1


# -- enrollment -----------------------------------------------------------------------------------------

def test_enroll_credential_account_and_meter(urjanet, caplog):
    base_url, state, dataset = urjanet
    caplog.set_level(logging.DEBUG)
    provider = next(iter(dataset.providers.values()))["providerAlias"]
    with client_for(base_url, dataset) as client:
        credential = client.create_credential(utility_provider_id=provider, username="new-login",
                                              password="utility-Pass-123")
        assert credential.id and not any(k.lower().startswith("password") for k in credential.model_dump())
        assert client.credential(credential.extraction_channel_id).id == credential.id
        with pytest.raises(UrjanetAlreadyExistsError):
            client.create_credential(utility_provider_id=provider, username="new-login", password="other-Pass-1")
        account = client.create_account(account_number="9988-7766", utility_provider_id=provider,
                                        extraction_channel_id=credential.id)
        assert account.account_number == "9988-7766" and account.created.tzinfo is not None
        with pytest.raises(UrjanetAlreadyExistsError):
            client.create_account(account_number="9988-7766", utility_provider_id=provider,
                                  extraction_channel_id=credential.id)
        updated = client.update_account(account.id, toBeDelivered=False)
        assert updated.to_be_delivered is False
        assert client.meters_by_account(account.id).records == []  # none requested yet
        found = list(client.search_credentials(Query().eq("username", "new-login").eq("password", "utility-Pass-123")))
        assert [c.id for c in found] == [credential.id]
        events = {e.event_name for e in client.change_events(Query().after("timestamp", dataset.now_ms - 1))}
        assert "AccountNominatedEvent" in events
    assert "utility-Pass-123" not in caplog.text and PASSWORD not in caplog.text


def test_metadata_calls(urjanet):
    base_url, _, dataset = urjanet
    with client_for(base_url, dataset) as client:
        service_types = client.service_types().records
        assert service_types and client.service_type(service_types[0].id).name == service_types[0].name
        providers = list(client.search_providers(Query().sort("providerAlias")))
        assert len(providers) == len(dataset.providers)
        assert client.provider(providers[0].id).provider_alias == providers[0].provider_alias
        assert client.providers_by_service_type(service_types[0].id).records
        templates = list(client.search_templates())
        assert templates and client.template(templates[0].id).template_name == templates[0].template_name
        attributes = list(client.search_attributes())
        assert attributes and client.attribute(attributes[0].id).name == attributes[0].name


# -- candidates, meters, attributes --------------------------------------------------------------------

def test_account_candidates_and_enroll_candidate(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset, page_size=4) as client:
        candidates = list(client.account_candidates(Query().eq("extractionStatus", "SUCCESS").sort("accountNumber")))
        assert {c.id for c in candidates} == set(dataset.candidate_accounts)
        assert [c.account_number for c in candidates] == sorted(c.account_number for c in candidates)
        assert all(c.enrollment_status is None and c.extraction_channels == [] for c in candidates)
        assert len(searches(state, "account/candidates")) == -(-len(candidates) // 4)
        chosen = candidates[0]
        account = client.enroll_candidate(chosen.id, {"FacilityId": "FAC-42"})
        assert account.id == chosen.id and account.enrollment_status == "SUCCESSFUL_ENROLLED"
        assert account.extraction_channels == chosen.verified_extraction_channels
        assert account.custom_attributes == {"FacilityId": "FAC-42"} and account.modified.tzinfo is not None
        assert client.account(chosen.id).subscribed is True
        assert chosen.id not in {c.id for c in client.account_candidates()}
        assert chosen.id in {a.id for a in client.search_accounts()}
        with pytest.raises(UrjanetAlreadyExistsError):
            client.enroll_candidate(chosen.id)
        with pytest.raises(VendorNotFoundError) as info:
            client.enroll_candidate("no-such-candidate")
        assert info.value.error_code == "NOT_FOUND"
        with pytest.raises(VendorRequestError) as info:
            list(client.account_candidates(Query().eq("noSuchField", "x")))
        assert info.value.error_code == "INVALID_ARGUMENTS"


def test_create_update_meter_and_meter_candidates(urjanet):
    base_url, state, dataset = urjanet
    account_id = next(iter(dataset.accounts))
    with client_for(base_url, dataset) as client:
        meter = client.create_meter(meter_number="MTR-NEW-1", utility_account_id=account_id, service_type="GAS",
                                    custom_attributes={"CostCenter": "CC-7"})
        assert meter.meter_number == "MTR-NEW-1" and meter.utility_account.id == account_id
        assert meter.service_type == "GAS" and meter.created.tzinfo is not None
        assert meter.id in {m.id for m in client.meters_by_account(account_id).records}
        with pytest.raises(UrjanetAlreadyExistsError):
            client.create_meter(meter_number="MTR-NEW-1", utility_account_id=account_id, service_type="GAS")
        with pytest.raises(VendorRequestError) as info:
            client.create_meter(meter_number="MTR-NEW-2", utility_account_id="no-such-account", service_type="GAS")
        assert info.value.error_code == "INVALID_ARGUMENTS" and "no-such-account" in str(info.value)
        updated = client.update_meter(meter.id, {"FacilityId": "F-3"})
        assert updated.custom_attributes == {"CostCenter": "CC-7", "FacilityId": "F-3"}
        assert updated.modified > meter.modified
        with pytest.raises(VendorNotFoundError):
            client.update_meter("no-such-meter", {"FacilityId": "F-3"})
        with pytest.raises(VendorRequestError) as info:
            client.update_meter(meter.id, {"NoSuchAttribute": "1"})
        assert info.value.error_code == "INVALID_ARGUMENTS"
        candidates = list(client.meter_candidates(Query().sort("meterNumber")))
        assert {m.id for m in candidates} == set(dataset.candidate_meters)
        assert [m.meter_number for m in candidates] == sorted(m.meter_number for m in candidates)
        events = {e.event_name for e in client.change_events(Query().after("timestamp", dataset.now_ms))}
        assert "MeterMixinChangeEvent" in events


def test_create_and_update_attribute(urjanet):
    base_url, state, dataset = urjanet
    with client_for(base_url, dataset) as client:
        attribute = client.create_attribute("SiteCode", required=False, cnbd_position=5)
        assert attribute.name == "SiteCode" and attribute.cnbd_position == 5 and attribute.required is False
        assert client.attribute(attribute.id).name == "SiteCode"
        with pytest.raises(UrjanetAlreadyExistsError) as info:
            client.create_attribute("FacilityId")
        assert info.value.error_code == "ALREADY_EXISTS"
        updated = client.update_attribute(attribute.id, name="SiteKey", required=True)
        assert (updated.name, updated.required) == ("SiteKey", True)
        assert {a.name for a in client.search_attributes()} == {"FacilityId", "CostCenter", "SiteKey"}
        with pytest.raises(UrjanetAlreadyExistsError):
            client.update_attribute(attribute.id, name="CostCenter")
        with pytest.raises(VendorNotFoundError):
            client.update_attribute("no-such-attribute", required=False)
