"""Serve the Arcadia Arc sandbox until Ctrl-C.

    python -m connectors.arcadia.sandbox --port 8767 --users 10 --months 24 --seed 7 \
        --client-id sandbox-client --client-secret sandbox-secret

Unset options fall back to ARCADIA_SANDBOX_SEED / _USERS / _MONTHS / _AS_OF, then to the
defaults (7, 4, 24, today). Webhooks: POST /_sandbox/webhook_target {"url", "signing_key"},
then POST /_sandbox/trigger/new_statement {"utility_account_id": ...} and friends.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from ...core.sandbox_kit import serve_until_stopped
from .app import API_VERSION, start_arcadia_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    env = sandbox_settings_from_env()
    parser = argparse.ArgumentParser(prog="python -m connectors.arcadia.sandbox", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8767, help="0 picks a free port")
    parser.add_argument("--users", type=int, default=env.users)
    parser.add_argument("--months", type=int, default=env.months)
    parser.add_argument("--seed", type=int, default=env.seed)
    parser.add_argument("--as-of", type=date.fromisoformat, default=env.as_of, help="YYYY-MM-DD, default today (UTC)")
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--token-ttl", type=float, default=7200, help="access token lifetime, seconds")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, users=args.users, months=args.months, as_of=args.as_of)
    server, base_url = start_arcadia_sandbox(dataset, args.client_id, args.client_secret, args.token_ttl,
                                             port=args.port, host=args.host)
    summary = dataset.summary()
    print(base_url, flush=True)
    print(
        f"Arcadia sandbox (Arcadia-Version {API_VERSION}): {summary['users']} users, {summary['accounts']} accounts, "
        f"{summary['meters']} meters, {summary['statements']} statements, as_of {summary['as_of']}. Ctrl-C to stop.",
        file=sys.stderr,
        flush=True,
    )
    return serve_until_stopped(server)


if __name__ == "__main__":
    raise SystemExit(main())
