"""`make webhooks`: the webhook receiver for the configured vendors, on 127.0.0.1.

    python -m orchestration.webhooks [--host 127.0.0.1] [--port 8787]

Vendors: those of UTILITY_VENDORS (default every registered one) whose VendorSpec declares a
webhook; events land in <lake>/inbox/<vendor>/pending/ (the lake: UTILITY_LAKE_URI, a folder or
s3://bucket/prefix; default $UTILITY_DATA_DIR/lake), where each vendor's
`<vendor>_notifications` sensor picks them up. Port: UTILITY_WEBHOOK_PORT (default 8787).
`make ui` runs the same receiver in a background thread (`start_background_receiver`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from connectors.webhooks.__main__ import main
from connectors.webhooks.receiver import DEFAULT_HOST, configured_port, describe, receiver_from_settings

log = logging.getLogger("orchestration.webhooks")


def start_background_receiver(env: Mapping[str, str] | None = None, host: str = DEFAULT_HOST):
    """Start the receiver on uvicorn in a daemon thread; returns the server (`.url`, `.stop()`),
    or None when no enabled vendor declares webhooks or the port is taken (e.g. by `make webhooks`)."""
    from connectors.core.redaction import install_log_redaction
    from connectors.core.sandbox_server import SandboxServer

    env = os.environ if env is None else env
    app = receiver_from_settings(env)
    if not app.state.specs:
        return None
    port = configured_port(env)
    server = SandboxServer(app, host=host, port=port, name="webhooks")
    try:
        server.start()
    except OSError as exc:
        print(f"Webhook receiver not started: {host}:{port} is unavailable ({exc.strerror or exc}); "
              f"set UTILITY_WEBHOOK_PORT or stop the other receiver")
        return None
    install_log_redaction()
    for line in describe(app, server.url, env):
        print(line)
    return server


if __name__ == "__main__":
    raise SystemExit(main())
