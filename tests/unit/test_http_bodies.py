"""Response bodies are freed by reference counting, and `get_bytes` is `get_json` without the parse.

httpx links every response to its stream and back (`BoundSyncStream(..., response=response)`),
a reference cycle; with the body stored on the response, each body would wait for the cyclic
garbage collector. These tests run with the collector disabled: what is not freed by reference
counting stays alive and is seen through a weak reference.
"""

from __future__ import annotations

import gc
import weakref

import httpx
import pytest

from connectors.core.errors import VendorNotFoundError, VendorResponseError
from connectors.core.http import RetryPolicy, VendorHttpClient

BODY = b'{"meters":[{"id":"m1","intervals":[]}]}' + b" " * 100_000


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/flaky" and not handler.calls.setdefault("flaky", 0):
        handler.calls["flaky"] = 1
        return httpx.Response(503, json={"error_message": "try again"}, headers={"Retry-After": "0"})
    if request.url.path == "/missing":
        return httpx.Response(404, json={"error_code": "not_found", "error_message": "no such customer"})
    if request.url.path == "/html":
        return httpx.Response(200, content=b"<html>maintenance</html>", headers={"content-type": "text/html"})
    return httpx.Response(200, content=BODY, headers={"content-type": "application/json"})


handler.calls = {}


@pytest.fixture
def client():
    handler.calls.clear()
    vendor = VendorHttpClient("test", "http://vendor.test", retry=RetryPolicy(max_attempts=3), sleep=lambda s: None)
    vendor._client = httpx.Client(base_url="http://vendor.test", transport=httpx.MockTransport(handler))
    responses: list[weakref.ref] = []
    send = vendor._client.request

    def tracking(*args, **kwargs):
        response = send(*args, **kwargs)
        responses.append(weakref.ref(response))
        return response

    vendor._client.request = tracking
    vendor.responses = responses
    yield vendor
    vendor.close()


@pytest.fixture
def no_cyclic_gc():
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_plain_httpx_keeps_a_response_alive_in_a_cycle(no_cyclic_gc):
    """The premise (if httpx ever drops the cycle, this fails and the workaround can go)."""
    with httpx.Client(transport=httpx.MockTransport(handler)) as plain:
        response = plain.get("http://vendor.test/intervals")
        ref = weakref.ref(response)
        assert response.content == BODY
        del response
        assert ref() is not None
        gc.collect()
        assert ref() is None


@pytest.mark.parametrize("call", ["get_json", "get_bytes"])
def test_no_response_outlives_the_call(client, no_cyclic_gc, call):
    body = getattr(client, call)("/intervals")
    assert body == (BODY if call == "get_bytes" else {"meters": [{"id": "m1", "intervals": []}]})
    assert client.responses and all(ref() is None for ref in client.responses)


def test_retried_responses_are_freed_too(client, no_cyclic_gc):
    assert client.get_bytes("/flaky") == BODY
    assert len(client.responses) == 2 and all(ref() is None for ref in client.responses)


def test_get_bytes_returns_the_body_undecoded_with_the_same_retries_and_counters(client):
    body = client.get_bytes("/flaky")
    assert isinstance(body, bytes) and body == BODY
    assert client.stats.as_metadata() == {"requests": 2, "retries": 1, "by_status": {"200": 1, "503": 1}}


def test_get_bytes_raises_the_same_errors(client):
    with pytest.raises(VendorNotFoundError, match="no such customer"):
        client.get_bytes("/missing")
    # bytes are not parsed: an HTML page comes back as it is (the caller's parser decides)...
    assert client.get_bytes("/html") == b"<html>maintenance</html>"
    # ...while get_json still refuses it clearly
    with pytest.raises(VendorResponseError, match="not valid JSON"):
        client.get_json("/html")


def test_responses_stay_usable_after_the_body_is_detached(client):
    response = client.request("GET", "/intervals")
    assert response.content == BODY and response.json()["meters"][0]["id"] == "m1"
    assert b"".join(response.iter_bytes()) == BODY
    assert response.is_closed and response.status_code == 200 and response.headers["content-type"]
