"""The shared HTTP layer and paginators against real loopback servers."""

from __future__ import annotations

import socket

import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectors.core.errors import VendorRequestError, VendorResponseError, VendorUnavailableError
from connectors.core.http import RetryPolicy, VendorHttpClient, parse_retry_after
from connectors.core.pagination import KeysetPaginator, OffsetPaginator, paginate
from connectors.core.sandbox_server import SandboxServer

ITEMS = [{"id": i, "updated_at": f"2024-01-{i + 1:02d}"} for i in range(25)]


async def offset_page(request):
    offset, limit = int(request.query_params["offset"]), int(request.query_params["limit"])
    return JSONResponse({"data": ITEMS[offset : offset + limit]})


async def keyset_page(request):
    after = request.query_params.get("updated_after")
    limit = int(request.query_params["limit"])
    rows = [r for r in ITEMS if after is None or r["updated_at"] > after]
    return JSONResponse({"data": rows[:limit]})


async def html_page(request):
    return Response("<html><body>Maintenance</body></html>", media_type="text/html")


async def bad_request(request):
    return JSONResponse({"error_code": "invalid_input", "error_message": "start must be a date"}, status_code=400)


@pytest.fixture(scope="module")
def server():
    app = Starlette(routes=[Route("/offset", offset_page), Route("/keyset", keyset_page),
                            Route("/html", html_page), Route("/bad", bad_request)])
    with SandboxServer(app) as running:
        yield running


def test_offset_paginator_reads_every_page(server):
    with VendorHttpClient("test", server.url) as client:
        pages = list(paginate(client, "/offset", OffsetPaginator(page_size=10)))
    assert [len(p) for p in pages] == [10, 10, 5]
    assert [r["id"] for p in pages for r in p] == list(range(25))


def test_keyset_paginator_follows_the_cursor(server):
    with VendorHttpClient("test", server.url) as client:
        pages = list(paginate(client, "/keyset", KeysetPaginator("updated_after", "updated_at", page_size=7)))
    assert [r["id"] for p in pages for r in p] == list(range(25))
    assert client.stats.requests == 4


def test_html_page_with_status_200_is_a_clear_error(server):
    with VendorHttpClient("test", server.url) as client, pytest.raises(VendorResponseError) as info:
        client.get_json("/html")
    assert "not valid JSON" in str(info.value) and "<html>" in str(info.value)


def test_4xx_is_not_retried_and_names_the_vendor_error(server):
    with VendorHttpClient("test", server.url) as client, pytest.raises(VendorRequestError) as info:
        client.get_json("/bad")
    assert client.stats.requests == 1
    assert "test: GET /bad failed with HTTP 400 [invalid_input]: start must be a date" == str(info.value)


def test_connection_refused_is_retried_then_fails_clearly():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps: list[float] = []
    client = VendorHttpClient("test", f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=3),
                              sleep=sleeps.append)
    with client, pytest.raises(VendorUnavailableError) as info:
        client.get_json("/anything")
    assert len(sleeps) == 2 and "ConnectError" in str(info.value) and "after 3 attempts" in str(info.value)


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
