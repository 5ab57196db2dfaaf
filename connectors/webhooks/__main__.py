"""`python -m connectors.webhooks [--host 127.0.0.1] [--port 8787]`: serve the webhook receiver.

Vendors: those of UTILITY_VENDORS (default all registered) that declare webhooks. Lake:
<UTILITY_LAKE_URI, default $UTILITY_DATA_DIR/lake>/inbox/. Port default: UTILITY_WEBHOOK_PORT, else 8787. Binds 127.0.0.1
unless told otherwise: put a TLS-terminating proxy or tunnel in front for the vendors to reach.
"""

from __future__ import annotations

import argparse
import logging
import sys

from .receiver import DEFAULT_HOST, PORT_ENV, configured_port, serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.webhooks", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=None, help=f"port (default ${PORT_ENV} or 8787)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        serve(args.host, args.port if args.port is not None else configured_port())
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
