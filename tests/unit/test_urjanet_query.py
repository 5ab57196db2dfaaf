"""Urjanet query-criteria builder (Appendix C), envelope checks and Appendix D error mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from connectors.core.errors import (
    VendorAuthError,
    VendorNotFoundError,
    VendorRequestError,
    VendorResponseError,
    VendorUnavailableError,
)
from connectors.core.redaction import redact
from connectors.urjanet.client import (
    ERROR_CODES,
    UrjanetAlreadyExistsError,
    UrjanetClient,
    UrjanetOperationError,
    UrjanetProviderNotFoundError,
    error_for_code,
    parse_error,
    unwrap,
)
from connectors.urjanet.query import MAX_PAGE_LENGTH, Condition, Operator, Query, Sort, epoch_ms
from connectors.urjanet.records import Account, ChangeEvent, Credential, Meter, Provider, from_epoch_ms

MOMENT = datetime(2015, 2, 13, 18, 12, 9, 417000, tzinfo=UTC)
MOMENT_MS = 1423851129417


def conditions(query: Query) -> list[dict]:
    return query.to_json()["filter"]["conditions"]


# -- the seed's example -----------------------------------------------------------------------------

def test_renders_the_seed_example():
    query = Query().startswith("accountNumber", "100").sort("accountNumber", "asc").page(0, 100)
    assert query.to_json() == {
        "start": 0, "length": 100,
        "sorts": [{"field": "accountNumber", "direction": "asc"}],
        "filter": {"conditions": [{"field": "accountNumber", "operator": "startswith", "value": "100"}]},
    }


def test_empty_query_has_null_sorts_and_filter_and_default_length():
    assert Query().to_json() == {"start": 0, "length": 100, "sorts": None, "filter": None}


# -- every operator ----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, op, value, rendered", [
    ("eq", "eq", "PENDING", "PENDING"),
    ("eq", "eq", 5, 5),
    ("neq", "neq", "X", "X"),
    ("ne", "ne", 3.5, 3.5),
    ("gt", "gt", 10, 10),
    ("lt", "lt", 10.5, 10.5),
    ("gte", "gte", 0, 0),
    ("lte", "lte", 99, 99),
    ("include", "include", "Georgia", "Georgia"),
    ("includes", "includes", "Georgia", "Georgia"),
    ("startswith", "startswith", "012345", "012345"),
    ("endswith", "endswith", "789", "789"),
    ("notinclude", "notinclude", "test", "test"),
    ("is_", "is", True, True),
    ("is_", "is", False, False),
    ("before", "before", MOMENT, MOMENT_MS),
    ("after", "after", date(2020, 1, 1), 1577836800000),
    ("on", "on", MOMENT_MS, MOMENT_MS),
])
def test_every_valued_operator(method, op, value, rendered):
    query = getattr(Query(), method)("field1", value)
    assert conditions(query) == [{"field": "field1", "operator": op, "value": rendered}]


@pytest.mark.parametrize("method, op", [("isblank", "isblank"), ("notblank", "notblank")])
def test_valueless_operators(method, op):
    assert conditions(getattr(Query(), method)("message")) == [{"field": "message", "operator": op}]


def test_every_appendix_c_operator_has_a_method():
    names = {o.value for o in Operator}
    assert names == {"eq", "neq", "ne", "gt", "lt", "gte", "lte", "include", "includes", "startswith", "endswith",
                     "notinclude", "is", "before", "after", "on", "isblank", "notblank"}
    for op in Operator:
        assert hasattr(Query, op.value if op.value != "is" else "is_")


def test_where_accepts_operator_strings_and_conditions_are_anded_in_order():
    query = Query().where("enrollmentStatus", "eq", "PENDING").where("subscribed", Operator.IS, True)
    assert [c["field"] for c in conditions(query)] == ["enrollmentStatus", "subscribed"]
    with pytest.raises(ValueError):
        Query().where("x", "like", "a")


@pytest.mark.parametrize("method, value", [
    ("gt", "10"), ("lte", True), ("is_", "true"), ("is_", 1), ("before", "2020-01-01"), ("startswith", 12),
    ("include", None), ("eq", True), ("eq", [1]), ("eq", None),
])
def test_values_are_checked_against_the_operator(method, value):
    with pytest.raises(ValueError):
        getattr(Query(), method)("f", value)


def test_valueless_operator_rejects_a_value():
    with pytest.raises(ValueError):
        Query().where("f", "isblank", "x")


def test_dates_become_epoch_milliseconds():
    eastern = timezone(timedelta(hours=-5))
    assert epoch_ms(datetime(2015, 2, 13, 13, 12, 9, 417000, tzinfo=eastern)) == MOMENT_MS
    assert epoch_ms(datetime(2015, 2, 13, 18, 12, 9, 417999)) == MOMENT_MS  # naive = UTC, truncated to ms
    assert epoch_ms(date(1970, 1, 2)) == 86_400_000
    assert conditions(Query().eq("created", date(1970, 1, 1))) == [{"field": "created", "operator": "eq", "value": 0}]


# -- sorts, window, immutability ------------------------------------------------------------------------

def test_sorts_in_order_and_direction_normalised():
    query = Query().sort("accountNumber").sort("created", "DESC")
    assert query.to_json()["sorts"] == [{"field": "accountNumber", "direction": "asc"},
                                        {"field": "created", "direction": "desc"}]
    with pytest.raises(ValueError):
        Sort("x", "up")


def test_page_window_limits():
    assert Query().page(200, MAX_PAGE_LENGTH).to_json()["length"] == 1000
    assert Query().to_json(start=50, length=10)["start"] == 50
    for bad in (0, 1001):
        with pytest.raises(ValueError):
            Query().page(0, bad)
    with pytest.raises(ValueError):
        Query().page(-1, 10)
    with pytest.raises(ValueError):
        Query().to_json(length=5000)


def test_builder_is_immutable():
    base = Query().eq("a", "1")
    derived = base.eq("b", "2").sort("a")
    assert len(base.conditions) == 1 and not base.sorts
    assert len(derived.conditions) == 2


# -- password rules ---------------------------------------------------------------------------------

def test_password_filters_eq_only_need_another_filter_and_are_redacted():
    query = Query().eq("username", "user1").eq("password", "pass-Secret-2")
    assert conditions(query)[1] == {"field": "password", "operator": "eq", "value": "pass-Secret-2"}
    assert "pass-Secret-2" not in repr(query)
    # The redactor is process-wide (other tests register their own secrets): check this one only.
    assert "pass-Secret-2" not in redact("value pass-Secret-2") and "***" in redact("value pass-Secret-2")
    with pytest.raises(ValueError):
        Query().where("password2", "startswith", "x")
    with pytest.raises(ValueError):
        Query().eq("password", "pass-Secret-2").to_json()
    with pytest.raises(ValueError):
        Query().sort("password")
    assert Condition("password3", "eq", "abcd").to_json()["operator"] == "eq"


# -- envelope and Appendix D ------------------------------------------------------------------------

def test_unwrap_ok_envelope():
    body = {"data": {"id": "x"}, "status": "OK", "message": []}
    assert unwrap(body, "GET", "/p") is body
    assert unwrap({"data": [], "messageCode": "SUCCESS"}, "GET", "/p")["data"] == []


@pytest.mark.parametrize("code, cls", [
    ("INVALID_ARGUMENTS", VendorRequestError),
    ("NOT_FOUND", VendorNotFoundError),
    ("NOT_AUTHORIZED", VendorAuthError),
    ("ALREADY_EXISTS", UrjanetAlreadyExistsError),
    ("PROVIDIER_NOT_FOUND", UrjanetProviderNotFoundError),
    ("MALFORMED_REQUEST", VendorRequestError),
    ("ACCOUNT_CREATE_FAILURE", UrjanetOperationError),
    ("TEMPLATE_SEARCH_FAILURE", UrjanetOperationError),
])
def test_failure_envelope_raises_the_mapped_exception(code, cls):
    body = {"data": None, "status": "FAILURE", "message": ["it went wrong"], "messageCode": code}
    with pytest.raises(cls) as info:
        unwrap(body, "POST", "/api/v1/account/create")
    assert info.value.error_code == code
    assert "it went wrong" in str(info.value) and "urjanet" in str(info.value)


def test_every_appendix_d_code_is_mapped_with_its_status():
    expected = {"INVALID_ARGUMENTS": 400, "NOT_FOUND": 404, "NOT_AUTHORIZED": 401, "ALREADY_EXISTS": 400,
                "PROVIDIER_NOT_FOUND": 400, "MALFORMED_REQUEST": 400, "ACCOUNT_CREATE_FAILURE": 500,
                "ACCOUNT_CREATE_PARTIAL_FAILURE": 500, "ACCOUNT_UPDATE_FAILURE": 500, "ACCOUNT_SEARCH_FAILURE": 500,
                "CREDENTIAL_CREATE_FAILURE": 500, "CREDENTIAL_SEARCH_FAILURE": 500, "CREDENTIAL_UPDATE_FAILURE": 500,
                "METER_SEARCH_FAILURE": 500, "METER_UPDATE_FAILURE": 500, "PROVIDER_SEARCH_FAILURE": 500,
                "TEMPLATE_SEARCH_FAILURE": 500}
    for code, status in expected.items():
        assert ERROR_CODES[code].status == status
    assert issubclass(UrjanetOperationError, VendorUnavailableError)


def test_failure_without_code_and_non_object_bodies():
    with pytest.raises(VendorResponseError):
        unwrap({"status": "FAILURE", "message": []}, "GET", "/p")
    with pytest.raises(VendorResponseError):
        unwrap([1, 2], "GET", "/p")
    assert isinstance(error_for_code("SOMETHING_NEW", method="GET", endpoint="/p", status=500, detail="x",
                                     default=VendorUnavailableError), VendorUnavailableError)


def test_parse_error_reads_code_and_messages():
    response = httpx.Response(400, json={"status": "FAILURE", "messageCode": "ALREADY_EXISTS",
                                         "message": ["duplicate credential"]})
    code, detail = parse_error(response)
    assert code == "ALREADY_EXISTS" and "duplicate credential" in detail
    nested = httpx.Response(404, json={"status": "FAILURE", "messages": [{"messageCode": "NOT_FOUND", "message": "no account"}]})
    assert parse_error(nested) == ("NOT_FOUND", "no such entity: no account")
    assert parse_error(httpx.Response(502, content=b"<html>bad gateway</html>"))[0] is None


# -- records: ms-epoch dates, no passwords ----------------------------------------------------------

def test_epoch_milliseconds_to_aware_utc():
    assert from_epoch_ms(MOMENT_MS) == MOMENT
    assert from_epoch_ms(str(MOMENT_MS)) == MOMENT
    assert from_epoch_ms(None) is None
    account = Account.model_validate({"id": "a", "created": MOMENT_MS, "latestStatementCreate": 1461843671000,
                                      "isSummaryAccount": False, "latestTotalBillAmount": 326.84,
                                      "utilityProvider": {"id": "p", "naturalKey": "GeorgiaPower"}})
    assert account.created == MOMENT and account.created.tzinfo is not None
    assert account.utility_provider.natural_key == "GeorgiaPower"
    assert ChangeEvent.model_validate({"timestamp": 113213123123}).timestamp.year == 1973
    with pytest.raises(ValueError):
        Meter.model_validate({"created": True})


def test_credential_keeps_no_password():
    cred = Credential.model_validate({"id": "c", "username": "u", "password": "p4ss", "Password2": "x",
                                      "lastSuccess": MOMENT_MS, "s3BucketName": "b"})
    dumped = cred.model_dump()
    assert not any(k.lower().startswith("password") for k in dumped)
    assert cred.last_success == MOMENT and cred.s3_bucket_name == "b"
    assert "username='u'" not in repr(cred)


def test_provider_tolerates_null_lists():
    provider = Provider.model_validate({"id": "p", "providerAlias": "GeorgiaPower", "serviceTypes": None})
    assert provider.service_types == []


# -- paging driven by the envelope (no network) ------------------------------------------------------

class _FakeCalls:
    def __init__(self, total: int, *, stuck: bool = False, offset: bool = True):
        self.total, self.stuck, self.offset, self.bodies = total, stuck, offset, []

    def __call__(self, method, path, *, json=None):
        self.bodies.append(json)
        criteria = json["queryCriteria"]
        start, length = criteria["start"], criteria["length"]
        data = [{"id": str(i), "created": MOMENT_MS} for i in range(start, min(start + length, self.total))]
        more = start + length < self.total
        body = {"data": data, "status": "OK", "message": [], "morePages": more}
        if self.offset:
            body["nextPageOffset"] = start if self.stuck else start + len(data)
        return body


def make_client(fake, **kwargs) -> UrjanetClient:
    client = UrjanetClient("user", "pw-Unit-Secret", "http://127.0.0.1:9", customer_id="Customer1", **kwargs)
    client.call = fake  # type: ignore[method-assign]
    return client


def test_search_pages_until_more_pages_is_false():
    fake = _FakeCalls(2345)
    with make_client(fake) as client:
        accounts = list(client.search_accounts(Query().eq("enrollmentStatus", "PENDING")))
    assert [a.id for a in accounts] == [str(i) for i in range(2345)]
    assert [b["queryCriteria"]["start"] for b in fake.bodies] == [0, 1000, 2000]
    assert all(b["queryCriteria"]["length"] == 1000 for b in fake.bodies)
    assert all(b["customerId"] == "Customer1" for b in fake.bodies)
    assert accounts[0].created == MOMENT


def test_search_follows_offsets_or_counts_and_respects_limit_and_page_size():
    fake = _FakeCalls(25, offset=False)
    with make_client(fake, page_size=10) as client:
        assert len(list(client.search_raw("meter"))) == 25
        assert [b["queryCriteria"]["start"] for b in fake.bodies] == [0, 10, 20]
        fake.bodies.clear()
        assert len(list(client.search_raw("meter", limit=13))) == 13
        assert [b["queryCriteria"]["length"] for b in fake.bodies] == [10, 3]


def test_search_refuses_an_offset_that_does_not_move():
    with make_client(_FakeCalls(50, stuck=True), page_size=10) as client:
        with pytest.raises(VendorResponseError, match="nextPageOffset"):
            list(client.search_raw("credential"))


def test_unknown_search_entity():
    with make_client(_FakeCalls(1)) as client:
        with pytest.raises(ValueError, match="unknown Urjanet search entity"):
            list(client.search("bills"))
