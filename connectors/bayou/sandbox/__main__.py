"""Serve the Bayou sandbox until Ctrl-C.

    python -m connectors.bayou.sandbox --port 8765 --customers 10 --months 24 --seed 7 --api-key sandbox-key

Unset options fall back to BAYOU_SANDBOX_SEED / _CUSTOMERS / _MONTHS / _AS_OF, then to the
defaults (7, 8, 24, today).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ...core.sandbox_kit import serve_until_stopped
from .app import start_bayou_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    env = sandbox_settings_from_env()
    parser = argparse.ArgumentParser(prog="python -m connectors.bayou.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--customers", type=int, default=env.customers)
    parser.add_argument("--months", type=int, default=env.months)
    parser.add_argument("--seed", type=int, default=env.seed)
    parser.add_argument("--as-of", type=date.fromisoformat, default=env.as_of, help="YYYY-MM-DD, default today (UTC)")
    parser.add_argument("--api-key", default="sandbox-key")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, customers=args.customers, months=args.months, as_of=args.as_of)
    server, base_url = start_bayou_sandbox(args.api_key, dataset=dataset, port=args.port, host=args.host)
    summary = dataset.summary()
    print(base_url, flush=True)
    print(
        f"Bayou sandbox: {len(dataset.customers)} customers, {summary['bills']} bills, "
        f"{summary['interval_meters']} interval meters, as_of {summary['as_of']}. Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    return serve_until_stopped(server)


if __name__ == "__main__":
    raise SystemExit(main())
