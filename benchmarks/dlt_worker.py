"""The dlt contender, run by `python -m benchmarks.run --with-dlt` in a throwaway venv (never the
project's: dlt is not a dependency of this project):

    uv venv /tmp/bench-dlt && uv pip install --python /tmp/bench-dlt dlt==1.31.0 pyarrow httpx orjson
    /tmp/bench-dlt/bin/python benchmarks/dlt_worker.py --base-url URL --api-key K --requests Q.json \
        --data-dir D --out R.json

This file imports nothing from the project (the venv does not have it). It replays the very
interval requests our pipeline made, in dlt's best mode according to the anchors: a resource
yielding one pyarrow table per response, to Parquet files (filesystem destination), tuned with
one extract worker and a 250,000-row buffer. Each table is built the usual way for dlt users
(httpx, `orjson.loads`, one list per column, timestamps cast by Arrow), with the same columns,
conflict resolution (`[older, newer]` -> the last non-null element) and concurrency (8 requests
in flight, at most 16 results waiting) as our pipeline. No policy is applied.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

STARTED = time.perf_counter()

VALUE_FIELDS = ("electricity_consumption", "net_electricity_consumption", "generated_electricity",
                "electricity_demand", "gas_consumption")
TIMESTAMP_FIELDS = ("start", "end", "created_at", "updated_at")


def _vm(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dlt_worker")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--requests", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--buffer-max-items", type=int, default=250_000)
    parser.add_argument("--extract-workers", type=int, default=1)
    args = parser.parse_args(argv)

    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update({
        "DATA_WRITER__BUFFER_MAX_ITEMS": str(args.buffer_max_items),
        "EXTRACT__WORKERS": str(args.extract_workers),
        "NORMALIZE__WORKERS": "1",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "RUNTIME__LOG_LEVEL": "WARNING",
        "DLT_DATA_DIR": str(data_dir / "dlt-home"),
    })
    import_start = time.perf_counter()
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import dlt
    import httpx
    import orjson
    import pyarrow as pa

    ts = pa.timestamp("us", tz="UTC")
    imports_s = time.perf_counter() - import_start
    requests = json.loads(Path(args.requests).read_text())
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    client = httpx.Client(base_url=args.base_url, auth=httpx.BasicAuth(args.api_key, ""), limits=limits,
                          timeout=httpx.Timeout(60.0))

    def to_table(request) -> pa.Table:
        customer_id, start, end = request
        params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        response = client.get(f"/customers/{customer_id}/intervals", params=params)
        response.raise_for_status()
        body = orjson.loads(response.content)
        columns: dict[str, list] = {name: [] for name in ("meter_id", *TIMESTAMP_FIELDS, *VALUE_FIELDS)}
        for meter in body.get("meters") or []:
            meter_id = meter["id"]
            for reading in meter.get("intervals") or []:
                columns["meter_id"].append(meter_id)
                for name in TIMESTAMP_FIELDS:
                    columns[name].append(reading.get(name))
                for name in VALUE_FIELDS:
                    value = reading.get(name)
                    if isinstance(value, list):
                        value = next((v for v in reversed(value) if v is not None), None)
                    columns[name].append(value)
        n = len(columns["meter_id"])
        arrays = {"customer_id": pa.repeat(pa.scalar(customer_id, pa.string()), n),
                  "meter_id": pa.array(columns["meter_id"], pa.string())}
        for name in TIMESTAMP_FIELDS:
            arrays[name] = pa.array(columns[name], pa.string()).cast(ts)
        for name in VALUE_FIELDS:
            arrays[name] = pa.array(columns[name], pa.float64())
        return pa.table(arrays)

    @dlt.resource(name="intervals", write_disposition="append")
    def intervals():
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            window: deque = deque()
            for request in requests:
                window.append(pool.submit(to_table, request))
                if len(window) >= 2 * args.concurrency:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    pipeline = dlt.pipeline(
        pipeline_name="bench_intervals", pipelines_dir=str(data_dir / "pipelines"), dataset_name="bayou",
        destination=dlt.destinations.filesystem(bucket_url=(data_dir / "destination").as_uri()),
    )
    before = _vm("VmRSS")
    t = time.perf_counter()
    pipeline.run(intervals(), loader_file_format="parquet")
    run_s = time.perf_counter() - t
    client.close()

    import pyarrow.parquet as pq

    files = [p for p in (data_dir / "destination").rglob("*.parquet")]
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in files)
    result = {
        "phases": {"imports": imports_s, "dlt_run": run_s},
        "rows": rows, "parquet_files": len(files), "parquet_bytes": sum(p.stat().st_size for p in files),
        "memory": {"before_run_mb": round(before, 1), "hwm_mb": round(_vm("VmHWM"), 1)},
        "versions": {"dlt": dlt.__version__, "pyarrow": pa.__version__, "httpx": httpx.__version__,
                     "orjson": orjson.__version__},
        "settings": {"buffer_max_items": args.buffer_max_items, "extract_workers": args.extract_workers,
                     "concurrency": args.concurrency},
        "process_elapsed_s": time.perf_counter() - STARTED,
    }
    Path(args.out).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
