"""The lake on S3 (UTILITY_LAKE_URI=s3://bucket/prefix) against an S3-compatible server on
loopback (moto): writes, reads, listings, cleanup, atomic visibility, the webhook inbox and its
sensor, and errors that name the bucket but never a secret."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.core.errors import ConfigurationError
from connectors.lake import EMPTY_FILE, SCHEMA_SUMMARY_FILE, TMP_PREFIX, Entity, Lake, query_dataset, read_latest
from connectors.objectstore import LakeStorageError, ObjectPath
from connectors.settings import load_settings
from tests.s3server import ACCESS_KEY, SECRET_KEY, moto_s3

BUCKET = "utility-lake"
PREFIX = "team/raw"
URI = f"s3://{BUCKET}/{PREFIX}"
TS = pa.timestamp("us", tz="UTC")
READINGS = Entity.with_meta("readings", [("meter_id", pa.string()), ("start", TS), ("kwh", pa.float64())],
                            partition_by_month_of="start", key=("meter_id", "start"))
THINGS = Entity.with_meta("things", [("id", pa.string()), ("value", pa.int64())], key=("id",))
AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE")


@pytest.fixture(scope="module")
def server():
    with moto_s3(BUCKET) as s3:
        yield s3


@pytest.fixture()
def s3(server, monkeypatch, tmp_path):
    """The server, with this process's AWS environment pointing at it and an empty bucket."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in server.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("UTILITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("UTILITY_LAKE_URI", URI + "/")
    client = server.client()
    for key in server.keys(BUCKET, markers=True):
        client.delete_object(Bucket=BUCKET, Key=key)
    return server


def readings(months: int, per_month: int = 3, meter: str = "m1", load: str = "L") -> pa.Table:
    rows = [{"meter_id": meter, "start": datetime(2024, 1 + m, 1 + i, tzinfo=UTC), "kwh": float(i),
             "_load_id": load, "_extracted_at": datetime(2024, 12, 1, tzinfo=UTC)}
            for m in range(months) for i in range(per_month)]
    return pa.Table.from_pylist(rows, schema=READINGS.schema)


def things(*pairs, load="L", at=datetime(2024, 1, 1, tzinfo=UTC)) -> pa.Table:
    return pa.Table.from_pylist([{"id": i, "value": v, "_load_id": load, "_extracted_at": at} for i, v in pairs],
                                schema=THINGS.schema)


# -- settings -------------------------------------------------------------------------------------


def test_settings_take_the_lake_from_utility_lake_uri(s3, tmp_path):
    settings = load_settings()
    assert settings.lake_dir == URI and not settings.lake_is_local  # normalized: no trailing slash
    assert settings.dbt_env() == {"UTILITY_DATA_DIR": str(tmp_path / "data"), "UTILITY_LAKE_URI": URI}
    lake = Lake(settings.lake_dir)
    assert not lake.is_local and lake.uri == URI and isinstance(lake.root, ObjectPath)
    assert SECRET_KEY not in repr(settings) + repr(lake)


def test_the_dbt_process_gets_the_lake_uri_and_the_aws_environment(s3, tmp_path):
    from orchestration.dbt import dbt_environment

    env = dbt_environment(load_settings())
    assert env["UTILITY_LAKE_URI"] == URI and env["AWS_ENDPOINT_URL"] == s3.url
    assert env["AWS_ACCESS_KEY_ID"] == ACCESS_KEY and env["AWS_SECRET_ACCESS_KEY"] == SECRET_KEY
    # a local lake: exactly what dbt got before
    local = load_settings({"UTILITY_DATA_DIR": str(tmp_path)})
    assert dbt_environment(local) == {"UTILITY_DATA_DIR": str(tmp_path)}


@pytest.mark.parametrize("uri, message", [
    ("s3://AKIAXXXX:very-secret@bucket/prefix", "must not carry credentials"),
    ("s3:///prefix", "must name a bucket"),
    ("s3://bucket/prefix?endpoint_override=localhost:9000", "takes no options"),
    ("gs://bucket/prefix", "unsupported scheme 'gs'"),
])
def test_bad_lake_uris_are_refused_without_echoing_credentials(uri, message):
    with pytest.raises(ConfigurationError, match=message) as error:
        load_settings({"UTILITY_LAKE_URI": uri})
    assert "very-secret" not in str(error.value)


def test_a_local_lake_uri_is_a_folder(tmp_path):
    assert load_settings({"UTILITY_LAKE_URI": f"file://{tmp_path}/lake"}).lake_dir == tmp_path / "lake"
    assert load_settings({"UTILITY_LAKE_URI": str(tmp_path / "x")}).lake_dir == tmp_path / "x"
    assert load_settings({"UTILITY_DATA_DIR": str(tmp_path)}).lake_dir == tmp_path / "lake"


# -- writes, reads, listings ----------------------------------------------------------------------


def test_writes_land_under_the_same_layout_as_a_local_lake(s3, tmp_path):
    lake, local = Lake(URI), Lake(tmp_path / "local-lake")
    stats = {}
    for name, target in (("s3", lake), ("local", local)):
        with target.writer("v", READINGS, "load1") as writer:
            writer.write(readings(3))
        stats[name] = writer.stats
    assert stats["s3"].files == stats["local"].files == [
        "v/readings/month=2024-01/load1-0001.parquet", "v/readings/month=2024-02/load1-0002.parquet",
        "v/readings/month=2024-03/load1-0003.parquet"]
    local_keys = sorted(str(p.relative_to(local.root)) for p in local.root.rglob("*") if p.is_file())
    assert s3.keys(BUCKET) == [f"{PREFIX}/{k}" for k in local_keys]
    assert f"{PREFIX}/v/readings/{EMPTY_FILE}" in s3.keys(BUCKET)
    assert not [k for k in s3.keys(BUCKET) if TMP_PREFIX in k]  # no temporary object, no rename
    # every object is a whole Parquet file, the schema file included
    fs = lake.root.fs
    for key in s3.keys(BUCKET):
        assert pq.read_table(f"{BUCKET}/{key}", filesystem=fs).schema.equals(READINGS.schema, check_metadata=False)
    assert sorted(p.name for p in lake.dataset_dir("v", "readings").iterdir()) == [
        SCHEMA_SUMMARY_FILE, EMPTY_FILE, "month=2024-01", "month=2024-02", "month=2024-03"]


def test_reads_through_duckdb_see_every_file_and_the_schema_file(s3):
    lake = Lake(URI)
    lake.ensure_dataset("v", THINGS)
    assert lake.dataset_dir("v", "things").exists() and not lake.has_data("v", "things")
    assert read_latest(lake, "v", THINGS).num_rows == 0  # `_empty.parquet` alone: typed and empty
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    for i, value in enumerate([1, 2]):
        with lake.writer("v", THINGS, f"L{i}") as writer:
            writer.write(things(("a", value), ("b", 10 * value), load=f"L{i}", at=t0 + timedelta(hours=i)))
    assert lake.has_data("v", "things")
    assert sorted((r["id"], r["value"]) for r in read_latest(lake, "v", THINGS).to_pylist()) == [("a", 2), ("b", 20)]
    assert query_dataset(lake, "v", "things", "select count(*) as n from dataset").to_pylist() == [{"n": 4}]
    # The glob of dbt's sources, through s3fs: the schema file is read, `.tmp-` objects are not.
    s3.client().put_object(Bucket=BUCKET, Key=f"{PREFIX}/v/things/{TMP_PREFIX}crashed-L9-0001.parquet",
                           Body=b"PAR1 half a file")
    with lake.writer("v", READINGS, "L3") as w:
        w.write(readings(2))
    with lake.duckdb() as con:
        files = [r[0] for r in con.execute(f"select distinct filename from read_parquet('{lake.glob('v', 'things')}', "
                                            "hive_partitioning = false, union_by_name = true, filename = true)"
                                            ).fetchall()]
        assert len(files) == 2 and all(f.startswith(f"{URI}/v/things/L") for f in files)
        globbed = [r[0] for r in con.execute(f"select file from glob('{lake.glob('v', 'readings')}')").fetchall()]
        assert sorted(globbed) == [f"{URI}/v/readings/{EMPTY_FILE}", f"{URI}/v/readings/month=2024-01/L3-0001.parquet",
                                   f"{URI}/v/readings/month=2024-02/L3-0002.parquet"]
        assert con.execute(f"select count(*) from read_parquet('{lake.glob('v', 'readings')}', "
                           "hive_partitioning = false)").fetchone()[0] == 6


def test_a_snapshot_is_replaced_whole(s3):
    lake = Lake(URI)
    lake.replace_snapshot("policy", "unlocked_bills", pa.table({"bill_id": ["1", "2"]}))
    lake.replace_snapshot("policy", "unlocked_bills", pa.table({"bill_id": ["3"]}))
    assert s3.keys(BUCKET, f"{PREFIX}/policy/") == [f"{PREFIX}/policy/unlocked_bills/policy.parquet"]
    with lake.duckdb() as con:
        assert con.execute(f"select * from read_parquet('{URI}/policy/unlocked_bills/[!.]*.parquet')").fetchall() == [("3",)]


def test_the_pathlike_api_connectors_use_on_the_lake_root(s3):
    """What WattzOn's PDF store and Arcadia's inbox lookup do with `ctx.lake.root`."""
    lake = Lake(URI)
    path = lake.root / "wattzon/pdf_files/ab/abcdef.pdf"
    assert not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}abcdef-1"
    tmp.write_bytes(b"%PDF-1.7 ...")
    tmp.replace(path)
    assert path.exists() and not tmp.exists() and path.read_bytes() == b"%PDF-1.7 ..."
    assert (lake.root / "wattzon/pdf_files/ab/abcdef.pdf").stat().st_size == 12
    assert str(path.relative_to(lake.root)) == "wattzon/pdf_files/ab/abcdef.pdf"
    assert str(path) == f"{URI}/wattzon/pdf_files/ab/abcdef.pdf"
    with pytest.raises(FileNotFoundError):
        (lake.root / "nothing.json").read_bytes()
    path.unlink()
    (lake.root / "nothing.json").unlink(missing_ok=True)
    assert not path.exists()


# -- atomic visibility ----------------------------------------------------------------------------


def test_a_failed_write_leaves_nothing_visible(s3, monkeypatch):
    lake = Lake(URI)
    lake.ensure_dataset("v", THINGS)
    before = s3.keys(BUCKET)

    def broken(table, where, **kwargs):
        where.write(b"PAR1 half a file")
        raise OSError("serializer crashed")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="serializer crashed"):
        with lake.writer("v", THINGS, "load1") as writer:
            writer.write(things(("a", 1)))
    assert s3.keys(BUCKET) == before


def test_readers_see_whole_files_or_nothing_while_a_writer_uploads(s3):
    """A reader listing and reading every visible object while large files are uploaded never
    meets a partial one (S3 publishes an object when its upload completes)."""
    lake = Lake(URI)
    big = pa.table({"id": [f"id-{i:07d}" for i in range(150_000)], "value": list(range(150_000)),
                    "_load_id": ["L"] * 150_000, "_extracted_at": [None] * 150_000}).cast(THINGS.schema)
    done = threading.Event()
    errors: list[str] = []

    def write() -> None:
        try:
            for n in range(4):
                with lake.writer("v", THINGS, f"big{n}") as writer:
                    writer.write(big)
        finally:
            done.set()

    writer_thread = threading.Thread(target=write)
    writer_thread.start()
    reads = 0
    try:
        while not done.is_set() or reads == 0:
            for path, _ in lake.dataset_dir("v", "things").files():
                try:
                    table = pq.read_table(path.path, filesystem=path.fs)
                except FileNotFoundError:
                    continue
                except Exception as exc:  # noqa: BLE001 - a partial object is the finding
                    errors.append(f"{path}: {exc}")
                    continue
                reads += 1
                if path.name not in (EMPTY_FILE, SCHEMA_SUMMARY_FILE) and table.num_rows != big.num_rows:
                    errors.append(f"{path}: {table.num_rows} rows")
    finally:
        writer_thread.join()
    assert not errors
    assert read_latest(lake, "v", THINGS).num_rows == big.num_rows
    assert len([k for k in s3.keys(BUCKET) if k.endswith(".parquet") and EMPTY_FILE not in k]) == 4


# -- cleanup ----------------------------------------------------------------------------------------


def test_cleanup_removes_stale_temporary_objects_only(s3, monkeypatch):
    import connectors.lake as lake_module

    lake = Lake(URI)
    with lake.writer("v", THINGS, "L1") as writer:
        writer.write(things(("a", 1)))
    client = s3.client()
    leftovers = [f"{PREFIX}/v/things/{TMP_PREFIX}dead-L0-0001.parquet", f"{PREFIX}/wattzon/pdf_files/ab/{TMP_PREFIX}ab-1"]
    for key in leftovers:
        client.put_object(Bucket=BUCKET, Key=key, Body=b"partial")
    assert lake.cleanup_temp_files() == 0  # just written: a writer may still be about to rename it
    monkeypatch.setattr(lake_module, "STALE_OBJECT_TMP_AFTER_S", -1)
    assert lake.cleanup_temp_files() == 2
    assert s3.keys(BUCKET) == [f"{PREFIX}/v/things/L1-0001.parquet", f"{PREFIX}/v/things/{SCHEMA_SUMMARY_FILE}",
                              f"{PREFIX}/v/things/{EMPTY_FILE}"]


def test_ensure_lake_layout_before_dbt_on_s3(s3):
    from connectors.pipeline import ensure_lake_layout
    from connectors.registry import VENDORS

    lake = Lake(URI)
    ensure_lake_layout(lake)
    keys = s3.keys(BUCKET)
    for spec in VENDORS.values():
        for entity in spec.entities.values():
            assert f"{PREFIX}/{spec.name}/{entity.name}/{EMPTY_FILE}" in keys
    assert f"{PREFIX}/policy/customer_policies/{EMPTY_FILE}" in keys
    ensure_lake_layout(lake)  # idempotent: nothing rewritten
    assert s3.keys(BUCKET) == keys


# -- the webhook inbox and its sensor ---------------------------------------------------------------


def test_webhook_events_land_in_the_s3_inbox_and_the_sensor_acknowledges_them(s3, tmp_path):
    from dagster import AssetKey, build_sensor_context

    from connectors.registry import VENDORS
    from connectors.webhooks import Inbox, create_receiver
    from connectors.core.sandbox_server import SandboxServer
    from orchestration.automation import build_notification_sensor
    from tests.integration.test_webhooks import BAYOU_TOKEN, NEW_BILL

    settings = load_settings()
    app = create_receiver([VENDORS["bayou"].webhook], settings.lake_dir, {"BAYOU_WEBHOOK_TOKEN": BAYOU_TOKEN})
    with SandboxServer(app, name="webhooks") as server:
        first = httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
        again = httpx.post(f"{server.url}/webhooks/bayou/{BAYOU_TOKEN}", json=NEW_BILL)
    assert first.status_code == 202 and again.status_code == 200 and again.json()["status"] == "duplicate"
    event_id = first.json()["event_id"]
    pending = f"{PREFIX}/inbox/bayou/pending/{event_id}.json"
    assert s3.keys(BUCKET, f"{PREFIX}/inbox/") == [pending]
    inbox = Inbox(settings.lake_dir, "bayou")
    assert inbox.contains(event_id) and inbox.find(event_id)["body"] == NEW_BILL

    sensor = build_notification_sensor(VENDORS["bayou"])
    context = build_sensor_context(cursor=None)
    requests = [r for r in sensor(context) if hasattr(r, "run_key")]
    assert [r.run_key for r in requests] == [f"bayou:{event_id}"]
    assert requests[0].tags == {"scope/customer_id": "1042"}
    assert AssetKey(["bayou", "bills"]) in set(requests[0].asset_selection)
    assert not [r for r in sensor(build_sensor_context(cursor=context.cursor)) if hasattr(r, "run_key")]
    assert s3.keys(BUCKET, f"{PREFIX}/inbox/") == [f"{PREFIX}/inbox/bayou/processed/{event_id}.json"]
    assert inbox.find(event_id)["event_id"] == event_id and not inbox.store(event_id, NEW_BILL)
    assert not (tmp_path / "data" / "lake").exists()


def test_inbox_lists_pending_events_oldest_first_and_skips_dot_objects(s3):
    from connectors.webhooks import Inbox

    inbox = Inbox(URI, "arcadia")
    for event in ("evt-b", "evt-a", "evt-c"):
        assert inbox.store(event, {"type": "test", "id": event}, received_at=1_700_000_000)
    s3.client().put_object(Bucket=BUCKET, Key=f"{PREFIX}/inbox/arcadia/pending/.inbox-tmp-x-evt-d.json", Body=b"{}")
    names = [p.name for p in inbox.pending_files()]
    assert sorted(names) == ["evt-a.json", "evt-b.json", "evt-c.json"]  # same second: by name, dot objects skipped
    assert inbox.acknowledge(["evt-a.json", "evt-missing.json"]) == 1
    assert [p.name for p in inbox.pending_files()] == [n for n in names if n != "evt-a.json"]


# -- errors ---------------------------------------------------------------------------------------------


def test_a_missing_bucket_is_a_clear_error_naming_it(s3, caplog):
    lake = Lake("s3://no-such-lake-bucket/raw")
    with caplog.at_level(logging.DEBUG), pytest.raises(LakeStorageError) as error:
        with lake.writer("v", THINGS, "L1") as writer:
            writer.write(things(("a", 1)))
    message = str(error.value)
    assert "s3://no-such-lake-bucket/raw/v/things/" in message and "NO_SUCH_BUCKET" in message
    assert SECRET_KEY not in message + caplog.text


def test_bad_credentials_are_a_clear_error_that_never_shows_the_secret(s3, monkeypatch, caplog):
    wrong_secret = "WRONG-lake-SECRET-0c1d2e3f4a5b"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOSUCHKEY0000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
    lake = Lake(URI)
    s3.enforce_auth(True)
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(LakeStorageError) as error:
            lake.ensure_dataset("v", THINGS)
        with pytest.raises(Exception) as read_error:  # DuckDB through s3fs
            read_latest(lake, "v", THINGS)
    finally:
        s3.enforce_auth(False)
    message = str(error.value)
    assert URI in message and BUCKET in message
    assert "InvalidAccessKeyId" in message or "ACCESS_DENIED" in message.upper() or "403" in message
    for text in (message, str(read_error.value), caplog.text, repr(lake)):
        assert wrong_secret not in text and SECRET_KEY not in text


def test_the_default_lake_is_still_the_local_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("UTILITY_LAKE_URI", raising=False)
    monkeypatch.setenv("UTILITY_DATA_DIR", str(tmp_path))
    lake = Lake(load_settings().lake_dir)
    assert lake.is_local and lake.root == tmp_path / "lake"
    lake.ensure_dataset("v", THINGS)
    assert (tmp_path / "lake" / "v" / "things" / EMPTY_FILE).is_file()
    with duckdb.connect() as con:
        assert con.execute(f"select count(*) from read_parquet('{lake.glob('v', 'things')}')").fetchone()[0] == 0
