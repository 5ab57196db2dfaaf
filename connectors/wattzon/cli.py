"""`python -m connectors.wattzon`: enroll a utility account with WattzOn Link, and checks.

    python -m connectors.wattzon link --provider-id 3150 --zipcode 00007 --username USER \\
        [--label L] [--mode bill|interval] [--tag T ...] [--wait [--timeout 900]]
    python -m connectors.wattzon echo [STRING]        # connectivity and certificate check
    python -m connectors.wattzon certificate          # the client certificate as WattzOn sees it
    python -m connectors.wattzon job JOB_ID [--wait]  # a job's status

`link` is the enrollment flow for users without WattzOn 3in1: create a profile, set the
encrypted `username` and `password` sensitive fields, start an extraction job, print the
profile id and job id; with `--wait`, poll until the job finishes and print its final status.

The utility-site password comes from `WATTZON_LINK_PASSWORD`, else from an interactive prompt.
`--password` exists for scripts but leaks the password into shell history and the process
list: prefer the environment variable or the prompt. Passwords and usernames are never printed.

Connection (environment): `WATTZON_CERT_FILE` and `WATTZON_KEY_FILE` (the client certificate
WattzOn signed and its key, PEM), `WATTZON_BASE_URL` (default https://api.wattzon.com/link/4.0),
`WATTZON_CA_FILE` (optional extra CA to trust, e.g. a sandbox's).

Exit codes: 0 done (with --wait: the job succeeded, fully or partially), 1 the vendor call
failed, 2 usage or configuration error, 3 the job finished without success, 4 --wait gave up
before the job finished, 130 interrupted.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from ..core.errors import ConfigurationError, ConnectorError, VendorError
from ..core.redaction import redact, register_secret
from .client import BASE_URL_ENV, CA_ENV, CERT_ENV, DEFAULT_BASE_URL, KEY_ENV, JOB_MODES, WattzonClient
from .jobs import JobTimeoutError, describe

PASSWORD_ENV = "WATTZON_LINK_PASSWORD"
EXIT_OK, EXIT_VENDOR, EXIT_USAGE, EXIT_JOB_FAILED, EXIT_TIMEOUT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130


def client_from_env(env: Mapping[str, str] | None = None) -> WattzonClient:
    """A client from WATTZON_BASE_URL, WATTZON_CERT_FILE, WATTZON_KEY_FILE and WATTZON_CA_FILE."""
    env = os.environ if env is None else env
    return WattzonClient(
        env.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
        cert_file=env.get(CERT_ENV) or None,
        key_file=env.get(KEY_ENV) or None,
        ca_file=env.get(CA_ENV) or None,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.wattzon",
        description="WattzOn Link API 4.0: enroll utility accounts and check the connection. "
        f"Connection settings come from {CERT_ENV}, {KEY_ENV}, {BASE_URL_ENV} and {CA_ENV}.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    link = commands.add_parser(
        "link", help="create a profile, set its encrypted credentials and start an extraction job",
        description="Enroll a utility account (for users without WattzOn 3in1). The password is read from "
        f"{PASSWORD_ENV} or prompted for.",
    )
    link.add_argument("--provider-id", type=int, required=True, help="WattzOn utility provider id (e.g. 3150)")
    link.add_argument("--zipcode", help="ZIP code of the service location")
    link.add_argument("--username", required=True, help="the utility-site username")
    link.add_argument(
        "--password",
        help=f"the utility-site password. AVOID: it leaks into shell history and the process list; use "
        f"{PASSWORD_ENV} or the interactive prompt instead",
    )
    link.add_argument("--label", help="your own reference for the profile (e.g. a CRM case id)")
    link.add_argument("--mode", choices=JOB_MODES, default="bill", help="extraction mode (default: bill)")
    link.add_argument("--tag", action="append", default=[], metavar="TAG", help="tag the profile (repeatable)")
    link.add_argument("--no-notification", action="store_true", help="ask WattzOn not to send the SQS notification")
    _wait_arguments(link)

    echo = commands.add_parser("echo", help="connectivity check: WattzOn echoes a string back")
    echo.add_argument("string", nargs="?", default="hello", help="what to echo (default: hello)")

    commands.add_parser("certificate", help="show the client certificate's info as WattzOn sees it")

    job = commands.add_parser("job", help="show a job's status")
    job.add_argument("job_id")
    _wait_arguments(job)
    return parser


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wait", action="store_true", help="poll until the job finishes and print its final status")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS",
                        help="give up waiting after this long (default: 900)")
    parser.add_argument("--poll-interval", type=float, default=2.0, metavar="SECONDS",
                        help="first polling interval; it doubles after each poll (default: 2)")
    parser.add_argument("--max-poll-interval", type=float, default=60.0, metavar="SECONDS",
                        help="longest polling interval (default: 60)")


def _password(args: argparse.Namespace, env: Mapping[str, str], stdin: TextIO, stderr: TextIO) -> str:
    if args.password is not None:
        print(f"warning: --password leaks into shell history; prefer {PASSWORD_ENV} or the prompt", file=stderr)
        return args.password
    if env.get(PASSWORD_ENV):
        return env[PASSWORD_ENV]
    if stdin.isatty():
        return getpass.getpass("utility-site password: ", stream=stderr)
    raise ConfigurationError(f"no password: set {PASSWORD_ENV} (or run interactively to be prompted)")


def _wait(client: WattzonClient, job_id: str, args: argparse.Namespace, out: TextIO) -> int:
    initial = max(args.poll_interval, 0.01)
    status = client.wait_for_job(job_id, deadline_s=args.timeout, initial_interval_s=initial,
                                 max_interval_s=max(args.max_poll_interval, initial))
    print(f"job_status: {status.job_status}", file=out)
    print(f"final: {describe(status)}", file=out)
    return EXIT_OK if status.is_success else EXIT_JOB_FAILED


def _link(client: WattzonClient, args: argparse.Namespace, env: Mapping[str, str], out: TextIO,
          err: TextIO, stdin: TextIO) -> int:
    password = _password(args, env, stdin, err)
    register_secret(password)
    register_secret(args.username)
    if not password:
        raise ConfigurationError("the password is empty")
    profile = client.create_profile(args.provider_id, zipcode=args.zipcode, label=args.label)
    print(f"profile_id: {profile.id}", file=out)
    out.flush()
    try:
        for tag in args.tag:
            client.add_tag(profile.id, tag)
        client.add_sensitive_field(profile.id, "username", args.username)
        client.add_sensitive_field(profile.id, "password", password)
        job_id = client.start_job(profile.id, mode=args.mode, send_notification=not args.no_notification)
    except ConnectorError:
        print(f"profile {profile.id} was created but not completed; fix the problem, then set its fields or "
              f"delete it", file=err)
        raise
    print(f"job_id: {job_id}", file=out)
    out.flush()
    if args.wait:
        return _wait(client, job_id, args, out)
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    out, err, inp = stdout or sys.stdout, stderr or sys.stderr, stdin or sys.stdin
    args = build_parser().parse_args(argv)
    try:
        with client_from_env(env) as client:
            if args.command == "link":
                return _link(client, args, env, out, err, inp)
            if args.command == "echo":
                print(client.echo(args.string), file=out)
                return EXIT_OK
            if args.command == "certificate":
                info = client.certificate_info()
                for name, value in info.model_dump(mode="json").items():
                    print(f"{name}: {value}", file=out)
                return EXIT_OK
            if args.command == "job":
                if args.wait:
                    return _wait(client, args.job_id, args, out)
                status = client.job_status(args.job_id)
                print(f"job_status: {status.job_status}", file=out)
                print(f"status: {describe(status)}", file=out)
                return EXIT_OK
    except ConfigurationError as exc:
        print(f"configuration error: {redact(str(exc))}", file=err)
        return EXIT_USAGE
    except JobTimeoutError as exc:
        print(f"error: {redact(str(exc))}", file=err)
        return EXIT_TIMEOUT
    except (VendorError, ConnectorError) as exc:
        print(f"error: {redact(str(exc))}", file=err)
        return EXIT_VENDOR
    except ValueError as exc:
        print(f"error: {redact(str(exc))}", file=err)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return EXIT_INTERRUPTED
    raise AssertionError(f"unhandled command {args.command!r}")  # pragma: no cover
