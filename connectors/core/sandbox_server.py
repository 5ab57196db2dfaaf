"""Run any ASGI app over real HTTP on 127.0.0.1, in a background thread.

Vendor sandboxes use this so that tests, `make run` and the Dagster UI talk to them exactly as
they would to the vendor: through sockets, with real status codes, headers and timeouts.

    with SandboxServer(app) as server:
        httpx.get(f"{server.url}/ping")

`SandboxServer(app, host="127.0.0.1", port=0)`: port 0 picks a free port. `start()` returns
once the server accepts connections; `stop()` asks uvicorn to exit, waits for its thread and
forces the exit if it does not finish in time. Several servers can run in one process: each
has its own thread and event loop.

Every HTTP scope carries `scope["extensions"]["sandbox.abort"]`, a callable that closes the
connection at once without an answer (the sandboxes' connection-reset fault).

TLS (optional): `SandboxServer(app, ssl_certfile=..., ssl_keyfile=..., ssl_ca_certs=...,
ssl_cert_reqs=ssl.CERT_REQUIRED)` serves HTTPS (`url` starts with `https://`); with
`ssl_cert_reqs=ssl.CERT_REQUIRED` a client without a certificate signed by `ssl_ca_certs` fails
the handshake. `connectors.core.tls.make_throwaway_pki` makes matching files. Over TLS every
HTTP scope carries the ASGI TLS extension, `scope["extensions"]["tls"]` = {"server_cert": None,
"client_cert_chain": [leaf PEM] or [], "client_cert_name": RFC 4514 subject or None,
"client_cert_error": None, "tls_version": e.g. 0x0304, "cipher_suite": None}, which uvicorn
does not provide by itself (only the leaf of the client chain is known to Python's ssl).
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from functools import lru_cache
from os import PathLike
from types import TracebackType
from typing import Any

import uvicorn

_STARTUP_TIMEOUT_S = 15.0
_SHUTDOWN_TIMEOUT_S = 5.0


class SandboxServer:
    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "sandbox",
        lifespan: str = "auto",
        ssl_certfile: str | PathLike[str] | None = None,
        ssl_keyfile: str | PathLike[str] | None = None,
        ssl_ca_certs: str | PathLike[str] | None = None,
        ssl_cert_reqs: int = ssl.CERT_NONE,
    ) -> None:
        if (ssl_keyfile or ssl_ca_certs or ssl_cert_reqs != ssl.CERT_NONE) and not ssl_certfile:
            raise ValueError("TLS options need ssl_certfile (the server certificate)")
        self.app = app
        self.name = name
        self.lifespan = lifespan
        self.ssl_certfile = ssl_certfile
        self.ssl_keyfile = ssl_keyfile
        self.ssl_ca_certs = ssl_ca_certs
        self.ssl_cert_reqs = ssl_cert_reqs
        self._host = host
        self._requested_port = port
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # -- addresses --------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError(f"{self.name} server is not started")
        return self._port

    @property
    def tls(self) -> bool:
        return self.ssl_certfile is not None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self._host}:{self.port}"

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> SandboxServer:
        if self.is_running:
            return self
        # Binding here, not in uvicorn, makes port 0 race-free and lets a bind error surface in
        # the caller's thread instead of as a sys.exit inside the server thread.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._requested_port))
        except OSError:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            # None keeps uvicorn from replacing the host process's logging configuration.
            log_config=None,
            lifespan=self.lifespan,
            timeout_graceful_shutdown=2,
            **self._tls_options(),
        )
        self._server = uvicorn.Server(config)
        self._failure = None
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), name=f"{self.name}-{self._port}", daemon=True
        )
        self._thread.start()
        self._wait_until_accepting()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_SHUTDOWN_TIMEOUT_S)
        if thread.is_alive():
            # Open keep-alive or streaming connections can hold a graceful shutdown; cut them.
            server.force_exit = True
            thread.join(_SHUTDOWN_TIMEOUT_S)
        self._server = None
        self._thread = None
        if thread.is_alive():
            raise RuntimeError(f"{self.name} server on port {self._port} did not stop")

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self._port is not None and self.is_running else "stopped"
        return f"<SandboxServer {self.name} {state}>"

    # -- internals --------------------------------------------------------------------------------

    def _tls_options(self) -> dict[str, Any]:
        if not self.tls:
            return {"http": _scope_extensions_protocol()}
        return {
            "ssl_certfile": self.ssl_certfile,
            "ssl_keyfile": self.ssl_keyfile,
            "ssl_ca_certs": self.ssl_ca_certs,
            "ssl_cert_reqs": self.ssl_cert_reqs,
            "http": _scope_extensions_protocol(),
        }

    def _serve(self, sock: socket.socket) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[sock])
        except BaseException as exc:  # noqa: BLE001 - reported to the thread that called start()
            self._failure = exc
        finally:
            sock.close()

    def _wait_until_accepting(self) -> None:
        assert self._server is not None and self._thread is not None
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} server failed to start") from self._failure
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"{self.name} server did not start within {_STARTUP_TIMEOUT_S}s")
            time.sleep(0.005)
        # `started` is set once the listening socket is registered with the loop; a connect
        # proves it from the outside.
        with socket.create_connection((self._host, self.port), timeout=_STARTUP_TIMEOUT_S):
            pass


# -- the ASGI TLS extension ----------------------------------------------------------------------

_TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def _tls_extension(transport: Any) -> dict[str, Any] | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    chain: list[str] = []
    name = None
    der = ssl_object.getpeercert(binary_form=True)
    if der:
        chain.append(ssl.DER_cert_to_PEM_cert(der))
        try:
            from cryptography import x509

            name = x509.load_der_x509_certificate(der).subject.rfc4514_string()
        except Exception:  # noqa: BLE001 - the name is a convenience; the PEM is what counts
            name = None
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": name,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


@lru_cache(maxsize=1)
def _scope_extensions_protocol() -> Any:
    """uvicorn's HTTP protocol class, extended to put into each scope the ASGI TLS extension (over
    TLS) and `sandbox.abort`, which closes the connection without an answer (the sandboxes'
    connection-reset fault; ASGI itself has no way to do that).

    Falls back to "auto" (no extensions) if uvicorn's internals ever stop matching.
    """
    try:
        from uvicorn.protocols.http.auto import AutoHTTPProtocol
    except ImportError:  # pragma: no cover
        return "auto"
    if not hasattr(AutoHTTPProtocol, "connection_made"):  # pragma: no cover
        return "auto"

    class ScopeExtensionsHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            app = getattr(self, "app", None)
            if app is None:
                return
            added = {"sandbox.abort": transport.abort}
            tls = _tls_extension(transport)
            if tls is not None:
                added["tls"] = tls

            async def app_with_extensions(scope: Any, receive: Any, send: Any) -> None:
                if scope.get("type") in ("http", "websocket"):
                    scope["extensions"] = {**(scope.get("extensions") or {}), **added}
                await app(scope, receive, send)

            self.app = app_with_extensions

    return ScopeExtensionsHTTPProtocol
