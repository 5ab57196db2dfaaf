"""Run any ASGI app over real HTTP on 127.0.0.1, in a background thread.

Vendor sandboxes use this so that tests, `make run` and the Dagster UI talk to them exactly as
they would to the vendor: through sockets, with real status codes, headers and timeouts.

    with SandboxServer(app) as server:
        httpx.get(f"{server.url}/ping")

`SandboxServer(app, host="127.0.0.1", port=0)`: port 0 picks a free port. `start()` returns
once the server accepts connections; `stop()` asks uvicorn to exit, waits for its thread and
forces the exit if it does not finish in time. Several servers can run in one process: each
has its own thread and event loop.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

_STARTUP_TIMEOUT_S = 15.0
_SHUTDOWN_TIMEOUT_S = 5.0


class SandboxServer:
    def __init__(
        self, app: Any, *, host: str = "127.0.0.1", port: int = 0, name: str = "sandbox", lifespan: str = "auto"
    ) -> None:
        self.app = app
        self.name = name
        self.lifespan = lifespan
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
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

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
