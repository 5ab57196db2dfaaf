"""What runs inside a measured subprocess. Each mode writes a JSON result to --out.

    python -m benchmarks.worker ingest   --base-url URL --api-key K --data-dir D --out R.json [--requests-out Q.json]
    python -m benchmarks.worker download --base-url URL --api-key K --requests Q.json --out R.json [--parse]
    python -m benchmarks.worker save     --base-url URL --api-key K --requests Q.json --bodies DIR --out R.json
    python -m benchmarks.worker duckdb   --base-url URL --api-key K --bodies DIR --data-dir D --out R.json
    python -m benchmarks.worker complete --base-url URL --api-key K --data-dir D --out R.json

* ingest: our pipeline, as the Dagster assets run it: customers sync, policy compile (written to
  the lake), intervals sync, into a Lake under D/lake, policy file D/policy.yml. It also counts
  which parser handled each interval body (Arrow's native path, or the Python fallback and why).
  `--profile P` runs the intervals sync under cProfile with one connection (serial, so every
  call is on the profiled thread) and writes the stats to P.
* download: the same interval requests replayed with plain httpx at the same concurrency,
  bodies streamed and discarded (`--parse`: read whole and parsed with orjson, then dropped).
* save (not measured): the same requests, each body written to DIR as one `.json` file.
* duckdb: the DuckDB lower bound: one `COPY (select ... from read_json(<the saved bodies>) ...
  unnest) TO parquet`, explicit columns, DuckDB's own threads; no HTTP, no policy, no lake.
* complete: utilities and bills synced into the same lake and the lake layout ensured, so the
  dbt build that follows runs over a complete lake (not measured as ingestion).

Imports of the project and of heavy libraries happen inside main(), after the process-start
timestamp, so the phases can be told apart from interpreter start-up.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

STARTED = time.perf_counter()


def _vm(field: str) -> float:
    """VmRSS / VmHWM of this process, MB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _memory() -> dict[str, float]:
    return {"rss_mb": round(_vm("VmRSS"), 1), "hwm_mb": round(_vm("VmHWM"), 1)}


POLICY_ALL = """\
# benchmark policy: every reading is in policy
default:
  history: all
  continuous: true
customers: []
unlocked_bills: []
"""


def _setup(data_dir: Path, base_url: str, api_key: str, max_concurrency: int = 8):
    from connectors.core.vendor import VendorConnection
    from connectors.bayou.client import BayouClient
    from connectors.core.vendor import SyncContext
    from connectors.lake import Lake, new_load_id
    from connectors.settings import Settings

    data_dir.mkdir(parents=True, exist_ok=True)
    policy_file = data_dir / "policy.yml"
    if not policy_file.exists():
        policy_file.write_text(POLICY_ALL)
    settings = Settings(data_dir=data_dir, policy_file=policy_file, vendors=("bayou",))
    lake = Lake(settings.lake_dir)
    client = BayouClient(api_key, base_url, max_concurrency=max_concurrency)
    connection = VendorConnection("bayou", client, is_sandbox=True, base_url=base_url)
    log = logging.getLogger("benchmarks.worker")
    ctx = SyncContext(vendor="bayou", connection=connection, lake=lake, load_id=new_load_id(), policy=None, log=log)
    return settings, lake, client, ctx


def _dir_bytes(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*.parquet") if not p.name.startswith((".", "_"))] if path.exists() else []
    return len(files), sum(p.stat().st_size for p in files)


def ingest(args: argparse.Namespace) -> dict:
    import_start = time.perf_counter()
    import threading
    from collections import Counter

    import connectors.bayou.sync as bayou_sync
    from connectors.bayou.sync import sync_customers, sync_intervals
    from connectors.pipeline import compile_current_policy, write_compiled_policy

    data_dir = Path(args.data_dir)
    settings, lake, client, ctx = _setup(data_dir, args.base_url, args.api_key,
                                         max_concurrency=1 if args.profile else args.concurrency)
    phases: dict[str, float] = {"imports": time.perf_counter() - import_start}
    memory = {"after_imports": _memory()}

    requests: list[tuple[str, str | None, str | None]] = []
    if args.requests_out:
        original_get = client.http.get_bytes

        def recording(path, *, params=None):
            if path.endswith("/intervals"):
                requests.append((path.split("/")[-2], (params or {}).get("start"), (params or {}).get("end")))
            return original_get(path, params=params)

        client.http.get_bytes = recording

    # Which parser handled each interval body: the sync calls `parse_interval_payload` through
    # its module's global, so wrapping it there sees every batch (and changes nothing else).
    parsers: Counter = Counter()
    fallback_reasons: Counter = Counter()
    lock = threading.Lock()
    original_parse = bayou_sync.parse_interval_payload

    def counting(body, **kwargs):
        batch = original_parse(body, **kwargs)
        with lock:
            parsers[batch.parser] += 1
            if batch.fallback_reason:
                fallback_reasons[batch.fallback_reason] += 1
        return batch

    bayou_sync.parse_interval_payload = counting

    t = time.perf_counter()
    customers = sync_customers(ctx)
    phases["customers"] = time.perf_counter() - t

    t = time.perf_counter()
    compiled = compile_current_policy(settings, lake)
    write_compiled_policy(lake, compiled)
    ctx.policy = compiled
    phases["policy"] = time.perf_counter() - t
    memory["before_intervals"] = _memory()

    requests_before = client.http.stats.requests
    cpu_before = time.process_time()
    t = time.perf_counter()
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        intervals = sync_intervals(ctx)
        profiler.disable()
        profiler.dump_stats(args.profile)
    else:
        intervals = sync_intervals(ctx)
    phases["intervals"] = time.perf_counter() - t
    cpu = {"intervals": time.process_time() - cpu_before}  # every thread of this process
    memory["after_intervals"] = _memory()
    client.close()

    if args.requests_out:
        Path(args.requests_out).write_text(json.dumps(sorted(requests, key=lambda r: (r[0], r[1] or ""))))
    files, size = _dir_bytes(lake.dataset_dir("bayou", "intervals"))
    return {
        "phases": phases,
        "cpu": cpu,
        "memory": memory,
        "customers_seen": customers.counters.get("customers_seen", 0),
        "meters_seen": customers.counters.get("meters_seen", 0),
        "interval_requests": client.http.stats.requests - requests_before,
        "counters": intervals.counters,
        "parsers": dict(parsers),
        "fallback_reasons": dict(fallback_reasons),
        "http": intervals.http,
        "parquet_files": files,
        "parquet_bytes": size,
        "process_elapsed_s": time.perf_counter() - STARTED,
    }


def download(args: argparse.Namespace) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    import httpx
    import orjson

    requests = json.loads(Path(args.requests).read_text())
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    client = httpx.Client(base_url=args.base_url, auth=httpx.BasicAuth(args.api_key, ""), limits=limits,
                          timeout=httpx.Timeout(60.0))
    memory = {"before_download": _memory()}

    def fetch(request) -> tuple[int, int]:
        customer_id, start, end = request
        params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        path = f"/customers/{customer_id}/intervals"
        if args.parse:
            response = client.get(path, params=params)
            response.raise_for_status()
            body = orjson.loads(response.content)
            return len(response.content), sum(len(m.get("intervals") or []) for m in body.get("meters") or [])
        size = 0
        with client.stream("GET", path, params=params) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                size += len(chunk)
        return size, 0

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        results = list(pool.map(fetch, requests))
    elapsed = time.perf_counter() - t
    memory["after_download"] = _memory()
    client.close()
    return {
        "phases": {"download": elapsed},
        "memory": memory,
        "requests": len(requests),
        "json_bytes": sum(r[0] for r in results),
        "readings_parsed": sum(r[1] for r in results),
        "process_elapsed_s": time.perf_counter() - STARTED,
    }


def save(args: argparse.Namespace) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    requests = json.loads(Path(args.requests).read_text())
    bodies = Path(args.bodies)
    bodies.mkdir(parents=True, exist_ok=True)
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    client = httpx.Client(base_url=args.base_url, auth=httpx.BasicAuth(args.api_key, ""), limits=limits,
                          timeout=httpx.Timeout(60.0))

    logging.getLogger("httpx").setLevel(logging.WARNING)
    index: dict[str, str] = {}

    def fetch(numbered) -> int:
        number, (customer_id, start, end) = numbered
        params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        response = client.get(f"/customers/{customer_id}/intervals", params=params)
        response.raise_for_status()
        name = f"{number:05d}-{customer_id}.json"
        (bodies / name).write_bytes(response.content)
        index[f"{customer_id} {start or ''}"] = name
        return len(response.content)

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        sizes = list(pool.map(fetch, enumerate(requests)))
    # For benchmarks.replay: the customers list too, and which file answers which request.
    customers = client.get("/customers")
    customers.raise_for_status()
    (bodies / "customers.json.txt").write_bytes(customers.content)  # not *.json: DuckDB reads those
    (bodies / "index.json.txt").write_text(json.dumps(index))
    client.close()
    return {"files": len(sizes), "json_bytes": sum(sizes)}


# The DuckDB lower bound's query: explicit columns (auto-detection mistypes some), value fields
# read as text so that a conflict array (`[older, newer]`) does not fail the read; its last
# element is taken. Approximately our output (no conflict columns, no policy), to Parquet.
DUCKDB_VALUE = "coalesce(try_cast(r.{f} as double), try_cast(json_extract_string(r.{f}, '$[#-1]') as double))"
DUCKDB_FIELDS = ("electricity_consumption", "net_electricity_consumption", "generated_electricity",
                 "electricity_demand", "gas_consumption")


def duckdb_copy(args: argparse.Namespace) -> dict:
    import duckdb

    reading = ", ".join(["start VARCHAR", '"end" VARCHAR', *(f"{f} VARCHAR" for f in DUCKDB_FIELDS),
                         "created_at VARCHAR", "updated_at VARCHAR"])
    columns = "{'meters': 'STRUCT(id VARCHAR, intervals STRUCT(" + reading.replace("'", "''") + ")[])[]'}"
    values = ", ".join(f"{DUCKDB_VALUE.format(f=f)} as {f}" for f in DUCKDB_FIELDS)
    out = Path(args.data_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / "intervals.parquet"
    # Nested unnests in the select list (a lateral `, unnest(...)` join is orders of magnitude slower).
    sql = f"""
        copy (
            select customer_id, meter_id,
                   r.start::timestamptz as interval_start, r."end"::timestamptz as interval_end, {values},
                   r.created_at::timestamptz as created_at, r.updated_at::timestamptz as updated_at
            from (
                select customer_id, m.id as meter_id, unnest(m.intervals) as r
                from (
                    select split_part(parse_filename(filename, true), '-', 2) as customer_id, unnest(meters) as m
                    from read_json('{Path(args.bodies) / "*.json"}', columns = {columns},
                                   format = 'newline_delimited', maximum_object_size = 64000000, filename = true)
                )
            )
        ) to '{target}' (format parquet, compression zstd)
    """
    t = time.perf_counter()
    with duckdb.connect() as con:
        con.execute("set timezone = 'UTC'")
        con.execute(sql)
        rows = con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    elapsed = time.perf_counter() - t
    return {"phases": {"duckdb": elapsed}, "rows": rows, "parquet_bytes": target.stat().st_size,
            "memory": {"after": _memory()}, "process_elapsed_s": time.perf_counter() - STARTED}


def complete(args: argparse.Namespace) -> dict:
    from connectors.bayou.sync import sync_bills, sync_utilities
    from connectors.pipeline import compile_current_policy, ensure_lake_layout, write_compiled_policy

    settings, lake, client, ctx = _setup(Path(args.data_dir), args.base_url, args.api_key)
    t = time.perf_counter()
    compiled = compile_current_policy(settings, lake)
    ctx.policy = compiled
    utilities = sync_utilities(ctx)
    bills = sync_bills(ctx)
    ensure_lake_layout(lake)
    write_compiled_policy(lake, compiled)
    client.close()
    return {
        "phases": {"complete": time.perf_counter() - t},
        "utilities": utilities.entities["utilities"].rows,
        "bills": bills.entities["bills"].rows,
        "bill_counters": bills.counters,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("mode", choices=["ingest", "download", "save", "duckdb", "complete"])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--data-dir")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests-out")
    parser.add_argument("--requests")
    parser.add_argument("--parse", action="store_true")
    parser.add_argument("--profile")
    parser.add_argument("--bodies", help="directory of saved interval bodies (save, duckdb)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    modes = {"ingest": ingest, "download": download, "save": save, "duckdb": duckdb_copy, "complete": complete}
    result = modes[args.mode](args)
    Path(args.out).write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
