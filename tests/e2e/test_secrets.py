"""No secret appears anywhere: not in the lake, the warehouse, the logs, Dagster's event log, the
process output or dbt's artifacts of the run.

Every vendor runs in "real vendor" mode against its sandbox, so every kind of secret a real
deployment holds was really used: Bayou's API key, Arcadia's client secret and the OAuth access
tokens its sandbox issued, the Arc webhook signing key, Urjanet's password and the bearer tokens its
sandbox issued (plus the utility passwords Urjanet keeps write-only for its credentials), and every
line of WattzOn's client private key. Bayou's webhook token is not configured in the fixture (no
receiver runs during a materialization), so there is none to look for.

The scan runs once (module fixture) over every place and every secret; the tests then assert per
kind of secret, so a failure names what leaked and where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.settings import DBT_PROJECT_DIR

# Shorter values could match unrelated bytes of a large file by chance. The shortest secrets are
# the Urjanet sandbox's utility passwords: "pw-" and 10 random hex digits.
MIN_SECRET_LENGTH = 12


def secrets_of_the_run(pipeline) -> dict[str, dict[str, str]]:
    """{kind: {name: value}}: the fixture's configured secrets and what the sandboxes issued."""
    configured = dict(pipeline.secrets)
    kinds: dict[str, dict[str, str]] = {
        "bayou api key": {"bayou api key": configured.pop("bayou api key")},
        "arcadia client secret": {"arcadia client secret": configured.pop("arcadia client secret")},
        "arcadia webhook signing key": {"arcadia webhook signing key": configured.pop("arcadia webhook signing key")},
        "urjanet password": {"urjanet password": configured.pop("urjanet password")},
        "wattzon client private key": {name: configured.pop(name) for name in list(configured)
                                       if name.startswith("wattzon private key line")},
        "arcadia access tokens": {f"arcadia access token {i}": token.access_token
                                  for i, token in enumerate(pipeline.arcadia_state.issued_tokens)},
        "urjanet bearer tokens": {f"urjanet bearer token {i}": token
                                  for i, token in enumerate(pipeline.urjanet_state.tokens)},
        # utility logins Urjanet holds for its credentials: write-only at the API, never rendered
        "urjanet utility passwords": {
            f"urjanet credential {credential_id} {field_name}": value
            for credential_id, credential in pipeline.urjanet_state.records["credential"].items()
            for field_name, value in (credential.get("_passwords") or {}).items() if value},
    }
    assert not configured, f"a secret of the fixture is not assigned a kind: {sorted(configured)}"
    return kinds


@dataclass
class Scan:
    secrets: dict[str, str]  # name -> value
    places: dict[str, int] = field(default_factory=dict)  # kind of place -> how many were scanned
    hits: list[tuple[str, str]] = field(default_factory=list)  # (secret name, place)

    def text(self, place_kind: str, place: str, text: str) -> None:
        self.places[place_kind] = self.places.get(place_kind, 0) + 1
        self.hits += [(name, place) for name, value in self.secrets.items() if value in text]

    def raw(self, place_kind: str, path: Path) -> None:
        data = path.read_bytes()
        self.places[place_kind] = self.places.get(place_kind, 0) + 1
        self.hits += [(name, str(path)) for name, value in self.secrets.items() if value.encode() in data]

    def relation(self, place_kind: str, place: str, con: duckdb.DuckDBPyConnection, relation_sql: str) -> None:
        """Every row of a relation cast to text (a struct's text form holds every column's value)."""
        self.places[place_kind] = self.places.get(place_kind, 0) + 1
        names = {value: name for name, value in self.secrets.items()}
        found = con.execute(
            f"select distinct secret from (select t::varchar as row_text from {relation_sql} as t) as r, "
            "(select unnest(?::varchar[]) as secret) as s where contains(r.row_text, s.secret)",
            [list(names)]).fetchall()
        self.hits += [(names[value], place) for (value,) in found]


def scan_data_dir(scan: Scan, data_dir: Path) -> None:
    """Every file byte for byte, every Parquet file decoded (compression hides a match from the
    byte scan), every table and view of the warehouse decoded."""
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            scan.raw("files under the data dir (bytes)", path)
    with duckdb.connect() as con:
        for path in sorted((data_dir / "lake").rglob("*.parquet")):
            scan.relation("lake Parquet files (decoded)", str(path), con, f"read_parquet('{path}')")
    warehouse = data_dir / "warehouse.duckdb"
    if warehouse.exists():
        scan_warehouse(scan, warehouse)


def scan_warehouse(scan: Scan, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables "
                             "order by 1, 2").fetchall()
        for schema, table in tables:
            scan.relation("warehouse tables and views (decoded)", f"{schema}.{table}", con, f'"{schema}"."{table}"')


def run_ids_of(pipeline) -> set[str]:
    """The Dagster runs of the fixture (another module may have materialized again)."""
    run_ids = {m.group(1) for line in pipeline.event_text for m in re.finditer(r"run_id='([0-9a-f-]{36})'", line)}
    assert run_ids
    return run_ids


def dbt_target_dirs(pipeline) -> list[Path]:
    """dagster-dbt gives every dbt invocation its own target (and log) dir named
    `<asset>-<run id[:7]>-<random>` under dbt_project/target: those of the fixture's runs."""
    return sorted(p for run_id in run_ids_of(pipeline)
                  for p in (DBT_PROJECT_DIR / "target").glob(f"*-{run_id[:7]}-*") if p.is_dir())


def captured_output_of_the_session(request) -> str | None:
    """What pytest captured of stdout/stderr so far: the pipeline fixture ran (Dagster, dbt's
    streamed output) during the setup of the first test that asked for it, and pytest attached
    that output to the test's report sections. None when capture is off (`-s`)."""
    if request.config.getoption("capture") == "no":
        return None
    return "\n".join(content for item in request.session.items
                     for _, key, content in getattr(item, "_report_sections", []) if key in ("stdout", "stderr"))


@pytest.fixture(scope="module")
def secret_scan(pipeline, request) -> Scan:
    kinds = secrets_of_the_run(pipeline)
    secrets = {name: value for by_name in kinds.values() for name, value in by_name.items()}
    assert all(len(value) >= MIN_SECRET_LENGTH for value in secrets.values()), \
        [name for name, value in secrets.items() if len(value) < MIN_SECRET_LENGTH]
    scan = Scan(secrets)
    scan_data_dir(scan, pipeline.data_dir)
    assert pipeline.logs, "the run should have logged something"
    scan.text("captured log records", "logs", "\n".join(pipeline.logs))
    assert pipeline.event_text, "the run should have Dagster events"
    scan.text("Dagster event log", "Dagster event log", "\n".join(pipeline.event_text))
    # The fixture's instance is DagsterInstance.ephemeral(): in-memory storage, nothing on disk
    # beyond what the event log above holds.
    targets = dbt_target_dirs(pipeline)
    assert targets, "dbt wrote no target dir for this run"
    for target in targets:
        for path in sorted(target.rglob("*")):
            if path.is_file():
                scan.raw("dbt artifacts and logs of the run (bytes)", path)
    output = captured_output_of_the_session(request)
    if output is not None:
        scan.text("stdout/stderr captured during the run", "captured stdout/stderr", output)
    scan.kinds = kinds  # type: ignore[attr-defined]
    summary = {"secrets": {kind: len(values) for kind, values in kinds.items()}, "places": scan.places}
    print(f"\nsecret scan: {sum(summary['secrets'].values())} secrets, {sum(scan.places.values())} places: {summary}")
    return scan


KINDS = ["bayou api key", "arcadia client secret", "arcadia access tokens", "arcadia webhook signing key",
         "urjanet password", "urjanet bearer tokens", "urjanet utility passwords", "wattzon client private key"]


@pytest.mark.parametrize("kind", KINDS)
def test_no_secret_of_this_kind_is_anywhere(secret_scan, kind):
    names = set(secret_scan.kinds[kind])
    assert names, f"no {kind} to look for: the run did not use it"
    leaks = sorted({(name, place) for name, place in secret_scan.hits if name in names})
    assert not leaks, f"{kind} found in: {leaks[:20]}"


def test_every_place_was_scanned(secret_scan, pipeline, capfd, record_property):
    places = secret_scan.places
    assert places["files under the data dir (bytes)"] > 100
    assert places["lake Parquet files (decoded)"] > 50
    assert places["warehouse tables and views (decoded)"] > 30
    assert places["dbt artifacts and logs of the run (bytes)"] >= 3
    for kind in ("captured log records", "Dagster event log"):
        assert places[kind] == 1
    # the sandboxes issued tokens, and the run used the private key over TLS
    assert len(secret_scan.kinds["arcadia access tokens"]) >= 1
    assert len(secret_scan.kinds["urjanet bearer tokens"]) >= 1
    assert len(secret_scan.kinds["wattzon client private key"]) >= 20
    # what the test process printed while scanning
    captured = capfd.readouterr()
    for name, value in secret_scan.secrets.items():
        assert value not in captured.out and value not in captured.err, name
    record_property("secret_scan", {"secrets": {k: len(v) for k, v in secret_scan.kinds.items()}, "places": places})


def test_the_scanner_finds_a_planted_secret(tmp_path):
    """The scan would catch a real leak: a secret in a compressed Parquet file (where a byte scan
    may not see it), in a warehouse view's computed column, in a log line."""
    planted = "planted-SECRET-0123456789abcdef"
    data_dir = tmp_path / "data"
    parquet = data_dir / "lake" / "vendor" / "entity" / "part-0000.parquet"
    parquet.parent.mkdir(parents=True)
    pq.write_table(pa.table({"id": list(range(1000)), "note": [planted] * 1000}), parquet, compression="zstd")
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        con.execute("create schema marts")
        con.execute("create table marts.t as select 'planted-' as a, 'SECRET-0123456789abcdef' as b")
        con.execute("create view marts.v as select a || b as c from marts.t")
    scan = Scan({"planted": planted})
    scan_data_dir(scan, data_dir)
    assert ("planted", "marts.v") in scan.hits  # exists only once the view is computed
    assert ("planted", "marts.t") not in scan.hits  # split in two columns: not the secret
    decoded = Scan({"planted": planted})
    with duckdb.connect() as con:
        decoded.relation("parquet", "decoded parquet", con, f"read_parquet('{parquet}')")
    assert decoded.hits == [("planted", "decoded parquet")]
    scan.text("captured log records", "logs", f"login with {planted}")
    assert ("planted", "logs") in scan.hits
