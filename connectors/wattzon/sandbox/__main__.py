"""Serve the WattzOn sandbox until Ctrl-C.

    python -m connectors.wattzon.sandbox --port 8766 --profiles 10 --months 24 --seed 7 --pki-dir .wattzon-pki

Unset options fall back to WATTZON_SANDBOX_SEED / _PROFILES / _MONTHS / _AS_OF, then to the
defaults (7, 6, 24, today). With TLS (the default) the throwaway CA, server and client
certificates live in --pki-dir (reused while the client certificate is valid; a temporary
directory when not given): point the client at ca.pem, client.pem and client.key. --no-tls
serves plain HTTP without client certificates.
"""

from __future__ import annotations

from ...core.sandbox_kit import announce_and_serve, cli_arguments, configure_faults_from_arguments
from ...core.tls import DEFAULT_CLIENT_NAME
from .app import start_wattzon_sandbox
from .generator import generate_dataset, sandbox_settings_from_env


def main(argv: list[str] | None = None) -> int:
    parser = cli_arguments("wattzon", __doc__, 8766, "profiles", sandbox_settings_from_env())
    parser.add_argument("--pki-dir", default=None, help="where the CA and certificates are kept")
    parser.add_argument("--client-name", default=DEFAULT_CLIENT_NAME, help="CN of the client certificate")
    parser.add_argument("--no-tls", action="store_true", help="plain HTTP, no client certificate")
    args = parser.parse_args(argv)

    dataset = generate_dataset(seed=args.seed, profiles=args.profiles, months=args.months, as_of=args.as_of)
    server, base_url, pki = start_wattzon_sandbox(
        dataset, tls=not args.no_tls, directory=args.pki_dir, port=args.port, host=args.host,
        client_name=args.client_name,
    )
    configure_faults_from_arguments(server, args)
    summary = dataset.summary()
    pki_files = [] if pki is None else [
        f"CA: {pki.ca_file}\nclient cert: {pki.client_cert_file}\nclient key: {pki.client_key_file}"]
    return announce_and_serve(
        server, base_url, *pki_files,
        f"WattzOn sandbox: {len(dataset.profiles)} profiles {summary['profile_ids'][:10]}, "
        f"{summary['bill_records']} bill records, {summary['interval_meters']} interval meters, "
        f"as_of {summary['as_of']}. Ctrl-C to stop.",
    )


if __name__ == "__main__":
    raise SystemExit(main())
