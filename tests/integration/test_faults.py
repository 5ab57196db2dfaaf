"""Every vendor's full sync survives a faulty network: the same rows land at a 20% fault rate as
without faults, no key lands twice, and the retries are counted. When retries run out, the sync
fails naming vendor, endpoint and status, what landed stays, and the next run resumes.

Each vendor runs twice against its sandbox with the same dataset seed: once fault-free, once with
rate-based faults (429 with Retry-After, 500/502/503, resets, slow answers past a short client read
timeout, truncated bodies, records repeated across pages and shuffled pages). The figures are in
docs/reliability.md ("Faults").
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs

import duckdb
import pytest

from connectors.core.errors import VendorUnavailableError
from connectors.core.http import RetryPolicy, Timeouts
from connectors.core.sandbox_kit import FaultRate
from connectors.core.vendor import SyncContext, SyncResult, VendorConnection
from connectors.lake import Lake, new_load_id
from connectors.policy import compile_policy, parse_policy
from connectors.registry import VENDORS

log = logging.getLogger("test.faults")
ALL_HISTORY = {"default": {"history": "all", "continuous": True}}
FAULT_RATE = 0.2
FAULT_SEED = 20
# Fast retries and a short read timeout, so a "slow" answer (held SLOW_S) times out in tests. The
# fault-free runs get the default patience: on a loaded machine (make test runs two workers) a
# sandbox may take more than READ_S to answer, and the clean run must see no fault at all.
RETRY = RetryPolicy(max_attempts=10, initial_backoff_s=0.01, max_backoff_s=0.1, jitter_s=0.01, max_retry_after_s=2)
TIMEOUTS = Timeouts(connect_s=5, read_s=2.0, write_s=5, pool_s=10)
PATIENT = Timeouts()
SLOW_S = 4.0
RETRY_AFTER_S = 0.2
FAULTS = FaultRate(rate=FAULT_RATE, seed=FAULT_SEED, retry_after_s=RETRY_AFTER_S, slow_s=SLOW_S)
# Timestamps after this come from the clock of the run (e.g. an interval load of the current month
# covers up to "now"), not from the vendor: compared as "<run time>".
RUN_STARTED = datetime.now(UTC) - timedelta(minutes=1)


@dataclass
class Vendor:
    """A started sandbox and a connection to it; `stop()` closes both."""

    connection: VendorConnection
    state: Any
    stop: Callable[[], None]


# -- one sandbox per vendor, small datasets ---------------------------------------------------------

_DATASETS: dict[str, Any] = {}


def _dataset(vendor: str):
    if vendor not in _DATASETS:
        if vendor == "bayou":
            from connectors.bayou.sandbox import generate_dataset

            _DATASETS[vendor] = generate_dataset(seed=11, customers=6, months=6, as_of=date(2026, 11, 1))
        elif vendor == "wattzon":
            from connectors.wattzon.sandbox import generate_dataset

            _DATASETS[vendor] = generate_dataset(seed=5, profiles=3, months=6, as_of=date(2026, 3, 15))
        elif vendor == "arcadia":
            from connectors.arcadia.sandbox import generate_dataset

            _DATASETS[vendor] = generate_dataset(seed=3, users=4, months=6, as_of=date(2026, 10, 1))
        else:
            from connectors.urjanet.sandbox import generate_dataset

            _DATASETS[vendor] = generate_dataset(seed=5, accounts=16, months=6, as_of=date(2026, 10, 1))
    return _DATASETS[vendor]


def start_vendor(vendor: str, tmp: Path, *, faults: FaultRate | None = None, retry: RetryPolicy = RETRY,
                 timeouts: Timeouts = TIMEOUTS) -> Vendor:
    """The vendor's sandbox (its dataset, faults if given) and a client with short timeouts."""
    dataset = _dataset(vendor)
    if vendor == "bayou":
        from connectors.bayou.client import BayouClient
        from connectors.bayou.sandbox import start_bayou_sandbox

        server, base_url = start_bayou_sandbox(api_key="k", dataset=dataset)
        client = BayouClient("k", base_url, retry=retry, timeouts=timeouts)
        connection = VendorConnection(vendor, client, is_sandbox=True, base_url=base_url)
    elif vendor == "wattzon":
        from connectors.wattzon.client import WattzonClient
        from connectors.wattzon.sandbox import start_wattzon_sandbox

        server, base_url, pki = start_wattzon_sandbox(dataset=dataset, tls=True, directory=tmp.parent / "wattzon-pki")
        client = WattzonClient(base_url, cert_file=pki.client_cert_file, key_file=pki.client_key_file,
                               ca_file=pki.ca_file, retry=retry, timeouts=timeouts)
        connection = VendorConnection(vendor, client, is_sandbox=True, base_url=base_url)
    elif vendor == "arcadia":
        from connectors.arcadia.client import ArcadiaClient
        from connectors.arcadia.sandbox import start_arcadia_sandbox

        server, base_url = start_arcadia_sandbox(dataset=dataset, client_id="cid", client_secret="arc-secret")
        # Small pages, so lists span several pages and records can repeat across them.
        client = ArcadiaClient("cid", "arc-secret", base_url, retry=retry, timeouts=timeouts, page_size=5)
        connection = VendorConnection(vendor, client, is_sandbox=True, base_url=base_url)
    else:
        from connectors.urjanet import UrjanetConnection
        from connectors.urjanet.client import UrjanetClient
        from connectors.urjanet.deliveries import FolderSource
        from connectors.urjanet.sandbox import start_urjanet_sandbox
        from connectors.urjanet.sandbox.deliveries import write_deliveries

        server, base_url = start_urjanet_sandbox(dataset=dataset, username="u", password="urj-pw")
        deliveries = tmp / "deliveries"
        write_deliveries(dataset, deliveries)
        client = UrjanetClient("u", "urj-pw", base_url, page_size=7, retry=retry, timeouts=timeouts)
        connection = UrjanetConnection(vendor, client, is_sandbox=True, base_url=base_url,
                                       deliveries=FolderSource(deliveries), env={})
    state = server.app.state.sandbox
    if faults is not None:
        state.configure_faults(faults)

    def stop() -> None:
        connection.close()
        server.stop()

    return Vendor(connection, state, stop)


def run_syncs(vendor: str, connection: VendorConnection, lake: Lake, only: tuple[str, ...] = ()) -> list[SyncResult]:
    """The vendor's syncs in declaration order (dependencies first), as the Dagster assets run
    them; the policy is compiled from what has landed, as the policy asset does."""
    spec = VENDORS[vendor]
    results = []
    for sync in spec.syncs:
        if only and sync.name not in only:
            continue
        policy = compile_policy(parse_policy(ALL_HISTORY), spec.customer_links(lake)) if sync.uses_policy else None
        results.append(sync.run(SyncContext(vendor, connection, lake, new_load_id(), policy, log)))
    return results


# -- reading the lake -----------------------------------------------------------------------------


def landed_rows(lake: Lake, vendor: str, entity: str) -> Counter:
    """Every landed row of an entity as a multiset, without the load's own columns (`_load_id`,
    `_extracted_at`) and with the run's clock readings masked."""
    if not lake.dataset_dir(vendor, entity).exists():
        return Counter()
    with duckdb.connect() as con:
        rel = con.execute(f"select * from read_parquet('{lake.glob(vendor, entity)}', hive_partitioning = false, "
                          "union_by_name = true)")
        names = [d[0] for d in rel.description]
        keep = [i for i, name in enumerate(names) if not name.startswith("_")]
        return Counter(tuple(_comparable(row[i]) for i in keep) for row in rel.fetchall())


def _comparable(value: Any) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None and value > RUN_STARTED:
        return "<run time>"
    return str(value)


def duplicate_keys(lake: Lake, vendor: str, entity_name: str) -> int:
    entity = VENDORS[vendor].entities[entity_name]
    if not entity.key or any(c.startswith("_") for c in entity.key) or not lake.has_data(vendor, entity_name):
        return 0
    key = ", ".join(f'"{c}"' for c in entity.key)
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from (select {key} from read_parquet('{lake.glob(vendor, entity_name)}', "
            f"hive_partitioning = false, union_by_name = true) group by {key} having count(*) > 1)").fetchone()[0]


def interval_cursors(lake: Lake) -> dict[str, datetime]:
    """Bayou's interval cursor: the end of the last reading landed, per customer."""
    if not lake.has_data("bayou", "intervals"):
        return {}
    with duckdb.connect() as con:
        return dict(con.execute(f"select customer_id, max(interval_end) from read_parquet('{lake.glob('bayou', 'intervals')}', "
                                "hive_partitioning = false, union_by_name = true) group by customer_id").fetchall())


def lake_files(lake: Lake) -> dict[str, bytes]:
    return {str(p.relative_to(lake.root)): p.read_bytes() for p in sorted(lake.root.rglob("*.parquet"))}


# -- the comparison -------------------------------------------------------------------------------


@pytest.mark.parametrize("vendor", ["bayou", "wattzon", "arcadia", "urjanet"])
def test_full_sync_lands_the_same_rows_at_a_20_percent_fault_rate(vendor, tmp_path):
    reference_lake, faulty_lake = Lake(tmp_path / "clean"), Lake(tmp_path / "faulty")
    clean = start_vendor(vendor, tmp_path, timeouts=PATIENT)
    try:
        run_syncs(vendor, clean.connection, reference_lake)
        assert clean.connection.client.http.stats.retries == 0
    finally:
        clean.stop()

    faulty = start_vendor(vendor, tmp_path, faults=FAULTS)
    try:
        results = run_syncs(vendor, faulty.connection, faulty_lake)
        stats = faulty.connection.client.http.stats
        calls = faulty.state.calls_snapshot()
    finally:
        faulty.stop()

    kinds = Counter(c["fault"] for c in calls if c["fault"])
    retries = stats.retries
    dropped = sum(r.counters.get("duplicates_dropped", 0) for r in results)
    compared = 0
    for entity in VENDORS[vendor].entities:
        expected, got = landed_rows(reference_lake, vendor, entity), landed_rows(faulty_lake, vendor, entity)
        if "_load_id" in VENDORS[vendor].entities[entity].key:
            # A log of the sync itself (Urjanet's status_refreshes: how many records it read, repeats
            # included), not vendor data: one row per run either way.
            assert sum(got.values()) == sum(expected.values()), f"{vendor}.{entity}"
            continue
        assert got == expected, f"{vendor}.{entity}: {sum((got - expected).values())} extra row(s), " \
                                f"{sum((expected - got).values())} missing"
        assert duplicate_keys(faulty_lake, vendor, entity) == 0, f"{vendor}.{entity} has a key landed twice"
        compared += sum(expected.values())
    print(f"\n{vendor}: {compared} rows compared, {len(calls)} calls, faults {dict(sorted(kinds.items()))}, "
          f"{retries} retries counted, {dropped} duplicates dropped")
    assert compared > 0
    # What Dagster reports as http_retries (the client's counters, cumulative over the syncs).
    assert retries > 0 and max(r.http.get("retries", 0) for r in results) == retries
    assert sum(kinds.values()) >= 5 and len(kinds) >= 3  # the faults did happen, of several kinds


# -- retries exhausted ----------------------------------------------------------------------------


def test_exhausted_retries_fail_clearly_keep_what_landed_and_the_next_run_resumes(tmp_path):
    reference = Lake(tmp_path / "reference")
    clean = start_vendor("bayou", tmp_path, timeouts=PATIENT)
    try:
        run_syncs("bayou", clean.connection, reference)
        interval_paths = sorted({c["path"] for c in clean.state.calls_snapshot() if c["path"].endswith("/intervals")})
    finally:
        clean.stop()
    victim = interval_paths[-1]  # /api/v2/customers/<id>/intervals
    endpoint = victim.removeprefix("/api/v2")

    lake = Lake(tmp_path / "lake")
    bayou = start_vendor("bayou", tmp_path, retry=RetryPolicy(max_attempts=3, initial_backoff_s=0.01,
                                                              max_backoff_s=0.02, jitter_s=0))
    try:
        run_syncs("bayou", bayou.connection, lake, only=("customers", "bills"))
        before = lake_files(lake)
        # That endpoint answers 503 to every attempt (its months are fetched concurrently: plenty).
        bayou.state.inject_faults(endpoint, [{"status": 503}] * 100)
        with pytest.raises(VendorUnavailableError) as failure:
            run_syncs("bayou", bayou.connection, lake, only=("intervals",))
        message = str(failure.value)
        assert message.startswith(f"bayou: GET {endpoint} failed with HTTP 503") and "after 3 attempts" in message
        assert "?" not in message and "start=" not in message  # the path, never the query string
        after_failure = lake_files(lake)
        assert all(after_failure.get(name) == content for name, content in before.items())  # nothing lost or rewritten
        cursors = interval_cursors(lake)

        bayou.state.clear_faults()  # the vendor is back
        bayou.state.reset_calls()
        run_syncs("bayou", bayou.connection, lake, only=("intervals",))
        rerun = [c for c in bayou.state.calls_snapshot() if c["path"].endswith("/intervals")]
    finally:
        bayou.stop()
    assert victim in {c["path"] for c in rerun}
    # Customers with months landed before the failure resume from their cursor (less Bayou's
    # 3-day lookback), instead of fetching their history again.
    assert cursors, "the failure came before any month landed: nothing to resume from"
    for customer_id, cursor in cursors.items():
        starts = [parse_qs(c["query"])["start"][0] for c in rerun if c["path"] == f"/api/v2/customers/{customer_id}/intervals"]
        assert starts and min(datetime.fromisoformat(s.replace("Z", "+00:00")) for s in starts) >= cursor - timedelta(days=3)
    # After the failure and the rerun, every reading of the clean run is there (the rerun's
    # lookback may land a few readings again: staging keeps the latest).
    assert set(landed_rows(lake, "bayou", "intervals")) == set(landed_rows(reference, "bayou", "intervals"))
