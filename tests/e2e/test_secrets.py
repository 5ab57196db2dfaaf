"""No secret appears anywhere: not in the lake, the warehouse, the logs or Dagster's event log.

Secrets: Bayou's API key and WattzOn's client private key (both vendors run in "real vendor"
mode against their sandboxes)."""

from __future__ import annotations

import duckdb

import pytest


@pytest.mark.parametrize("which", ["bayou api key", "wattzon private key line 1", "arcadia client secret"])
def test_secrets_are_nowhere(pipeline, capfd, which):
    API_KEY = pipeline.secrets[which]
    assert pipeline.logs, "the run should have logged something"
    places = 0
    # every file under the data dir, byte for byte (warehouse, lake, dbt artifacts alike)
    for path in pipeline.data_dir.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
            places += 1
    # every Parquet file, decoded (compression could hide a match from a byte scan)
    with duckdb.connect() as con:
        for path in (pipeline.data_dir / "lake").rglob("*.parquet"):
            (hits,) = con.execute(f"select count(*) from read_parquet('{path}') as t "
                                  "where t::varchar like ?", [f"%{API_KEY}%"]).fetchone()
            assert hits == 0, path
    # every table and view of the warehouse, decoded
    with duckdb.connect(str(pipeline.warehouse), read_only=True) as con:
        tables = con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        assert len(tables) > 10
        for schema, table in tables:
            (hits,) = con.execute(f'select count(*) from "{schema}"."{table}" as t where t::varchar like ?',
                                  [f"%{API_KEY}%"]).fetchone()
            assert hits == 0, f"{schema}.{table}"
    # logs we captured, Dagster's event log (metadata included), and the process's stdout/stderr
    assert not [line for line in pipeline.logs if API_KEY in line]
    assert not [line for line in pipeline.event_text if API_KEY in line]
    captured = capfd.readouterr()
    assert API_KEY not in captured.out and API_KEY not in captured.err
    assert places > 10
