"""Bulk enrollment of utility accounts with Urjanet from a CSV file.

    python -m connectors.urjanet.enroll ACCOUNTS.csv [--dry-run] [--results RESULTS.csv]

CSV format (UTF-8, a header row; column names are case-insensitive, values are trimmed):

    provider               required  Urjanet provider alias (GeorgiaPower) or provider id (UUID)
    account_number         required  the utility account number
    username               required  the utility website login
    password               required  its password (write-only: never printed, logged or written)
    username2..username4   optional  extra inputs some websites ask for (e.g. a security question)
    password2..password4   optional  their secret answers (treated like password)
    url                    optional  the login page, when the provider's default template needs it
    interval_data_enabled  optional  true/false (also yes/no, 1/0); blank = the API's default (false)
    attr:<AttributeName>   optional  any number of these: a custom attribute of the account, e.g.
                                     `attr:FacilityId`; a blank cell leaves the attribute unset

Any other column is an error (exit 2), so a misspelt column is never ignored silently.

One credential serves every row with the same provider and username: it is created once (the
rows must agree on its passwords and extra usernames; url and interval_data_enabled given on any
of them apply to all). If Urjanet answers ALREADY_EXISTS, the existing credential is found by a
search on provider + username (and username2..4) and reused; if its stored password differs
from the file's, the row says so (the credential is not changed). Each account is then created
with that credential's extractionChannelId (subscribed, to be delivered); an account Urjanet
already has (same provider and account number) is reported `exists`, not as a failure, and
creates nothing.

Every row is checked before any change is made: required columns present, the provider known
to the provider search, the attributes defined (attribute search) and the required ones given,
interval_data_enabled a boolean, no row repeating an earlier one (same provider and account
number, ignoring punctuation), rows sharing a credential consistent. A row failing a check is
`invalid` (the reason names the column); the other rows still go through. `--dry-run` makes
the same checks and the same read-only look-ups (providers, attributes, existing accounts and
credentials) and reports what would happen, without any create or update call.

Result per row (printed as a table, and written as CSV with --results): row (its number in the
file, the header being row 1, as a spreadsheet shows it), provider, account_number, outcome,
credential_id, account_id, reason. Outcomes:

    created                 the account was created (reason: new, reused or shared credential)
    exists                  Urjanet already has this account; nothing was done
    invalid                 the row failed a check; nothing was done
    failed                  an API call failed for this row (reason: the error)
    would_create            dry run: the account and a new credential would be created
    would_reuse_credential  dry run: the account would be created on an existing credential

Exit code: 0 when no row is invalid or failed, 1 otherwise (or when a look-up fails), 2 for
usage errors (unreadable file, missing or unknown columns, no connection settings).

Connection (environment): URJANET_USERNAME and URJANET_PASSWORD (API login), URJANET_BASE_URL
(default https://api.urjanet.net), URJANET_CUSTOMER_ID (optional). Without URJANET_USERNAME,
`connectors.urjanet.connect(env)` decides: the sandbox at URJANET_SANDBOX_URL, else an embedded
one (a note on stderr says so: nothing is enrolled with Urjanet then).
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from ..core.errors import VendorError
from ..core.redaction import redact, register_secret
from . import connect
from .client import DEFAULT_BASE_URL, UrjanetAlreadyExistsError, UrjanetClient
from .query import Query

log = logging.getLogger("connectors.urjanet.enroll")

REQUIRED_COLUMNS = ("provider", "account_number", "username", "password")
EXTRA_USERNAMES = ("username2", "username3", "username4")
EXTRA_PASSWORDS = ("password2", "password3", "password4")
OPTIONAL_COLUMNS = (*EXTRA_USERNAMES, *EXTRA_PASSWORDS, "url", "interval_data_enabled")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)
PASSWORD_COLUMNS = ("password", *EXTRA_PASSWORDS)
ATTRIBUTE_PREFIX = "attr:"
RESULT_COLUMNS = ("row", "provider", "account_number", "outcome", "credential_id", "account_id", "reason")
TRUE, FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
EXIT_OK, EXIT_ROWS, EXIT_USAGE = 0, 1, 2

CREATED, EXISTS, INVALID, FAILED = "created", "exists", "invalid", "failed"
WOULD_CREATE, WOULD_REUSE = "would_create", "would_reuse_credential"


class UsageError(Exception):
    """The file or the settings are unusable as a whole (exit 2)."""


@dataclass
class RowResult:
    row: int
    provider: str
    account_number: str
    outcome: str
    credential_id: str | None = None
    account_id: str | None = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "provider": self.provider, "account_number": self.account_number,
                "outcome": self.outcome, "credential_id": self.credential_id or "",
                "account_id": self.account_id or "", "reason": self.reason}


@dataclass
class _Row:
    """A checked row; `inputs` are the credential's API fields (passwords included: never shown)."""

    number: int
    provider: str  # the provider alias as Urjanet spells it
    account_number: str
    inputs: dict[str, Any]
    attributes: dict[str, str]
    result: RowResult

    def __repr__(self) -> str:
        return f"_Row({self.number}, {self.provider!r}, {self.account_number!r})"


@dataclass
class _Credential:
    """Rows of the file sharing one credential (same provider + username)."""

    provider: str
    inputs: dict[str, Any]
    first_row: int
    rows: list[_Row] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"_Credential({self.provider!r}, first_row={self.first_row})"


# -- reading ----------------------------------------------------------------------------------------


def _column(name: str) -> str:
    name = (name or "").strip()
    if name.lower().startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_PREFIX + name[len(ATTRIBUTE_PREFIX):].strip()
    return name.lower()


def check_columns(fieldnames: Sequence[str] | None) -> list[str]:
    """The header's columns, normalized; missing required or unknown columns raise UsageError."""
    if not fieldnames:
        raise UsageError("the CSV file is empty (a header row is needed)")
    columns = [_column(n) for n in fieldnames]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise UsageError(f"missing column(s): {', '.join(missing)} (needed: {', '.join(REQUIRED_COLUMNS)})")
    unknown = [c for c in columns if c not in KNOWN_COLUMNS
               and not (c.startswith(ATTRIBUTE_PREFIX) and len(c) > len(ATTRIBUTE_PREFIX))]
    if unknown:
        raise UsageError(f"unknown column(s): {', '.join(repr(c) for c in unknown)}; known: "
                         f"{', '.join(KNOWN_COLUMNS)} and attr:<AttributeName>")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise UsageError(f"repeated column(s): {', '.join(repeated)}")
    return columns


def read_rows(source: TextIO) -> list[dict[str, str]]:
    """The CSV rows as dicts keyed by normalized column name; passwords registered as secrets."""
    reader = csv.reader(source)
    header = next(reader, None)
    columns = check_columns(header)
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # a blank line (spreadsheets leave them at the end)
        row = {c: (values[i] if i < len(values) else "") for i, c in enumerate(columns)}
        for name in PASSWORD_COLUMNS:
            register_secret((row.get(name) or "").strip() or None)
        rows.append(row)
    return rows


# -- checking ---------------------------------------------------------------------------------------


def _value(row: Mapping[str, Any], name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def _flag(text: str) -> bool | None:
    if not text:
        return None
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError


def _account_key(provider: str, number: str) -> tuple[str, str]:
    return provider, "".join(ch for ch in number if ch.isalnum()).lower()


class _Catalogue:
    """Read-only look-ups, each made once: providers by alias or id, the defined attributes."""

    def __init__(self, client: UrjanetClient) -> None:
        self.client = client
        self._providers: dict[str, str | None] = {}
        self._suggestions: dict[str, list[str]] = {}
        self._attributes: dict[str, Any] | None = None

    def provider(self, value: str) -> str | None:
        """The alias of the provider named by alias or id, or None."""
        if value not in self._providers:
            found = next(self.client.search_providers(Query().eq("providerAlias", value), limit=1), None) \
                or next(self.client.search_providers(Query().eq("id", value), limit=1), None)
            self._providers[value] = found.provider_alias if found is not None else None
            if found is None:
                similar = self.client.search_providers(Query().include("providerAlias", value), limit=3)
                self._suggestions[value] = [p.provider_alias for p in similar if p.provider_alias]
        return self._providers[value]

    def suggestions(self, value: str) -> list[str]:
        return self._suggestions.get(value, [])

    @property
    def attributes(self) -> dict[str, Any]:
        if self._attributes is None:
            self._attributes = {a.name: a for a in self.client.search_attributes() if a.name}
        return self._attributes


def _check(client: UrjanetClient, rows: Sequence[Mapping[str, Any]], first_row: int,
           results: list[RowResult]) -> list[_Row]:
    catalogue = _Catalogue(client)
    checked: list[_Row] = []
    seen_accounts: dict[tuple[str, str], int] = {}
    groups: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    for index, raw in enumerate(rows):
        number = first_row + index
        provider_text, account_number = _value(raw, "provider"), _value(raw, "account_number")
        result = RowResult(number, provider_text, account_number, INVALID)
        results.append(result)

        def invalid(reason: str) -> None:
            result.reason = reason
            log.info("row %d: invalid: %s", number, reason)

        missing = [c for c in REQUIRED_COLUMNS if not _value(raw, c)]
        if missing:
            invalid("; ".join(f"{c} is required (empty)" for c in missing))
            continue
        try:
            interval = _flag(_value(raw, "interval_data_enabled"))
        except ValueError:
            invalid("interval_data_enabled must be true or false")
            continue
        missing_pair = [f"{u} is required when {p} is given" for u, p in zip(EXTRA_USERNAMES, EXTRA_PASSWORDS)
                        if _value(raw, p) and not _value(raw, u)]
        if missing_pair:
            invalid("; ".join(missing_pair))
            continue
        alias = catalogue.provider(provider_text)
        if alias is None:
            hint = catalogue.suggestions(provider_text)
            invalid(f"provider: unknown provider {provider_text!r} (not an Urjanet provider alias or id)"
                    + (f"; did you mean {' or '.join(hint)}?" if hint else ""))
            continue
        result.provider = alias
        attributes, problems = {}, []
        defined = catalogue.attributes
        for column in raw:
            if not column.startswith(ATTRIBUTE_PREFIX) or not _value(raw, column):
                continue
            name = column[len(ATTRIBUTE_PREFIX):]
            if name not in defined:
                close = [n for n in defined if n.lower() == name.lower()]
                problems.append(f"{column}: no custom attribute named {name!r}"
                                + (f" (did you mean attr:{close[0]}?)" if close else
                                   f" (defined: {', '.join(sorted(defined)) or 'none'})"))
            else:
                attributes[name] = _value(raw, column)
        problems += [f"attr:{name}: required custom attribute is empty"
                     for name, attribute in sorted(defined.items()) if attribute.required and name not in attributes]
        if problems:
            invalid("; ".join(problems))
            continue
        key = _account_key(alias, account_number)
        if key in seen_accounts:
            invalid(f"account_number: duplicate of row {seen_accounts[key]} (same provider and account number)")
            continue
        inputs: dict[str, Any] = {"username": _value(raw, "username")}
        for name in (*EXTRA_USERNAMES, *PASSWORD_COLUMNS):
            inputs[name] = _value(raw, name) or None
        inputs["url"] = _value(raw, "url") or None
        inputs["intervalDataEnabled"] = interval
        group = groups.get((alias, inputs["username"]))
        if group is not None:  # rows sharing a credential share one dict of its inputs
            owner, shared = group
            conflicts = [n for n in (*EXTRA_USERNAMES, *PASSWORD_COLUMNS) if inputs[n] != shared[n]]
            conflicts += [n for n in ("url", "intervalDataEnabled")
                          if inputs[n] is not None and shared[n] is not None and inputs[n] != shared[n]]
            if conflicts:
                columns = ", ".join("interval_data_enabled" if c == "intervalDataEnabled" else c for c in conflicts)
                invalid(f"{columns}: differs from row {owner}, which has the same provider and username "
                        f"(one credential serves both rows)")
                continue
            for name in ("url", "intervalDataEnabled"):
                if shared[name] is None:
                    shared[name] = inputs[name]
            inputs = shared
        else:
            groups[(alias, inputs["username"])] = (number, inputs)
        seen_accounts[key] = number
        row = _Row(number, alias, account_number, inputs, attributes, result)
        result.outcome, result.reason = "", ""
        checked.append(row)
    return checked


# -- look-ups and changes -----------------------------------------------------------------------------


def _existing_account(client: UrjanetClient, row: _Row):
    query = Query().eq("utilityProviderId", row.provider).eq("accountNumber", row.account_number)
    return next(client.search_accounts(query, limit=1), None)


def _existing_credential(client: UrjanetClient, credential: _Credential):
    """The credential with the same provider and usernames (the API's duplicate rule), or None."""
    inputs = credential.inputs
    query = Query().eq("utilityProviderId", credential.provider).eq("username", inputs["username"])
    for found in client.search_credentials(query):
        if all((getattr(found, name) or None) == inputs[name] for name in EXTRA_USERNAMES):
            return found
    return None


def _same_password(client: UrjanetClient, credential: _Credential, credential_id: str) -> bool:
    inputs = credential.inputs
    query = Query().eq("utilityProviderId", credential.provider).eq("username", inputs["username"]) \
        .eq("password", inputs["password"])
    return any(c.id == credential_id for c in client.search_credentials(query))


def _reason(exc: BaseException) -> str:
    return redact(str(exc))


def _fail(rows: Iterable[_Row], reason: str) -> None:
    for row in rows:
        row.result.outcome, row.result.reason = FAILED, reason
        log.warning("row %d: failed: %s", row.number, reason)


def _credential_for(client: UrjanetClient, credential: _Credential, dry_run: bool) -> tuple[str | None, str, bool]:
    """(credential id, note, is an existing one) — creating it unless dry_run."""
    if dry_run:
        found = _existing_credential(client, credential)
        if found is None:
            return None, "a new credential would be created", False
        note = f"would reuse existing credential {found.extraction_channel_id}"
        if not _same_password(client, credential, found.id):
            note += " (its stored password differs from the file's and would not be changed)"
        return found.id, note, True
    fields = {k: v for k, v in credential.inputs.items() if k not in ("username", "password") and v is not None}
    try:
        created = client.create_credential(utility_provider_id=credential.provider,
                                           username=credential.inputs["username"],
                                           password=credential.inputs["password"], **fields)
        return created.extraction_channel_id or created.id, f"new credential {created.extraction_channel_id}", False
    except UrjanetAlreadyExistsError:
        found = _existing_credential(client, credential)
        if found is None:
            raise
        note = f"reused existing credential {found.extraction_channel_id}"
        if not _same_password(client, credential, found.id):
            note += " (its stored password differs from the file's; not changed)"
        return found.extraction_channel_id or found.id, note, True


def enroll_rows(client: UrjanetClient, rows: Sequence[Mapping[str, Any]], *, dry_run: bool = False,
                first_row: int = 2) -> list[RowResult]:
    """Check every row, then (unless dry_run) create credentials and accounts; one result per row.

    `rows` are mappings from the CSV's column names (see the module doc) to text, in file order;
    row numbers start at `first_row` (2: the header is row 1). Look-up failures (providers,
    attributes) raise; a failed create or search for a row only fails that row (or the rows
    sharing its credential)."""
    for raw in rows:
        for name in PASSWORD_COLUMNS:
            register_secret(_value(raw, name) or None)
    results: list[RowResult] = []
    checked = _check(client, rows, first_row, results)
    pending: list[_Row] = []
    for row in checked:
        try:
            existing = _existing_account(client, row)
        except VendorError as exc:
            _fail([row], f"account search failed: {_reason(exc)}")
            continue
        if existing is not None:
            channels = existing.extraction_channels or existing.verified_extraction_channels
            row.result.outcome, row.result.account_id = EXISTS, existing.id
            row.result.credential_id = channels[0].id if channels else None
            row.result.reason = "Urjanet already has this account; nothing done"
            log.info("row %d: exists (%s)", row.number, existing.id)
        else:
            pending.append(row)
    credentials: dict[tuple[str, str], _Credential] = {}
    for row in pending:
        key = (row.provider, row.inputs["username"])
        if key not in credentials:
            credentials[key] = _Credential(row.provider, row.inputs, row.number)
        credentials[key].rows.append(row)
    for credential in credentials.values():
        try:
            channel, note, existing = _credential_for(client, credential, dry_run)
        except VendorError as exc:
            _fail(credential.rows, f"credential: {_reason(exc)}")
            continue
        for row in credential.rows:
            if dry_run:
                row.result.outcome = WOULD_REUSE if existing else WOULD_CREATE
                row.result.credential_id = channel
                row.result.reason = note if row.number == credential.first_row or existing \
                    else f"would share the new credential of row {credential.first_row}"
                continue
            try:
                account = client.create_account(account_number=row.account_number, utility_provider_id=row.provider,
                                                extraction_channel_id=channel,
                                                custom_attributes=row.attributes or None)
            except UrjanetAlreadyExistsError:  # e.g. the same number written differently ("12-34" / "1234")
                try:
                    existing_account = _existing_account(client, row)
                except VendorError:
                    existing_account = None
                row.result.outcome = EXISTS
                row.result.account_id = existing_account.id if existing_account is not None else None
                row.result.reason = "Urjanet already has this account; nothing done"
                continue
            except VendorError as exc:
                _fail([row], f"account: {_reason(exc)}")
                continue
            row.result.outcome, row.result.account_id = CREATED, account.id
            channels = account.extraction_channels
            row.result.credential_id = channels[0].id if channels else channel
            row.result.reason = note if row.number == credential.first_row or existing \
                else f"shared credential of row {credential.first_row}"
            log.info("row %d: created account %s", row.number, account.id)
    return results


# -- output -----------------------------------------------------------------------------------------


def format_table(results: Sequence[RowResult]) -> str:
    rows = [RESULT_COLUMNS] + [tuple(str(r.as_dict()[c]) for c in RESULT_COLUMNS) for r in results]
    widths = [max(len(r[i]) for r in rows) for i in range(len(RESULT_COLUMNS) - 1)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(v.ljust(w) for v, w in zip(row, widths)) + "  " + row[-1])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * len("reason"))
    return "\n".join(line.rstrip() for line in lines)


def summarize(results: Sequence[RowResult], dry_run: bool) -> str:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    parts = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
    tail = " (dry run: nothing was changed)" if dry_run else ""
    return f"{len(results)} row(s): {parts or 'none'}{tail}"


def write_results(path: str | Path, results: Sequence[RowResult]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=RESULT_COLUMNS)
        writer.writeheader()
        for result in results:
            writer.writerow(result.as_dict())


def exit_code(results: Sequence[RowResult]) -> int:
    return EXIT_ROWS if any(r.outcome in (INVALID, FAILED) for r in results) else EXIT_OK


# -- command ----------------------------------------------------------------------------------------


def connect_client(env: Mapping[str, str]) -> tuple[Any, Any]:
    """(client, what to close): the API login from URJANET_USERNAME..., else `connect(env)` (a sandbox)."""
    value = lambda name: (env.get(name) or "").strip() or None  # noqa: E731
    if value("URJANET_USERNAME"):
        if not value("URJANET_PASSWORD"):
            raise UsageError("URJANET_USERNAME is set but URJANET_PASSWORD is not")
        client = UrjanetClient(value("URJANET_USERNAME"), env["URJANET_PASSWORD"],
                               value("URJANET_BASE_URL") or DEFAULT_BASE_URL, value("URJANET_CUSTOMER_ID"))
        return client, client
    connection = connect(env)
    if connection.is_sandbox:
        print(f"note: URJANET_USERNAME is not set: using the Urjanet sandbox at {connection.base_url}",
              file=sys.stderr)
    return connection.client, connection


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.urjanet.enroll",
        description="Enroll utility accounts with Urjanet from a CSV file (columns: provider, account_number, "
                    "username, password, optional username2..4, password2..4, url, interval_data_enabled, "
                    "attr:<AttributeName>). Connection from URJANET_USERNAME, URJANET_PASSWORD, URJANET_BASE_URL, "
                    "URJANET_CUSTOMER_ID.")
    parser.add_argument("accounts", metavar="ACCOUNTS.csv", help="the accounts to enroll")
    parser.add_argument("--dry-run", action="store_true", help="check and look up only; create nothing")
    parser.add_argument("--results", metavar="RESULTS.csv", help="write the per-row results to this CSV file")
    return parser


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        with open(args.accounts, newline="", encoding="utf-8-sig") as source:
            rows = read_rows(source)
    except OSError as exc:
        print(f"error: cannot read {args.accounts}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except (UsageError, csv.Error, UnicodeDecodeError) as exc:
        print(f"error: {args.accounts}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        client, closing = connect_client(env)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        results = enroll_rows(client, rows, dry_run=args.dry_run)
    except VendorError as exc:
        print(f"error: {_reason(exc)}", file=sys.stderr)
        return EXIT_ROWS
    finally:
        closing.close()
    print(format_table(results))
    print(summarize(results, args.dry_run))
    if args.results:
        try:
            write_results(args.results, results)
        except OSError as exc:
            print(f"error: cannot write {args.results}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"results written to {args.results}")
    return exit_code(results)


if __name__ == "__main__":
    raise SystemExit(main())
