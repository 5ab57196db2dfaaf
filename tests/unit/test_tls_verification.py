"""TLS verification is always on for vendor hosts, and no code path turns it off.

* Static: no source file of connectors/ or orchestration/ disables verification (verify=False,
  CERT_NONE on a client context, check_hostname = False, unverified contexts, an environment
  switch that turns verification off).
* Live: every vendor client pointed at an HTTPS server whose certificate it does not trust (a
  throwaway trustme CA it is not given), or whose certificate names another host, fails with a TLS
  error before a single HTTP request reaches the server. Given the CA, the same server answers:
  the failure is the trust decision, not a broken server.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pytest
import trustme
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from connectors.core.errors import VendorError
from connectors.core.http import RetryPolicy, VendorHttpClient
from connectors.core.sandbox_server import SandboxServer

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("connectors", "orchestration")
# The one allowed CERT_NONE: the sandboxes' *server* side default (whether a local sandbox asks
# its clients for a certificate), never a client's verification of a vendor host.
ALLOWED = {("connectors/core/sandbox_server.py", "CERT_NONE"): 2}
# Environment switches people use to turn verification off.
DISABLING_ENV = re.compile(r"^(PYTHONHTTPSVERIFY|[A-Z0-9_]*(NO_VERIFY|INSECURE|SKIP_TLS|SKIP_SSL|TLS_VERIFY|SSL_VERIFY"
                           r"|VERIFY_SSL|VERIFY_TLS|DISABLE_TLS|DISABLE_SSL|CURL_CA_BUNDLE)[A-Z0-9_]*)$")


def verification_switches(source: str) -> list[tuple[int, str]]:
    """(line, what) for every construct in `source` that can turn TLS verification off."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg in ("verify", "check_hostname", "verify_mode"):
            value = node.value
            if isinstance(value, ast.Constant) and value.value in (False, None, 0, ""):
                found.append((value.lineno, f"{node.arg}={value.value!r}"))
            elif not isinstance(value, ast.Constant) and node.arg == "verify" and _mentions_environment(value):
                found.append((value.lineno, "verify= read from the environment"))
        elif isinstance(node, ast.Attribute) and node.attr in ("CERT_NONE", "CERT_OPTIONAL", "_create_unverified_context",
                                                               "_create_default_https_context"):
            found.append((node.lineno, node.attr))
        elif isinstance(node, ast.Name) and node.id in ("CERT_NONE", "_create_unverified_context"):
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr in ("check_hostname", "verify_mode", "verify"):
                    value = node.value
                    if not (isinstance(value, ast.Constant) and value.value is True) and not _is_cert_required(value):
                        found.append((node.lineno, f"{target.attr} = {ast.unparse(value) if value else ''}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and DISABLING_ENV.match(node.value):
            found.append((node.lineno, f"environment switch {node.value!r}"))
    return found


def _mentions_environment(node: ast.AST) -> bool:
    text = ast.unparse(node)
    return "environ" in text or "getenv" in text


def _is_cert_required(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "CERT_REQUIRED"


def source_files() -> list[Path]:
    return sorted(p for folder in SCANNED for p in (ROOT / folder).rglob("*.py"))


def test_no_code_path_disables_tls_verification():
    files = source_files()
    assert len(files) > 50
    seen: dict[tuple[str, str], int] = {}
    offending = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        for line, what in verification_switches(path.read_text()):
            key = (relative, what)
            seen[key] = seen.get(key, 0) + 1
            if key not in ALLOWED:
                offending.append(f"{relative}:{line}: {what}")
    assert not offending, offending
    for key, count in ALLOWED.items():  # no new occurrence hides behind the allowed one
        assert seen.get(key, 0) <= count, (key, seen.get(key))
    # the text forms an AST walk could miss (e.g. in a string handed to exec or a config template)
    for path in files:
        text = path.read_text()
        for needle in ("verify=False", "_create_unverified_context", "check_hostname = False", "check_hostname=False"):
            assert needle not in text, f"{path.relative_to(ROOT)}: {needle}"


@pytest.mark.parametrize(("snippet", "what"), [
    ("httpx.Client(verify=False)", "verify=False"),
    ("requests.get(url, verify=False)", "verify=False"),
    ("context = ssl.create_default_context()\ncontext.check_hostname = False", "check_hostname = False"),
    ("context.verify_mode = ssl.CERT_NONE", "CERT_NONE"),
    ("ssl._create_default_https_context = ssl._create_unverified_context", "_create_unverified_context"),
    ("client = httpx.Client(verify=os.environ.get('X') != '0')", "verify= read from the environment"),
    ("if os.environ.get('BAYOU_SSL_VERIFY') == '0': pass", "environment switch 'BAYOU_SSL_VERIFY'"),
    ("os.environ['PYTHONHTTPSVERIFY'] = '0'", "environment switch 'PYTHONHTTPSVERIFY'"),
])
def test_the_static_scan_catches_each_switch(snippet, what):
    assert what in [w for _, w in verification_switches(snippet)]


def test_the_static_scan_accepts_what_the_http_layer_does():
    source = ("context = httpx.create_ssl_context(verify=True)\ncontext.load_verify_locations(cafile=ca)\n"
              "httpx.Client(verify=tls_context(cert=cert, ca_file=ca_file))\ncontext.check_hostname = True\n"
              "context.verify_mode = ssl.CERT_REQUIRED\n")
    assert verification_switches(source) == []


# -- live: untrusted servers ---------------------------------------------------------------------------


def _hits_app(hits: list[str]) -> Starlette:
    async def anything(request: Request) -> JSONResponse:
        hits.append(request.url.path)
        return JSONResponse({"access_token": "t", "token": "t", "expires_in": 3600, "data": [], "string": "hi"})

    return Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])


@pytest.fixture(scope="module")
def untrusted_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 whose certificate comes from a CA no client is given."""
    directory = tmp_path_factory.mktemp("untrusted-tls")
    ca = trustme.CA(organization_name="Nobody trusts this CA")
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = directory / "server.pem", directory / "server.key", directory / "ca.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    hits: list[str] = []
    with SandboxServer(_hits_app(hits), name="untrusted", ssl_certfile=cert_file, ssl_keyfile=key_file) as server:
        yield server.url, ca_file, hits


@pytest.fixture(scope="module")
def wrong_host_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a certificate for another host, from a CA we do give."""
    directory = tmp_path_factory.mktemp("wrong-host-tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("vendor.example")
    cert_file, key_file, ca_file = directory / "server.pem", directory / "server.key", directory / "ca.pem"
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    hits: list[str] = []
    with SandboxServer(_hits_app(hits), name="wrong-host", ssl_certfile=cert_file, ssl_keyfile=key_file) as server:
        yield server.url, ca_file, hits


def _tls_failure(exc: BaseException) -> str:
    """The TLS reason somewhere in the error or its causes ('' when there is none)."""
    seen = exc
    while seen is not None:
        text = f"{type(seen).__name__}: {seen}"
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            return text
        seen = seen.__cause__ or seen.__context__
    return ""


NO_RETRY = RetryPolicy(max_attempts=1)


def _vendor_calls(base_url: str, tmp_path: Path):
    """(vendor, a call of its real client against base_url): each client exactly as the
    connector builds it (no CA of ours)."""
    from connectors.arcadia.client import ArcadiaClient
    from connectors.bayou.client import BayouClient
    from connectors.core.tls import make_throwaway_pki
    from connectors.urjanet.client import UrjanetClient
    from connectors.wattzon.client import WattzonClient

    pki = make_throwaway_pki(tmp_path / "wattzon-client")  # a client certificate to present
    return [
        ("bayou", lambda: BayouClient("bayou-key-123456", base_url, retry=NO_RETRY).list_customers_raw()),
        ("wattzon", lambda: WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                                          retry=NO_RETRY).echo("hi")),
        ("arcadia", lambda: list(ArcadiaClient("client-id", "client-secret-123456", base_url, retry=NO_RETRY).users())),
        ("urjanet", lambda: list(UrjanetClient("user", "password-123456", base_url, retry=NO_RETRY)
                                 .search_raw("account", limit=1))),
    ]


@pytest.mark.parametrize("vendor", ["bayou", "wattzon", "arcadia", "urjanet"])
def test_every_vendor_client_refuses_an_untrusted_certificate(untrusted_server, tmp_path, vendor):
    url, _, hits = untrusted_server
    hits.clear()
    call = dict(_vendor_calls(url, tmp_path))[vendor]
    with pytest.raises((VendorError, httpx.TransportError)) as raised:
        call()
    assert _tls_failure(raised.value), f"{vendor}: not a TLS error: {raised.value!r}"
    assert hits == [], "a request reached the server: the handshake was not refused"


@pytest.mark.parametrize("vendor", ["bayou", "wattzon", "arcadia", "urjanet"])
def test_every_vendor_client_refuses_a_certificate_for_another_host(wrong_host_server, tmp_path, vendor,
                                                                    monkeypatch):
    """Even with the CA trusted system-wide (SSL_CERT_FILE), a certificate naming another host fails."""
    url, ca_file, hits = wrong_host_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    hits.clear()
    call = dict(_vendor_calls(url, tmp_path))[vendor]
    with pytest.raises((VendorError, httpx.TransportError)) as raised:
        call()
    reason = _tls_failure(raised.value)
    assert reason and ("hostname" in reason.lower() or "ip address mismatch" in reason.lower()), raised.value
    assert hits == []


def test_the_shared_client_fails_clearly_then_connects_once_given_the_ca(untrusted_server):
    url, ca_file, hits = untrusted_server
    hits.clear()
    with VendorHttpClient("bayou", url, retry=NO_RETRY) as client, pytest.raises(VendorError) as raised:
        client.get_json("/customers")
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value), str(raised.value)
    assert hits == []
    # control: the server is fine, only trust was missing
    with VendorHttpClient("bayou", url, retry=NO_RETRY, ca_file=str(ca_file)) as client:
        assert client.get_json("/customers")["data"] == []
    assert hits == ["/customers"]


def test_wattzon_without_its_ca_refuses_the_real_sandbox(tmp_path):
    """The WattzOn sandbox over TLS with client certificates (as the e2e fixture runs it): our
    client certificate is fine, but without WATTZON_CA_FILE the server is not trusted."""
    from connectors.wattzon.client import WattzonClient
    from connectors.wattzon.sandbox import start_wattzon_sandbox

    server, base_url, pki = start_wattzon_sandbox(tls=True, directory=tmp_path / "pki", profiles=1, months=2)
    try:
        untrusting = WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                                   retry=NO_RETRY)
        with pytest.raises(VendorError) as raised:
            untrusting.echo("hi")
        assert _tls_failure(raised.value), raised.value
        trusting = WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                                 ca_file=pki.ca_file, retry=NO_RETRY)
        assert trusting.echo("hi") == "hi"
    finally:
        server.stop()


def test_a_certificate_failure_is_not_retried(untrusted_server):
    """No retry can fix an untrusted certificate: the default retry policy fails at the first
    attempt (a reset or a timeout is retried; a refused certificate is a configuration error)."""
    url, _, hits = untrusted_server
    with VendorHttpClient("bayou", url) as client, pytest.raises(VendorError) as raised:
        client.get_json("/customers")
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert client.stats.retries == 0
