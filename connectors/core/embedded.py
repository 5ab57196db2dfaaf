"""Embedded sandboxes: one per vendor per process, started on first use on a free loopback port."""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger("connectors.sandbox")
_lock = threading.Lock()
_servers: dict[str, Any] = {}


def embedded_sandbox(vendor: str, start: Callable[[], Any]) -> Any:
    """Return this process's sandbox server for `vendor`, starting it with `start()` once."""
    with _lock:
        server = _servers.get(vendor)
        if server is None:
            server = start()
            _servers[vendor] = server
            atexit.register(server.stop)
            log.info("%s: no credentials set, started the embedded sandbox at %s", vendor, server.url)
        return server
