"""Serve the Arcadia Arc sandbox until Ctrl-C.

    python -m connectors.arcadia.sandbox --port 8767 --users 10 --months 24 --seed 7 \
        --client-id sandbox-client --client-secret sandbox-secret

Unset options fall back to ARCADIA_SANDBOX_SEED / _USERS / _MONTHS / _AS_OF, then to the
defaults (7, 4, 24, today). Webhooks: POST /_sandbox/webhook_target {"url", "signing_key"},
then POST /_sandbox/trigger/new_statement {"utility_account_id": ...} and friends.
"""

from __future__ import annotations

from ...core.sandbox_kit import announce_and_serve, cli_arguments, configure_faults_from_arguments
from .app import API_VERSION, start_arcadia_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = cli_arguments("arcadia", __doc__, 8767, "users", sandbox_settings_from_env())
    parser.add_argument("--client-id", default="sandbox-client")
    parser.add_argument("--client-secret", default="sandbox-secret")
    parser.add_argument("--token-ttl", type=float, default=7200, help="access token lifetime, seconds")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, users=args.users, months=args.months, as_of=args.as_of)
    server, base_url = start_arcadia_sandbox(dataset, args.client_id, args.client_secret, args.token_ttl,
                                             port=args.port, host=args.host)
    configure_faults_from_arguments(server, args)
    summary = dataset.summary()
    return announce_and_serve(
        server, base_url,
        f"Arcadia sandbox (Arcadia-Version {API_VERSION}): {summary['users']} users, {summary['accounts']} accounts, "
        f"{summary['meters']} meters, {summary['statements']} statements, as_of {summary['as_of']}. Ctrl-C to stop.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
