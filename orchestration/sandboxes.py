"""Start one shared sandbox per vendor that has no credentials, for `make run` and `make ui`.

Every Dagster step process then talks to the same sandbox (through <VENDOR>_SANDBOX_URL),
so vendor-side state such as Bayou's unlocked bills is shared across a run's steps.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from connectors.registry import VENDORS

log = logging.getLogger("orchestration.sandboxes")


@contextlib.contextmanager
def shared_sandboxes(vendors: list[str]) -> Iterator[dict[str, str]]:
    """Start the sandboxes needed by `vendors` and export their URLs; stop them on exit."""
    started, exported = [], {}
    try:
        for name in vendors:
            spec = VENDORS[name]
            if spec.start_sandbox is None or not spec.uses_sandbox(os.environ):
                continue
            if os.environ.get(spec.sandbox_url_env):
                continue  # someone already points us at a running sandbox
            server = spec.start_sandbox()
            started.append(server)
            exported.update(spec.sandbox_env(server))
            print(f"{spec.display_name}: no credentials set, using the sandbox at {exported[spec.sandbox_url_env]}")
        os.environ.update(exported)
        yield exported
    finally:
        for key in exported:
            os.environ.pop(key, None)
        for server in started:
            server.stop()
