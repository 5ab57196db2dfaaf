"""Serve the Bayou sandbox until Ctrl-C.

    python -m connectors.bayou.sandbox --port 8765 --customers 10 --months 24 --seed 7 --api-key sandbox-key

Unset options fall back to BAYOU_SANDBOX_SEED / _CUSTOMERS / _MONTHS / _AS_OF, then to the
defaults (7, 8, 24, today).
"""

from __future__ import annotations

from ...core.sandbox_kit import announce_and_serve, cli_arguments, configure_faults_from_arguments
from .app import start_bayou_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = cli_arguments("bayou", __doc__, 8765, "customers", sandbox_settings_from_env())
    parser.add_argument("--api-key", default="sandbox-key")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, customers=args.customers, months=args.months, as_of=args.as_of)
    server, base_url = start_bayou_sandbox(args.api_key, dataset=dataset, port=args.port, host=args.host)
    configure_faults_from_arguments(server, args)
    summary = dataset.summary()
    return announce_and_serve(
        server, base_url,
        f"Bayou sandbox: {len(dataset.customers)} customers, {summary['bills']} bills, "
        f"{summary['interval_meters']} interval meters, as_of {summary['as_of']}. Ctrl-C to stop.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
