"""The WattzOn client over real HTTPS with a client certificate, against the WattzOn sandbox.

No mocks: every call goes through the TLS handshake (the sandbox requires a certificate signed by
its throwaway CA), the shared HTTP layer and the sandbox's Starlette app. Job polling uses a fake
sleep and clock, so tests are fast; the sandbox moves a job one step per status poll.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import orjson
import pytest

from connectors.core.errors import (
    ConfigurationError,
    VendorAuthError,
    VendorNotFoundError,
    VendorRequestError,
    VendorResponseError,
    VendorUnavailableError,
)
from connectors.core.http import RetryPolicy
from connectors.core.tls import issue_client_cert, make_untrusted_client
from connectors.wattzon.cli import main as cli_main
from connectors.wattzon.client import (
    NoAgentError,
    SensitiveFieldExistsError,
    TransmissionKeyError,
    WattzonClient,
)
from connectors.wattzon.jobs import TERMINAL_STATES, JobTimeoutError
from connectors.wattzon.records import BillRecord, IntervalPeriod, JobStatus, Notification

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Tr0ub4dor&3-horse-battery"


class FakeTime:
    """sleep() advances clock(): polling runs instantly and the waits can be asserted."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def client_for(wattzon, sleeps: list[float] | None = None, **kwargs) -> WattzonClient:
    _, base_url, pki, _ = wattzon
    return WattzonClient(
        base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file, ca_file=pki.ca_file,
        transport_sleep=(sleeps.append if sleeps is not None else None), **kwargs,
    )


@pytest.fixture()
def client(wattzon):
    with client_for(wattzon) as c:
        yield c


def new_profile(client: WattzonClient, username: str | None = "jane.doe", password: str | None = PASSWORD,
                provider_id: int = 3150, zipcode: str = "00007") -> int:
    profile = client.create_profile(provider_id, zipcode=zipcode, label="test profile")
    if username is not None:
        client.add_sensitive_field(profile.id, "username", username)
    if password is not None:
        client.add_sensitive_field(profile.id, "password", password)
    return profile.id


def api_calls(state, method: str, suffix: str) -> list[dict]:
    return [c for c in state.calls_snapshot() if c["method"] == method and c["path"].endswith(suffix)]


# -- basic services, ZIPs and utilities -----------------------------------------------------------


def test_echo_and_certificate_info(client):
    assert client.echo("Hello WattzOn") == "Hello WattzOn"
    info = client.certificate_info()
    assert info.client_name == "utility-data-client"
    assert info.enabled is True
    assert info.created_date < datetime.now(UTC) < info.expiration_date
    assert info.expiration_date.tzinfo is not None


def test_zip_and_utility_lookup(client):
    zip_info = client.zip_info("00007")
    assert (zip_info.zipcode, zip_info.city, zip_info.state) == ("00007", "Randomtown", "RI")
    assert isinstance(zip_info.latitude, Decimal)

    assert client.find_utilities(zipcode="00007") == [3149, 3150]
    assert client.find_utilities(zipcode="00007", type="gas") == [3149]
    assert 1201 in client.find_utilities(name="pacific gas")
    provider = client.utility(3150)
    assert (provider.id, provider.name, provider.types) == (3150, "Mock Utility (electric only)", ["electricity"])
    assert client.utility(1201).types == ["electricity", "gas"] and client.utility(1201).lseid == "14328"

    with pytest.raises(ValueError, match="zipcode or a name"):
        client.find_utilities()


def test_vendor_error_messages_reach_the_exception(client):
    with pytest.raises(VendorNotFoundError) as info:
        client.zip_info("99999")
    assert "wattzon: GET /zips/99999/ failed with HTTP 404: ZIP not found" in str(info.value)
    with pytest.raises(VendorNotFoundError, match="Utility Provider not found"):
        client.find_utilities(zipcode="00000")
    with pytest.raises(VendorNotFoundError, match="Utility Provider not found"):
        client.utility(1)
    with pytest.raises(VendorRequestError, match="HTTP 400: Error loading the zipcode"):
        client.zip_info("abc")
    assert client.http.stats.retries == 0  # 4xx are final


# -- profiles and tags ----------------------------------------------------------------------------


def test_profile_lifecycle(client):
    existing = client.list_profiles()
    assert existing == [101, 102, 103, 104, 105, 106]

    created = client.create_profile(3150, zipcode="00007", label="CRM-4711")
    assert created.id == created.profile_id and created.id not in existing
    assert (created.utility_provider_id, created.utility_provider, created.zipcode, created.label) == (
        3150, "Mock Utility (electric only)", "00007", "CRM-4711")

    fetched = client.get_profile(created.id)
    assert fetched.id == created.id and fetched.label == "CRM-4711"
    assert fetched.created.tzinfo is not None and fetched.modified >= fetched.created

    assert client.list_profiles(label="CRM-4711") == [created.id]
    assert client.list_profiles(ids=[created.id, 101]) == [101, created.id]
    assert client.list_profiles(provider=3150, start_date=fetched.created.date()) == [created.id]
    assert client.list_profiles(label="no such label") == []

    changed = client.change_profile(created.id, provider_id=3149, label="CRM-4712")
    assert (changed.id, changed.utility_provider_id, changed.label, changed.zipcode) == (
        created.id, 3149, "CRM-4712", "00007")
    with pytest.raises(ValueError, match="not \\['color'\\]"):
        client.change_profile(created.id, color="red")

    assert client.list_tags(created.id) == []
    assert client.add_tag(created.id, "brand new tag") is True  # 201: created
    assert client.add_tag(created.id, "residential") is False  # 200: the tag existed
    assert client.list_tags(created.id) == ["brand new tag", "residential"]
    assert client.list_profiles(tags=["brand new tag"]) == [created.id]
    client.delete_tag(created.id, "brand new tag")
    assert client.list_tags(created.id) == ["residential"]
    with pytest.raises(VendorNotFoundError, match="Tag not found"):
        client.delete_tag(created.id, "brand new tag")

    client.delete_profile(created.id)
    with pytest.raises(VendorNotFoundError, match="Profile not found"):
        client.get_profile(created.id)
    assert created.id not in client.list_profiles()


def test_create_profile_errors_are_clear(client):
    with pytest.raises(VendorNotFoundError, match="Utility provider not found"):
        client.create_profile(42, zipcode="00007")
    with pytest.raises(VendorNotFoundError, match="ZIP not found"):
        client.create_profile(3150, zipcode="99999")


# -- sensitive fields -----------------------------------------------------------------------------


def test_sensitive_fields_round_trip(client, wattzon, caplog):
    *_, state = wattzon
    caplog.set_level(logging.DEBUG)
    profile_id = client.create_profile(3150, zipcode="00007").id
    assert client.list_sensitive_fields(profile_id) == []

    client.add_sensitive_field(profile_id, "username", "jane.doe@example.com")
    client.add_sensitive_field(profile_id, "password", PASSWORD)
    assert client.list_sensitive_fields(profile_id) == ["password", "username"]
    # What the sandbox decrypted (RSA-OAEP SHA-1 with its private key) is exactly the plaintext.
    assert state.sensitive_values(profile_id) == {"username": "jane.doe@example.com", "password": PASSWORD}

    client.change_sensitive_field(profile_id, "password", "n3w-p4ssw0rd-ünïcode")
    assert state.sensitive_values(profile_id)["password"] == "n3w-p4ssw0rd-ünïcode"

    client.delete_sensitive_field(profile_id, "username")
    assert client.list_sensitive_fields(profile_id) == ["password"]
    with pytest.raises(VendorNotFoundError, match="Field not found"):
        client.delete_sensitive_field(profile_id, "username")
    with pytest.raises(VendorNotFoundError, match="Sensitive field not found"):
        client.change_sensitive_field(profile_id, "username", "someone")

    client.set_sensitive_field(profile_id, "username", "again")  # add, since it is gone
    client.set_sensitive_field(profile_id, "username", "changed")  # 409, then change
    assert state.sensitive_values(profile_id)["username"] == "changed"

    # One transmission key served all of it (cached until shortly before it expires).
    assert len(api_calls(state, "GET", "/profiles/keys")) == 1
    assert PASSWORD not in caplog.text and "n3w-p4ssw0rd" not in caplog.text


def test_duplicate_add_is_a_clear_409(client, wattzon):
    *_, state = wattzon
    profile_id = new_profile(client)
    with pytest.raises(SensitiveFieldExistsError) as info:
        client.add_sensitive_field(profile_id, "username", "someone-else")
    message = str(info.value)
    assert f"profile {profile_id} already has a 'username' field; change it instead" in message
    assert "someone-else" not in message
    assert info.value.status == 409 and isinstance(info.value, VendorRequestError)
    assert state.sensitive_values(profile_id)["username"] == "jane.doe"  # never overwritten


def test_expired_key_is_refetched_once_and_the_value_resent(client, wattzon):
    *_, state = wattzon
    profile_id = client.create_profile(3150, zipcode="00007").id
    client.add_sensitive_field(profile_id, "username", "jane.doe")  # caches the key
    state.expire_keys()  # the client's cached key still looks valid to it
    client.add_sensitive_field(profile_id, "password", PASSWORD)

    assert state.sensitive_values(profile_id) == {"username": "jane.doe", "password": PASSWORD}
    assert len(api_calls(state, "GET", "/profiles/keys")) == 2
    posts = api_calls(state, "POST", f"/profiles/{profile_id}/sensitive")
    assert [c["status"] for c in posts] == [201, 403, 201]


def test_key_expired_twice_raises_clearly(client, wattzon):
    *_, state = wattzon
    profile_id = client.create_profile(3150, zipcode="00007").id
    state.inject_faults(f"/profiles/{profile_id}/sensitive", [{"status": 403, "body": {"error": "Key expired"}}] * 3,
                        method="POST")
    with pytest.raises(TransmissionKeyError) as info:
        client.add_sensitive_field(profile_id, "password", PASSWORD)
    message = str(info.value)
    assert "expired transmission key" in message and "Key expired" in message and "'password'" in message
    assert PASSWORD not in message
    assert isinstance(info.value, VendorAuthError) and info.value.status == 403
    assert len(api_calls(state, "POST", f"/profiles/{profile_id}/sensitive")) == 2  # retried once, not more
    assert len(api_calls(state, "GET", "/profiles/keys")) == 2
    assert state.sensitive_values(profile_id) == {}


def test_decryption_failure_is_not_retried(client, wattzon):
    *_, state = wattzon
    profile_id = client.create_profile(3150, zipcode="00007").id
    state.inject_faults(f"/profiles/{profile_id}/sensitive", [{"status": 403, "body": {"error": "Decryption failed"}}])
    with pytest.raises(VendorAuthError, match="HTTP 403: Decryption failed") as info:
        client.add_sensitive_field(profile_id, "username", "jane.doe")
    assert not isinstance(info.value, TransmissionKeyError)
    assert len(api_calls(state, "POST", f"/profiles/{profile_id}/sensitive")) == 1


def test_sensitive_value_arguments_are_checked(client):
    with pytest.raises(ValueError, match="non-empty"):
        client.add_sensitive_field(101, "password", "")


# -- jobs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("jane.doe", "success"),
        ("partial", "partial_success"),
        ("credential_error", "credential_error"),
        ("action_needed", "action_needed"),
        ("unexpected_presentation", "unexpected_presentation"),
        ("timeout_site", "timeout_site"),
        ("site_error", "site_error"),
        ("terminated", "terminated"),
        ("agent_failure", "agent_failure"),
        ("timeout_agent", "timeout_agent"),
        (None, "incomplete_parameters"),
    ],
)
def test_polling_reaches_each_terminal_state(client, wattzon, username, expected):
    *_, state = wattzon
    profile_id = new_profile(client, username=username, password=None if username is None else PASSWORD)
    job_id = client.start_job(profile_id)
    fake = FakeTime()
    final = client.wait_for_job(job_id, sleep=fake.sleep, clock=fake.clock)

    assert isinstance(final, JobStatus)
    assert final.finished is True and final.job_id == job_id
    assert final.job_status == f"AgentState.{expected}" and final.status == expected
    assert final.is_success is (expected in ("success", "partial_success"))
    assert expected in TERMINAL_STATES
    # Capped exponential backoff: 2, 4, 8, ... up to 60 s.
    assert fake.sleeps == [min(2 * 2**i, 60) for i in range(len(fake.sleeps))]
    polls = api_calls(state, "GET", f"/jobs/{job_id}")
    assert len(polls) == len(fake.sleeps) + 1
    assert client.last_job(profile_id).job_status == f"AgentState.{expected}"

    notification = Notification.model_validate(state.receive_notifications()[-1])
    assert (notification.profile_id, notification.job_id, notification.final_state) == (profile_id, job_id, expected)
    assert notification.app == "link" and notification.mode == "bill" and notification.created_at.tzinfo is not None


def test_successful_job_data_is_retrievable_by_job(client):
    profile_id = new_profile(client, username="partial")
    job_id = client.start_job(profile_id, send_notification=False)
    fake = FakeTime()
    final = client.wait_for_job(job_id, sleep=fake.sleep, clock=fake.clock)
    assert final.status == "partial_success" and final.is_success
    bills = client.bills(profile_id, job_id=job_id)
    assert bills.records and not bills.rejected
    assert all(r.cached_job_id == job_id and r.cached is False for r in bills.records)


def test_an_unknown_status_code_is_kept_and_polling_goes_on(client, wattzon):
    *_, state = wattzon
    (unknown_profile,) = state.dataset.summary()["unknown_status_profile_ids"]
    job_id = client.start_job(unknown_profile)
    seen = []
    while True:
        status = client.job_status(job_id)
        seen.append(status.status)
        if status.finished:
            break
    assert "captcha_wait" in seen  # not in the seed's list: kept as sent, not an error
    assert seen[-1] == "success" and seen.index("captcha_wait") == seen.index("login") + 1

    job_id = client.start_job(unknown_profile)
    fake = FakeTime()
    assert client.wait_for_job(job_id, sleep=fake.sleep, clock=fake.clock).status == "success"


def test_completion_is_decided_by_finished_only(client, wattzon):
    *_, state = wattzon
    profile_id = new_profile(client)
    job_id = client.start_job(profile_id)
    state.inject_faults(f"/jobs/{job_id}", [
        # A known terminal name without finished=true: still running.
        {"status": 200, "body": {"job_id": job_id, "job_status": "AgentState.success", "finished": False}},
        # A code WattzOn might add one day, with finished=true: done, kept as sent.
        {"status": 200, "body": {"job_id": job_id, "job_status": "AgentState.mfa_expired", "finished": True,
                                 "detail": "new"}},
    ])
    fake = FakeTime()
    final = client.wait_for_job(job_id, sleep=fake.sleep, clock=fake.clock)
    assert (final.job_status, final.status, final.finished, final.detail) == (
        "AgentState.mfa_expired", "mfa_expired", True, "new")
    assert final.is_success is False
    assert fake.sleeps == [2]


def test_malformed_answers_are_vendor_response_errors(client, wattzon):
    *_, state = wattzon
    job_id = client.start_job(101)
    state.inject_faults(f"/jobs/{job_id}", [{"status": 200, "body": {"job_status": "x", "finished": "maybe"}}])
    with pytest.raises(VendorResponseError, match="finished: expected true or false, got 'maybe'"):
        client.job_status(job_id)
    state.inject_faults("/profiles/keys", [{"status": 200, "body": {"expires": 1}}])
    with pytest.raises(VendorResponseError, match="transmission key without public_key"):
        client.add_sensitive_field(101, "token", "value")
    state.inject_faults("/profiles", [{"status": 200, "raw": "<html>oops</html>"}], method="GET")
    with pytest.raises(VendorResponseError, match="not valid JSON"):
        client.list_profiles()


def test_deadline_raises_job_timeout_naming_job_and_status(client):
    profile_id = new_profile(client)
    job_id = client.start_job(profile_id)
    fake = FakeTime()
    with pytest.raises(JobTimeoutError) as info:
        client.wait_for_job(job_id, deadline_s=10, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [2, 4, 4]  # never sleeps past the deadline
    message = str(info.value)
    assert job_id in message and "AgentState.login" in message and "within 10s" in message
    assert info.value.job_id == job_id and info.value.last.status == "login"


def test_max_interval_caps_the_backoff(client):
    profile_id = new_profile(client)
    job_id = client.start_job(profile_id)
    fake = FakeTime()
    client.wait_for_job(job_id, initial_interval_s=1, max_interval_s=5, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [1, 2, 4, 5, 5, 5, 5, 5, 5]


def test_start_job_errors(client):
    no_agent = new_profile(client, provider_id=5012, zipcode="78701")
    with pytest.raises(NoAgentError) as info:
        client.start_job(no_agent)
    assert "HTTP 404: No agent for provider" in str(info.value)
    assert f"no extraction agent for the utility provider of profile {no_agent}" in str(info.value)
    assert isinstance(info.value, VendorNotFoundError)

    with pytest.raises(VendorNotFoundError, match="Profile not found"):
        client.start_job(999999)
    with pytest.raises(ValueError, match="mode"):
        client.start_job(101, mode="everything")
    with pytest.raises(VendorNotFoundError, match="Job not found"):
        client.job_status("3b7471eb-7e35-4a45-b081-e9cfa9d71e75")
    with pytest.raises(VendorNotFoundError, match="Job not found"):
        client.last_job(client.create_profile(3150).id)


def test_interval_job_and_historical_last_job(client):
    last = client.last_job(101)
    assert last.finished and last.status == "success"  # historical jobs report AgentState.success
    profile_id = new_profile(client, provider_id=3149)
    job_id = client.start_job(profile_id, mode="interval")
    fake = FakeTime()
    assert client.wait_for_job(job_id, sleep=fake.sleep, clock=fake.clock).is_success
    periods = client.interval_periods(profile_id)
    assert periods.records and all(p.job_id_extracted == job_id for p in periods.records)


# -- data -----------------------------------------------------------------------------------------


def test_bills_are_typed_and_tolerant(client):
    parsed = client.bills(101)  # Mock Utility Provider (electric+gas)
    assert parsed.records and not parsed.rejected and len(parsed.raws) == len(parsed.records)
    types = {r.type for r in parsed.records}
    assert types == {"electricity", "gas", "billing"}
    electric = next(r for r in parsed.records if r.type == "electricity")
    assert electric.start_date.tzinfo is UTC and electric.end_date > electric.start_date
    assert electric.end_date.time().isoformat() == "23:59:59"
    assert isinstance(electric.cost, Decimal) and isinstance(electric.usage, Decimal) and electric.units == "KWh"
    assert electric.meter_number and electric.service_id and electric.currency == "USD"
    billing = next(r for r in parsed.records if r.type == "billing")
    assert isinstance(billing.total_amount_due, Decimal) and billing.due_date.tzinfo is UTC
    assert billing.total_amount_due == billing.previous_balance - billing.payment_received + billing.current_charges
    assert {r.cached_job_id for r in parsed.records} and all(isinstance(r.cached, bool) for r in parsed.records)
    assert parsed.records[0].unknown_fields == []


def test_older_agent_records_keep_date(client, wattzon):
    *_, state = wattzon
    con_ed = next(p.id for p in state.dataset.profiles if p.provider_id == 1377)
    records = client.bills(con_ed).records
    legacy = [r for r in records if r.type != "billing" and r.start_date is None]
    assert legacy, "the sandbox's older agent sends date-only records"
    assert all(r.date is not None and r.date.tzinfo is UTC and r.end_date is None for r in legacy)
    assert all(r.period_start == r.date == r.period_end for r in legacy)
    assert not legacy[0].pdf


def test_tolerant_bill_parsing_quarantines_bad_records(client, wattzon):
    *_, state = wattzon
    raw = [
        {"bill_id": "a1", "type": "gas", "cost": "21.25", "usage": "13.72", "start_date": "2016-10-01T00:00:00",
         "end_date": "2016-10-31T23:59:59", "cached": "false", "brand_new_field": 1},
        {"bill_id": "a2", "type": "electricity", "start_date": "2016-11-30T00:00:00",
         "end_date": "2016-11-01T00:00:00"},
        {"type": "water"},
        "not an object",
        {"bill_id": "a3", "type": "electricity", "cost": "lots"},
    ]
    state.inject_faults("/data/bills/101", [{"status": 200, "body": raw}])
    parsed = client.bills(101)
    assert [r.bill_id for r in parsed.records] == ["a1"]
    assert parsed.records[0].cost == Decimal("21.25") and parsed.records[0].cached is False
    assert parsed.records[0].unknown_fields == ["brand_new_field"]
    reasons = [r.reason for r in parsed.rejected]
    assert "before start_date" in reasons[0]
    assert "without bill_id" in reasons[1]
    assert "not a JSON object" in reasons[2]
    assert "cost" in reasons[3] and "'lots'" in reasons[3]

    state.inject_faults("/data/bills/101", [{"status": 200, "body": {"data": raw[:1]}}])
    assert [r.bill_id for r in client.bills(101).records] == ["a1"]  # the documented {"data": [...]} form


def test_bills_not_found_and_by_job(client, wattzon):
    with pytest.raises(VendorNotFoundError, match="Bills not found"):
        client.bills(client.create_profile(3150).id)
    latest = client.last_job(101)
    everything = client.bills_raw(101)
    assert everything and all(isinstance(r, dict) for r in everything)
    with pytest.raises(VendorNotFoundError, match="Job not found"):
        client.bills(101, job_id="3b7471eb-7e35-4a45-b081-e9cfa9d71e75")
    assert latest.job_id


def test_bill_pdf_by_ids_and_by_uri(client, wattzon):
    _, base_url, _, _ = wattzon
    record = next(r for r in reversed(client.bills(101).records) if r.pdf)
    by_ids = client.bill_pdf(101, record.bill_id)
    by_uri = client.bill_pdf(record.pdf)
    full_url = base_url.split("/link/")[0] + record.pdf
    assert by_ids == by_uri == client.bill_pdf(full_url)
    assert by_ids.startswith(b"%PDF-")
    with pytest.raises(ValueError, match="not on the API host"):
        client.bill_pdf("https://elsewhere.example" + record.pdf)
    with pytest.raises(ValueError, match="not under the API path"):
        client.bill_pdf("/other/api/data/bills/101/x/pdf")
    with pytest.raises(VendorNotFoundError, match="Bill not found"):
        client.bill_pdf(101, "0" * 24)


def test_interval_periods_and_files(client):
    parsed = client.interval_periods(101)
    assert parsed.records and not parsed.rejected
    period = parsed.records[0]
    assert isinstance(period, IntervalPeriod)
    assert period.meter_id == "__mock_meter__101" and len(period.month_id) == 7
    assert period.first_interval.tzinfo is UTC and period.last_interval > period.first_interval
    assert period.complete is True and period.source_file_size > 0 and period.job_id_extracted
    assert parsed.records[-1].complete is False  # the current month

    as_json = orjson.loads(client.interval_file(101, period.meter_id, period.month_id))
    assert as_json["month_id"] == period.month_id and as_json["readings"]
    assert as_json["readings"][0]["start"] == int(period.first_interval.timestamp())
    as_csv = client.interval_file(101, period.meter_id, period.month_id, format="csv")
    assert as_csv.startswith(b"start,end,start_local,value\n")
    source = client.interval_file(101, period.meter_id, period.month_id, format="source")
    assert len(source) == period.source_file_size

    with pytest.raises(ValueError, match="format"):
        client.interval_file(101, period.meter_id, period.month_id, format="xml")
    with pytest.raises(ValueError, match="YYYY-MM"):
        client.interval_file(101, period.meter_id, "2025-13")
    with pytest.raises(VendorNotFoundError, match="Interval not found"):
        client.interval_file(101, period.meter_id, "1999-01")


def test_older_agent_intervals_have_only_the_source(client, wattzon):
    *_, state = wattzon
    con_ed = next(p.id for p in state.dataset.profiles if p.provider_id == 1377)
    oldest = client.interval_periods(con_ed).records[0]
    with pytest.raises(VendorNotFoundError, match="Normalized data not available"):
        client.interval_file(con_ed, oldest.meter_id, oldest.month_id, format="json")
    assert client.interval_file(con_ed, oldest.meter_id, oldest.month_id, format="source")


def test_profile_without_intervals(client, wattzon):
    *_, state = wattzon
    water = next(p.id for p in state.dataset.profiles if p.provider_id == 2210)
    with pytest.raises(VendorNotFoundError, match="No intervals found"):
        client.interval_periods(water)


# -- retries --------------------------------------------------------------------------------------


def test_429_with_retry_after_then_success(wattzon):
    *_, state = wattzon
    state.inject_faults("/profiles", [{"status": 429, "retry_after": 3}], method="GET")
    sleeps: list[float] = []
    with client_for(wattzon, sleeps) as client:
        assert client.list_profiles() == [101, 102, 103, 104, 105, 106]
    assert sleeps == [3.0]
    assert client.http.stats.retries == 1 and client.http.stats.by_status["429"] == 1


def test_500_then_success(wattzon):
    *_, state = wattzon
    state.inject_faults("/data/bills/101", [{"status": 500}, {"status": 503}])
    sleeps: list[float] = []
    with client_for(wattzon, sleeps) as client:
        assert client.bills(101).records
    assert len(sleeps) == 2 and all(0 < s <= 30 for s in sleeps)


def test_persistent_5xx_is_a_clear_unavailable_error(wattzon):
    *_, state = wattzon
    state.inject_faults("/echo", [{"status": 502}] * 3)
    with client_for(wattzon, [], retry=RetryPolicy(max_attempts=3)) as client, \
            pytest.raises(VendorUnavailableError) as info:
        client.echo("x")
    assert "wattzon: GET /echo/ failed with HTTP 502 after 3 attempts" in str(info.value)


# -- certificates and connection settings ---------------------------------------------------------


def test_https_without_a_certificate_is_a_configuration_error(wattzon, tmp_path):
    _, base_url, pki, _ = wattzon
    with pytest.raises(ConfigurationError) as info:
        WattzonClient(base_url, ca_file=pki.ca_file)
    assert "WATTZON_CERT_FILE" in str(info.value) and "WATTZON_KEY_FILE" in str(info.value)
    with pytest.raises(ConfigurationError, match="WATTZON_KEY_FILE"):
        WattzonClient(base_url, cert_file=pki.client_cert_file, ca_file=pki.ca_file)
    with pytest.raises(ConfigurationError, match="WATTZON_CERT_FILE.*does not exist"):
        WattzonClient(base_url, cert_file=tmp_path / "missing.pem", key_file=pki.client_key_file)
    with pytest.raises(ConfigurationError, match="WATTZON_KEY_FILE.*not a file"):
        WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=tmp_path)
    with pytest.raises(ConfigurationError, match="WATTZON_CA_FILE"):
        WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                      ca_file=tmp_path / "nope.pem")
    with pytest.raises(ConfigurationError, match="WATTZON_CERT_FILE/WATTZON_KEY_FILE"):
        WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.server_key_file, ca_file=pki.ca_file)
    with pytest.raises(ConfigurationError, match="plain HTTP"):
        WattzonClient("http://api.wattzon.com/link/4.0")
    # The default (production) URL needs a certificate too.
    with pytest.raises(ConfigurationError, match="WATTZON_CERT_FILE"):
        WattzonClient()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_key_file_is_a_configuration_error(wattzon, tmp_path):
    _, base_url, pki, _ = wattzon
    key = tmp_path / "client.key"
    key.write_bytes(pki.client_key_file.read_bytes())
    key.chmod(0)
    with pytest.raises(ConfigurationError, match="WATTZON_KEY_FILE.*not readable"):
        WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=key)


def test_untrusted_client_certificate_fails_to_connect(wattzon, tmp_path):
    _, base_url, pki, _ = wattzon
    rogue = make_untrusted_client(tmp_path / "rogue")
    sleeps: list[float] = []
    with WattzonClient(base_url, cert_file=rogue.cert_file, key_file=rogue.key_file, ca_file=pki.ca_file,
                       retry=RetryPolicy(max_attempts=2), transport_sleep=sleeps.append) as client, \
            pytest.raises(VendorUnavailableError) as info:
        client.echo("hello")
    assert "wattzon: GET /echo/ failed with no response" in str(info.value)
    assert info.value.status is None


def test_expired_client_certificate_fails_to_connect(wattzon, tmp_path):
    _, base_url, pki, _ = wattzon
    now = datetime.now(UTC)
    expired = issue_client_cert(pki, tmp_path / "expired", stem="expired",
                                not_before=now.replace(year=now.year - 2), not_after=now.replace(year=now.year - 1))
    with WattzonClient(base_url, cert_file=expired.cert_file, key_file=expired.key_file, ca_file=pki.ca_file,
                       retry=RetryPolicy(max_attempts=1)) as client, pytest.raises(VendorUnavailableError):
        client.echo("hello")


def test_server_not_trusted_without_its_ca(wattzon):
    _, base_url, pki, _ = wattzon
    with WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                       retry=RetryPolicy(max_attempts=1)) as client, pytest.raises(VendorUnavailableError) as info:
        client.echo("hello")
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_plain_http_sandbox_needs_no_certificate():
    from connectors.wattzon.sandbox import start_wattzon_sandbox

    server, base_url, pki = start_wattzon_sandbox(tls=False, seed=3, profiles=2, months=3)
    try:
        assert pki is None and base_url.startswith("http://127.0.0.1:")
        with WattzonClient(base_url) as client:
            assert client.echo("plain") == "plain"
            profile_id = new_profile(client)
            assert server.app.state.sandbox.sensitive_values(profile_id)["password"] == PASSWORD
            fake = FakeTime()
            assert client.wait_for_job(client.start_job(profile_id), sleep=fake.sleep, clock=fake.clock).is_success
    finally:
        server.stop()


# -- CLI ------------------------------------------------------------------------------------------


def cli_env(wattzon, **extra: str) -> dict[str, str]:
    _, base_url, pki, _ = wattzon
    env = {k: v for k, v in os.environ.items() if not k.startswith("WATTZON_")}
    env.update({
        "WATTZON_BASE_URL": base_url,
        "WATTZON_CERT_FILE": str(pki.client_cert_file),
        "WATTZON_KEY_FILE": str(pki.client_key_file),
        "WATTZON_CA_FILE": str(pki.ca_file),
        "PYTHONPATH": str(PROJECT_ROOT),
    })
    env.update(extra)
    return env


def fields_of(output: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


def test_cli_link_end_to_end(wattzon):
    *_, state = wattzon
    result = subprocess.run(
        [sys.executable, "-m", "connectors.wattzon", "link", "--provider-id", "3150", "--zipcode", "00007",
         "--username", "jane.cli@example.com", "--label", "CLI-1", "--tag", "residential", "--tag", "cli",
         "--wait", "--poll-interval", "0.01", "--max-poll-interval", "0.05"],
        env=cli_env(wattzon, WATTZON_LINK_PASSWORD=PASSWORD), cwd=PROJECT_ROOT, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = fields_of(result.stdout)
    profile_id, job_id = int(out["profile_id"]), out["job_id"]
    assert out["job_status"] == "AgentState.success" and out["final"].startswith("success (finished)")

    assert state.sensitive_values(profile_id) == {"username": "jane.cli@example.com", "password": PASSWORD}
    assert job_id in state.jobs and state.jobs[job_id].profile_id == profile_id
    profile = state.profiles[profile_id]
    assert (profile.label, profile.tags, profile.provider_id) == ("CLI-1", ["residential", "cli"], 3150)
    for secret in (PASSWORD, "jane.cli@example.com"):
        assert secret not in result.stdout and secret not in result.stderr


def test_cli_link_without_wait_and_failed_job_exit_code(wattzon):
    *_, state = wattzon
    env = cli_env(wattzon, WATTZON_LINK_PASSWORD=PASSWORD)
    args = ["link", "--provider-id", "3149", "--zipcode", "00007", "--username", "credential_error",
            "--mode", "interval"]
    from io import StringIO

    out, err = StringIO(), StringIO()
    assert cli_main(args, env=env, stdout=out, stderr=err) == 0
    fields = fields_of(out.getvalue())
    assert set(fields) == {"profile_id", "job_id"}
    assert state.jobs[fields["job_id"]].mode == "interval"

    out, err = StringIO(), StringIO()
    wait = ["--wait", "--poll-interval", "0.01", "--max-poll-interval", "0.05"]
    code = cli_main(["job", fields["job_id"], *wait], env=env, stdout=out, stderr=err)
    assert code == 3  # finished without success
    assert fields_of(out.getvalue())["job_status"] == "AgentState.credential_error"
    assert PASSWORD not in out.getvalue() + err.getvalue()


def test_cli_errors_are_clear(wattzon, tmp_path):
    from io import StringIO

    # No certificate configured: a configuration error naming the variables, exit 2.
    env = cli_env(wattzon, WATTZON_LINK_PASSWORD=PASSWORD)
    del env["WATTZON_CERT_FILE"], env["WATTZON_KEY_FILE"]
    out, err = StringIO(), StringIO()
    assert cli_main(["echo"], env=env, stdout=out, stderr=err) == 2
    assert "WATTZON_CERT_FILE" in err.getvalue() and "WATTZON_KEY_FILE" in err.getvalue()

    # No password and no terminal: exit 2 before anything is created.
    env = cli_env(wattzon)
    out, err = StringIO(), StringIO()
    code = cli_main(["link", "--provider-id", "3150", "--username", "u"], env=env, stdout=out, stderr=err,
                    stdin=StringIO())
    assert code == 2 and "WATTZON_LINK_PASSWORD" in err.getvalue()

    # A provider without an agent: the profile is created, the job is refused, exit 1.
    out, err = StringIO(), StringIO()
    code = cli_main(["link", "--provider-id", "5012", "--zipcode", "78701", "--username", "u"],
                    env=cli_env(wattzon, WATTZON_LINK_PASSWORD=PASSWORD), stdout=out, stderr=err)
    assert code == 1
    assert "No agent for provider" in err.getvalue() and "profile_id" in out.getvalue()
    assert PASSWORD not in out.getvalue() + err.getvalue()

    # --password works, with a warning about shell history.
    out, err = StringIO(), StringIO()
    code = cli_main(["link", "--provider-id", "3150", "--username", "u", "--password", "pw-on-cmdline"],
                    env=cli_env(wattzon), stdout=out, stderr=err)
    assert code == 0 and "shell history" in err.getvalue()
    assert "pw-on-cmdline" not in out.getvalue() + err.getvalue()


def test_cli_echo_and_certificate(wattzon):
    from io import StringIO

    out = StringIO()
    assert cli_main(["echo", "ping"], env=cli_env(wattzon), stdout=out, stderr=StringIO()) == 0
    assert out.getvalue().strip() == "ping"
    out = StringIO()
    assert cli_main(["certificate"], env=cli_env(wattzon), stdout=out, stderr=StringIO()) == 0
    info = fields_of(out.getvalue())
    assert info["client_name"] == "utility-data-client" and info["enabled"] == "True"


# -- records --------------------------------------------------------------------------------------


def test_notification_and_job_status_records():
    message = {
        "app": "link", "profile_id": 121, "job_id": "62f1c29e-aca8-40b8-aa9f-eb436539e3fe", "tags": ["example", "tags"],
        "created_at": "2017-01-16 04:47:17.155559+00:00", "final_state": "success", "mode": "bill",
        "existing_records": 12, "new_records": 1,
    }
    notification = Notification.model_validate(message)
    assert notification.created_at == datetime(2017, 1, 16, 4, 47, 17, 155559, tzinfo=UTC)
    assert notification.is_success and notification.tags == ["example", "tags"]
    assert not Notification.model_validate({**message, "final_state": "AgentState.site_error"}).is_success

    status = JobStatus.model_validate({"job_id": "j", "job_status": "AgentState.some_future_code", "finished": "true"})
    assert (status.status, status.finished, status.is_success) == ("some_future_code", True, False)
    assert JobStatus.model_validate({"job_id": "j", "job_status": "login"}).finished is False
    assert BillRecord.model_validate({"bill_id": "b", "type": "gas", "date": "2015-06-15"}).date == datetime(
        2015, 6, 15, tzinfo=UTC)
