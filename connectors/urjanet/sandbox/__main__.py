"""Serve the Urjanet Utility Data API sandbox until Ctrl-C.

    python -m connectors.urjanet.sandbox --port 8769 --accounts 30 --months 24 --seed 7 \
        --username sandbox-user --password sandbox-password --deliveries ./deliveries

`--deliveries DIR` also writes the statement deliveries for the sandbox's accounts to DIR (point
URJANET_DELIVERY_DIR at it); `--deliveries s3://bucket/prefix` uploads them (AWS environment).

Unset options fall back to URJANET_SANDBOX_SEED / _ACCOUNTS / _MONTHS / _AS_OF, then to the
defaults (7, 30, 24, today).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ...core.sandbox_kit import announce_and_serve, cli_arguments, configure_faults_from_arguments
from .app import start_urjanet_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = cli_arguments("urjanet", __doc__, 8769, "accounts", sandbox_settings_from_env())
    parser.add_argument("--username", default="sandbox-user")
    parser.add_argument("--password", default="sandbox-password")
    parser.add_argument("--token-ttl", type=float, default=3600, help="bearer token lifetime, seconds")
    parser.add_argument("--deliveries", help="a folder or s3://bucket/prefix to write statement deliveries to")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, accounts=args.accounts, months=args.months, as_of=args.as_of)
    server, base_url = start_urjanet_sandbox(dataset, args.username, args.password, args.token_ttl,
                                             port=args.port, host=args.host)
    configure_faults_from_arguments(server, args)
    summary = dataset.summary()
    if args.deliveries:
        from .deliveries import upload_deliveries, write_deliveries

        if args.deliveries.startswith("s3://"):
            upload_deliveries(dataset, args.deliveries)
        else:
            write_deliveries(dataset, Path(args.deliveries))
        print(f"Urjanet sandbox: statement deliveries written to {args.deliveries}", file=sys.stderr, flush=True)
    return announce_and_serve(
        server, base_url,
        f"Urjanet sandbox: {summary['accounts']} accounts, {summary['meters']} meters, "
        f"{summary['credentials']} credentials, as_of {summary['as_of']}. Ctrl-C to stop.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
