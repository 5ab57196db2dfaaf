"""Machine description, profile summary, markdown tables and docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import pstats
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from .processes import PROJECT_ROOT

ANCHORS_FILE = "/work/shared/benchmark-anchors.md"
# Quoted from ANCHORS_FILE: measured separately on this machine kind (2 cores), NOT by this run.
# Workload there: 200 customers x 12 months, 7,027,200 readings, 1.92 GB of JSON, one JSON
# document per customer-month served from memory; whole process, median of 3; DuckDB 2.0.0.
ANCHORS: list[tuple[str, float | None, int, int]] = [
    ("download only (httpx async, 8 concurrent, bodies discarded)", 4.8, 1_460_000, 298),
    ("download + parse with orjson (no output)", 12.8, 547_000, 162),
    ("DuckDB read_json of the saved bodies, unnest, COPY to Parquet (lower bound)", 4.0, 1_744_000, 168),
    ("httpx + orjson + pyarrow to Parquet, one process", 17.9, 393_000, 226),
    ("httpx + orjson + pyarrow to Parquet, two processes", 13.3, 528_000, 516),
    ("dlt, pyarrow tables, to Parquet files (best tuned)", 23.8, 296_000, 186),
    ("dlt, pyarrow tables, to DuckDB (tuned)", 25.9, 271_000, 636),
    ("dlt, dicts, tuned, to DuckDB", 154.0, 46_000, 1_400),
    ("dlt, dicts, all defaults (1/20 scale)", None, 3_200, 4_700),
]
TARGET_READINGS_PER_S = 590_000  # 2x dlt's best mode
STRETCH_READINGS_PER_S = 870_000  # within 2x of the DuckDB lower bound
DUCKDB_LOWER_BOUND = 1_744_000

PACKAGES = ("duckdb", "pyarrow", "httpx", "orjson", "pydantic", "dbt-core", "dbt-duckdb")


# -- machine ---------------------------------------------------------------------------------


def describe_machine() -> dict[str, str]:
    info: dict[str, str] = {}
    info["nproc"] = str(len(os.sched_getaffinity(0)))
    info["cpu"] = _cpu_model()
    info["memory"] = _mem_total()
    info["os"] = f"{platform.system()} {platform.release()}"
    info["python"] = platform.python_version()
    for package in PACKAGES:
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = "not installed"
    info["git"] = _git_revision()
    info["load average at start (1/5/15 min)"] = " / ".join(f"{v:.2f}" for v in os.getloadavg())
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _git_revision() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "connectors", "dbt_project", "orchestration"],
                               cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout.strip()
        return f"{rev}{' + uncommitted changes in connectors/dbt_project/orchestration' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


# -- profile ---------------------------------------------------------------------------------

# (label, file suffix, function name): cumulative time
PROFILE_BUCKETS = [
    ("HTTP: send and receive the body (httpx, sockets)", "connectors/core/http.py", "request"),
    ("native parse `_native_table`: checks, conflict rewrite, `pyarrow.json.read_json`, flatten, casts",
     "connectors/bayou/intervals.py", "_native_table"),
    ("… of which the conflict-array rewrite `_rewrite_conflict_arrays` (Python, per `[`)",
     "connectors/bayou/intervals.py", "_rewrite_conflict_arrays"),
    ("… of which resolving conflicts `_resolve_conflicts` (Python, per conflicting reading)",
     "connectors/bayou/intervals.py", "_resolve_conflicts"),
    ("Python path `_parse_python` (bodies the native path handed over)", "connectors/bayou/intervals.py",
     "_parse_python"),
    ("constant columns, policy mask, filter, counts: `_finish`", "connectors/bayou/intervals.py", "_finish"),
    ("writer: `DatasetWriter.write` (select, cast, month split, buffer)", "connectors/lake.py", "write"),
    ("writer: Parquet encode + fsync `DatasetWriter._flush`", "connectors/lake.py", "_flush"),
]


@dataclass
class ProfileSummary:
    total_s: float
    buckets: list[tuple[str, float]]
    parse_own_s: float  # _native_table's own time: mostly pyarrow.json.read_json (cProfile cannot see into it)
    top: list[tuple[str, int, float, float]] = field(default_factory=list)  # name, calls, tottime, cumtime


def summarize_profile(path: Path, top: int = 12) -> ProfileSummary:
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]

    def find(suffix: str, name: str) -> tuple[float, float]:
        tt = ct = 0.0
        for (filename, _, function), (_, _, t, c, _) in raw.items():
            if function == name and filename.endswith(suffix):
                tt += t
                ct += c
        return tt, ct

    total = find("connectors/bayou/sync.py", "sync_intervals")[1] or stats.total_tt  # type: ignore[attr-defined]
    buckets = [(label, find(suffix, name)[1]) for label, suffix, name in PROFILE_BUCKETS]
    parse_own = find("connectors/bayou/intervals.py", "_native_table")[0]
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    top_rows = []
    for (filename, line, function), (_, ncalls, tt, ct, _) in rows:
        short = filename.replace(str(PROJECT_ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        where = f"{short}:{line}({function})" if line else function
        top_rows.append((where, ncalls, tt, ct))
    return ProfileSummary(total_s=total, buckets=buckets, parse_own_s=parse_own, top=top_rows)


# -- formatting ------------------------------------------------------------------------------


def months_label(months: int) -> str:
    return f"{months} month" + ("" if months == 1 else "s")


def fmt_int(value: float | int | None) -> str:
    return "—" if value is None else f"{round(value):,}"


def fmt_s(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> str:
    align = align or "l" + "r" * (len(headers) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def median_run(runs: list[dict], key) -> dict:
    """The run whose key is the median (lower median for even counts)."""
    ordered = sorted(runs, key=key)
    return ordered[(len(ordered) - 1) // 2]


def spread(values: list[float], fmt=fmt_int) -> str:
    if len(values) < 2:
        return ""
    return f" ({fmt(min(values))}–{fmt(max(values))})"


def pct(part: float, whole: float) -> str:
    return "—" if not whole else f"{100 * part / whole:.0f}%"



# -- the previous run (before the native parser) ---------------------------------------------

# docs/benchmarks.md as measured on 2026-11-23 03:13 UTC at git b1d5953 (same command, same machine
# kind, same workload: seed 7, 50 customers): readings/s of the interval phase, peak RSS (MB).
BEFORE = {"when": "2026-11-23 03:13 UTC", "git": "b1d5953", "customers": 50, "seed": 7,
          "by_months": {6: (120_647, 667), 12: (156_172, 769), 24: (142_610, 816)}}


# -- derived figures -------------------------------------------------------------------------


def _phase(run: dict, name: str) -> float:
    return run["worker"]["phases"][name]


def _rate(rows: float, seconds: float) -> float:
    return rows / seconds if seconds else 0.0


def derive(entry: dict) -> dict:
    """The figures of one history length: median runs and rates."""
    ing = median_run(entry["ingest"], key=lambda r: _phase(r, "intervals"))
    dl = median_run(entry["download"], key=lambda r: _phase(r, "download"))
    parse = median_run(entry["parse"], key=lambda r: _phase(r, "download"))
    w = ing["worker"]
    readings = w["counters"].get("readings_landed", 0)
    received = w["counters"].get("readings_received", 0)
    json_bytes = dl["worker"]["json_bytes"]
    parsers: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for run in [*entry["ingest"], *([entry["replay"]] if entry.get("replay") else [])]:
        for key, value in run["worker"].get("parsers", {}).items():
            parsers[key] = parsers.get(key, 0) + value
        for key, value in run["worker"].get("fallback_reasons", {}).items():
            reasons[key] = reasons.get(key, 0) + value
    d = {
        "months": entry["months"], "ing": ing, "dl": dl, "parse": parse, "runs": len(entry["ingest"]),
        "readings": readings, "received": received, "json_bytes": json_bytes,
        "requests": w["interval_requests"], "customers": w["customers_seen"], "meters": w["meters_seen"],
        "interval_meters": entry["sandbox"]["state"].get("interval_meters"),
        "without_intervals": w["counters"].get("customers_without_intervals", 0),
        "parquet_bytes": w["parquet_bytes"], "parquet_files": w["parquet_files"],
        "ing_s": _phase(ing, "intervals"), "dl_s": _phase(dl, "download"), "parse_s": _phase(parse, "download"),
        "ing_cpu_s": w.get("cpu", {}).get("intervals"),
        "rss_before_intervals": w["memory"]["before_intervals"]["rss_mb"],
        "ing_rates": [_rate(r["worker"]["counters"].get("readings_landed", 0), _phase(r, "intervals"))
                      for r in entry["ingest"]],
        "ing_rss": [r["peak_rss_mb"] for r in entry["ingest"]],
        "replay": entry.get("replay"), "duckdb": entry.get("duckdb"), "dlt": entry.get("dlt"),
        "parsers": parsers, "fallback_reasons": reasons,
    }
    d["ing_rate"] = _rate(readings, d["ing_s"])
    d["ing_process_rate"] = _rate(readings, ing["wall_s"])
    d["dl_rate"] = _rate(received, d["dl_s"])
    d["parse_rate"] = _rate(parse["worker"]["readings_parsed"], d["parse_s"])
    if d["replay"]:
        rw = d["replay"]["worker"]
        d["replay_readings"] = rw["counters"].get("readings_landed", 0)
        d["replay_s"] = rw["phases"]["intervals"]
        d["replay_rate"] = _rate(d["replay_readings"], d["replay_s"])
        d["replay_cpu_s"] = rw.get("cpu", {}).get("intervals")
    if d["duckdb"]:
        d["duckdb_rate"] = _rate(d["duckdb"]["worker"]["rows"], _phase(d["duckdb"], "duckdb"))
        d["duckdb_process_rate"] = _rate(d["duckdb"]["worker"]["rows"], d["duckdb"]["wall_s"])
    if d["dlt"]:
        d["dlt_rate"] = _rate(d["dlt"]["worker"]["rows"], _phase(d["dlt"], "dlt_run"))
        d["dlt_process_rate"] = _rate(d["dlt"]["worker"]["rows"], d["dlt"]["wall_s"])
    return d


# -- markdown --------------------------------------------------------------------------------

CONTENDERS = {
    "ing": "pipeline: customers + policy + intervals sync → Parquet lake (sandbox renders each body)",
    "replay": "the same pipeline, the same bodies replayed from memory (`benchmarks.replay`)",
    "dl": "download only (httpx, same requests and concurrency, bodies discarded)",
    "parse": "download + `orjson.loads` of each body (no output)",
    "duckdb": "DuckDB lower bound: the same bodies saved to disk, `read_json` + unnest, `COPY` to Parquet",
    "dlt": "dlt 1.31.0, pyarrow tables → Parquet files (1 extract worker, 250k-row buffer)",
}


def _other(run: dict) -> str:
    other = run.get("other_cpu_s")
    disturbed = other is not None and other > 0.15 * run["wall_s"]
    return fmt_s(other) + (" ⚠" if disturbed else "")


def results_table(ds: list[dict], concurrency: int) -> str:
    headers = ["history", "contender", "readings", "phase wall (s)", "readings/s", "JSON MB/s",
               "process wall (s)", "process CPU (s)", "server CPU (s)", "other CPU (s)", "peak RSS (MB)"]
    rows = []
    for d in ds:
        items = [("ing", d["ing"], d["ing_s"], d["ing_rate"], d["readings"]),
                 ("replay", d["replay"], d.get("replay_s"), d.get("replay_rate"), d.get("replay_readings")),
                 ("dl", d["dl"], d["dl_s"], d["dl_rate"], d["received"]),
                 ("parse", d["parse"], d["parse_s"], d["parse_rate"], d["parse"]["worker"]["readings_parsed"]),
                 ("duckdb", d["duckdb"], d["duckdb"] and _phase(d["duckdb"], "duckdb"), d.get("duckdb_rate"),
                  d["duckdb"] and d["duckdb"]["worker"]["rows"]),
                 ("dlt", d["dlt"], d["dlt"] and _phase(d["dlt"], "dlt_run"), d.get("dlt_rate"),
                  d["dlt"] and d["dlt"]["worker"]["rows"])]
        for key, run, phase_s, rate, readings in items:
            if not run:
                continue
            rate_text, rss_text = fmt_int(rate), fmt_int(run["peak_rss_mb"])
            if key == "ing" and d["runs"] > 1:
                rate_text += spread(d["ing_rates"])
                rss_text += spread(d["ing_rss"])
            label = CONTENDERS[key].replace("same requests and concurrency", f"same requests, {concurrency} threads")
            server = "—" if key == "duckdb" else fmt_s(run["sandbox_cpu_s"])
            rows.append([months_label(d["months"]), label, fmt_int(readings), fmt_s(phase_s, 2), rate_text,
                         fmt_int(d["json_bytes"] / 1e6 / phase_s if phase_s else None), fmt_s(run["wall_s"], 2),
                         fmt_s(run["cpu_s"]), server, _other(run), rss_text])
    return table(headers, rows, "llrrrrrrrrr")


def workload_table(ds: list[dict], config: dict) -> str:
    headers = ["history", "customers", "with interval data", "interval meters", "interval requests",
               "readings", "JSON", "JSON per request", "Parquet landed (files)"]
    rows = []
    for d in ds:
        rows.append([
            months_label(d['months']), fmt_int(d["customers"]), fmt_int(d["customers"] - d["without_intervals"]),
            fmt_int(d["interval_meters"]), fmt_int(d["requests"]), fmt_int(d["readings"]),
            f"{d['json_bytes'] / 1e6:,.0f} MB", f"{d['json_bytes'] / max(1, d['requests']) / 1e6:.2f} MB",
            f"{d['parquet_bytes'] / 1e6:,.1f} MB ({d['parquet_files']})",
        ])
    return table(headers, rows)


def before_after_table(ds: list[dict], config: dict) -> str:
    same = config["customers"] == BEFORE["customers"] and config["seed"] == BEFORE["seed"]
    headers = ["history", "readings/s before", "readings/s now", "now / before", "vs 590k target",
               "vs 870k stretch", "replayed from memory: readings/s (vs 590k)", "peak RSS before (MB)",
               "peak RSS now (MB)"]
    rows = []
    for d in ds:
        before = BEFORE["by_months"].get(d["months"]) if same else None
        replay = (f"{fmt_int(d['replay_rate'])} ({d['replay_rate'] / TARGET_READINGS_PER_S:.2f}x)"
                  if d.get("replay_rate") else "—")
        rows.append([months_label(d["months"]), fmt_int(before and before[0]), fmt_int(d["ing_rate"]),
                     f"x{d['ing_rate'] / before[0]:.2f}" if before else "—",
                     f"{d['ing_rate'] / TARGET_READINGS_PER_S:.2f}x", f"{d['ing_rate'] / STRETCH_READINGS_PER_S:.2f}x",
                     replay, fmt_int(before and before[1]), fmt_int(d["ing"]["peak_rss_mb"])])
    return table(headers, rows)


def memory_table(ds: list[dict]) -> str:
    headers = ["history", "readings", "pipeline peak RSS (MB)", "RSS before the interval phase (MB)",
               "growth during the interval phase (MB)", "replayed: peak RSS (MB)", "download-only peak RSS (MB)",
               "pipeline readings/s"]
    rows = []
    for d in ds:
        peak = d["ing"]["peak_rss_mb"]
        rows.append([months_label(d['months']), fmt_int(d["readings"]), fmt_int(peak), fmt_int(d["rss_before_intervals"]),
                     fmt_int(peak - d["rss_before_intervals"]),
                     fmt_int(d["replay"]["peak_rss_mb"]) if d["replay"] else "—",
                     fmt_int(d["dl"]["peak_rss_mb"]), fmt_int(d["ing_rate"])])
    return table(headers, rows)


def parsers_section(ds: list[dict]) -> str:
    rows, reasons = [], {}
    for d in ds:
        native = d["parsers"].get("arrow", 0)
        fallback = d["parsers"].get("python", 0)
        rows.append([months_label(d["months"]), fmt_int(native + fallback), fmt_int(native), fmt_int(fallback),
                     pct(fallback, native + fallback)])
        for reason, count in d["fallback_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    text = ("Every interval body of every pipeline run above (sandbox and replay) went through "
            "`parse_interval_payload`; the benchmark counts which path produced each batch:\n\n"
            + table(["history", "bodies", "native (Arrow)", "Python fallback", "fallback share"], rows) + "\n")
    if reasons:
        text += "\nFallback reasons:\n\n" + table(["reason", "bodies"], [[f"`{r}`", fmt_int(n)] for r, n in
                                                                           sorted(reasons.items())]) + "\n"
    else:
        text += ("\nNo body fell back: the sandbox's quirks (conflict arrays, unknown keys such as "
                 "`carbon_intensity`) are all handled natively. The fallbacks are exercised by "
                 "`tests/unit/test_interval_parsing.py` instead.\n")
    return text


def dbt_section(dbt: dict | None, headline: dict) -> str:
    if not dbt:
        return "_dbt was not run (`--no-dbt`)._\n"
    lines = [
        f"Over the headline lake ({months_label(headline['months'])}: {headline['readings']:,} readings, plus "
        f"{dbt['complete']['bills']:,} bills and {dbt['complete']['utilities']} utilities synced for the purpose "
        "after the measurement), `dbt build --target-path <tmp> --log-path <tmp>` with `UTILITY_DATA_DIR=<tmp>`:",
        "",
    ]
    rows = []
    for run in dbt["runs"]:
        statuses = ", ".join(f"{v} {k}" for k, v in sorted(run["statuses"].items()))
        rows.append([run["label"], fmt_s(run["wall_s"]), fmt_s(run["elapsed_s"]), fmt_s(run["cpu_s"]),
                     _other(run), fmt_int(run["peak_rss_mb"]), f"{run['nodes']} ({statuses})"])
    lines.append(table(["dbt build", "process wall (s)", "dbt elapsed (s)", "CPU (s)", "other CPU (s)",
                        "peak RSS (MB)", "nodes (status)"], rows))
    full = next((r for r in dbt["runs"] if r["label"].startswith("interval marts") and "full refresh" in r["label"]), None)
    month = next((r for r in dbt["runs"] if r["label"].startswith("interval marts") and "incremental" in r["label"]), None)
    alone = next((r for r in dbt["runs"] if r["label"].startswith("fct_intervals alone")), None)
    if full and month:
        def node_s(run, name):
            return run.get("model_s", {}).get(name)

        node_ratios = []
        for name in ("fct_intervals", "fct_interval_coverage", "fct_interval_reconciliation"):
            full_node, month_node = node_s(full, name), node_s(month, name)
            if full_node and month_node:
                node_ratios.append(f"`{name}` {month_node / full_node:.0%} ({month_node:.2f} s vs {full_node:.2f} s)")
        whole = next((r for r in dbt["runs"] if r["label"].startswith("second build")), None)
        lines += ["", f"**Incremental month vs full build** (the interval marts are month-partitioned): one month of "
                  f"`fct_intervals+` (models and their data tests) took **{month['elapsed_s'] / full['elapsed_s']:.0%}** "
                  f"of a full refresh of `fct_intervals+` ({fmt_s(month['elapsed_s'])} s vs {fmt_s(full['elapsed_s'])} s "
                  "of dbt time)"
                  + (f" and {month['elapsed_s'] / whole['elapsed_s']:.0%} of a whole `dbt build` "
                     f"({fmt_s(whole['elapsed_s'])} s)" if whole else "")
                  + ("; per node, one month against the full refresh: " + ", ".join(node_ratios) if node_ratios else "")
                  + (f"; `fct_intervals` alone, one month, {fmt_s(alone['elapsed_s'])} s of dbt time" if alone else "")
                  + ". The target is 10% or less. A month run rebuilds only the window: `fct_intervals` deletes and "
                  "inserts the window's readings, `fct_interval_coverage` the local days overlapping it (plus every day "
                  "of a meter whose first or last reading, granularity or zone changed), and the data tests of both "
                  "check the window's rows only. What it still does in full: one grouped pass over `fct_intervals` "
                  "(the meters' profiles), `fct_interval_reconciliation` (one row per bill meter, from the coverage "
                  "days) and its tests, and dbt's fixed cost per node (about 60 nodes)."]
    first = dbt["runs"][0]
    lines += ["", "Slowest nodes of the first build: " + ", ".join(
        f"`{name}` {secs:.2f}s" for name, secs in first["slowest"]) + "."]
    marts = ", ".join(f"`{t}` {n:,}" for t, n in dbt["marts"])
    lines += ["", f"Marts (rows): {marts}. Warehouse file: {dbt['warehouse_mb']:,.0f} MB.", ""]
    lines.append(
        "The difference between process wall and dbt's own elapsed time is dbt start-up and project parsing "
        "(a fresh target dir has no partial-parse cache; a scheduled run reuses it, as the second build does)."
    )
    return "\n".join(lines) + "\n"


def measured_comparison(ds: list[dict], config: dict) -> str:
    """Ours against dlt and DuckDB measured by this run, on this machine and workload."""
    rows = []
    for d in ds:
        duck = d.get("duckdb_rate")
        dlt = d.get("dlt_rate")
        rows.append([
            months_label(d["months"]), fmt_int(d["ing_rate"]), fmt_int(d.get("replay_rate")), fmt_int(dlt),
            f"{d['ing_rate'] / dlt:.2f}x" if dlt else "—", fmt_int(duck),
            f"{d['ing_rate'] / duck:.2f}x" if duck else "—",
            f"{d['replay_rate'] / duck:.2f}x" if duck and d.get("replay_rate") else "—",
        ])
    text = [table(["history", "ours (sandbox)", "ours (replayed)", "dlt (sandbox)", "ours / dlt",
                   "DuckDB bound (disk)", "ours / DuckDB", "ours replayed / DuckDB"], rows), ""]
    if not config.get("with_dlt"):
        text.append("dlt was not measured by this run (`--with-dlt` runs it).")
    elif config.get("dlt_problem"):
        text.append(f"dlt could not be measured: {config['dlt_problem']}")
    else:
        text.append(
            "dlt ran from a throwaway venv (`uv venv /tmp/bench-dlt` + `uv pip install dlt==1.31.0 pyarrow httpx "
            f"orjson`, {config.get('dlt_setup_s', 0):.0f} s including the install, not a project dependency) as "
            "`benchmarks/dlt_worker.py`: the very requests our pipeline made, against the same sandbox, 8 in "
            "flight, one pyarrow table per response built the usual way (orjson, one list per column, Arrow casts "
            "the timestamps, conflicts resolved), to Parquet files with the filesystem destination; its readings/s "
            "use the time of `pipeline.run` (extract, normalize, load), the process wall adds its imports. It "
            "applies no policy and writes no conflict columns: a little less work than ours.")
    text.append("")
    text.append(
        "The DuckDB bound reads the bodies from disk (saved beforehand, not timed), with explicit columns, value "
        "fields as text so that a conflict array does not fail the read (its last element is taken), and writes one "
        "zstd Parquet file with its own threads: no HTTP, no policy, no conflict columns, no partitioning. Set it "
        "against the replayed row, which also has no server rendering JSON, though it still receives every body "
        "over HTTP.")
    return "\n".join(text) + "\n"


def anchors_section(headline: dict, config: dict) -> str:
    d = headline
    rows = [
        [f"**this run**: {CONTENDERS['ing']}", f"{fmt_int(d['ing_rate'])} (process: {fmt_int(d['ing_process_rate'])})",
         fmt_int(d["ing"]["peak_rss_mb"]), f"{d['ing_rate'] / TARGET_READINGS_PER_S:.2f}x"],
    ]
    if d.get("replay_rate"):
        rows.append([f"**this run**: {CONTENDERS['replay']}", fmt_int(d["replay_rate"]),
                     fmt_int(d["replay"]["peak_rss_mb"]), f"{d['replay_rate'] / TARGET_READINGS_PER_S:.2f}x"])
    rows += [
        [f"**this run**: {CONTENDERS['dl']}", fmt_int(d["dl_rate"]), fmt_int(d["dl"]["peak_rss_mb"]), "—"],
        [f"**this run**: {CONTENDERS['parse']}", fmt_int(d["parse_rate"]), fmt_int(d["parse"]["peak_rss_mb"]), "—"],
    ]
    if d.get("duckdb_rate"):
        rows.append([f"**this run**: {CONTENDERS['duckdb']}", fmt_int(d["duckdb_rate"]),
                     fmt_int(d["duckdb"]["peak_rss_mb"]), f"{d['duckdb_rate'] / TARGET_READINGS_PER_S:.2f}x"])
    if d.get("dlt_rate"):
        rows.append([f"**this run**: {CONTENDERS['dlt']}", fmt_int(d["dlt_rate"]), fmt_int(d["dlt"]["peak_rss_mb"]),
                     f"{d['dlt_rate'] / TARGET_READINGS_PER_S:.2f}x"])
    for name, wall, rate, rss in ANCHORS:
        rows.append([f"anchor: {name}" + (f" ({wall:g} s)" if wall else ""), fmt_int(rate), fmt_int(rss),
                     f"{rate / TARGET_READINGS_PER_S:.2f}x"])
    local = []
    if d.get("dlt_rate"):
        local.append(f"2x the dlt measured here is {2 * d['dlt_rate']:,.0f} readings/s (ours: "
                     f"{d['ing_rate'] / (2 * d['dlt_rate']):.2f}x that)")
    if d.get("duckdb_rate"):
        local.append(f"half the DuckDB bound measured here is {d['duckdb_rate'] / 2:,.0f} readings/s (ours: "
                     f"{d['ing_rate'] / (d['duckdb_rate'] / 2):.2f}x that; replayed: "
                     f"{d.get('replay_rate', 0) / (d['duckdb_rate'] / 2):.2f}x)")
    text = [
        f"The anchors are quoted from `{ANCHORS_FILE}`. They were **measured separately**, not by this run, on "
        "the same machine kind (2 cores) with a different workload: 200 customers x 12 months, 7,027,200 readings, "
        "1.92 GB of JSON served **from memory** by a local server, whole-process wall time, median of 3 runs, "
        "peak RSS of the process tree, DuckDB 2.0.0. This run's sandbox renders every body on the fly in a "
        "second process that shares the 2 cores (the replayed row serves the same bodies from memory, as the "
        "anchors' server did), and the table shows our interval-phase rate (the process rate, which includes "
        "interpreter start-up, imports and the customers sync, in parentheses). Compare orders of magnitude and "
        "ratios, not digits.",
        "",
        table(["contender", "readings/s", "peak RSS (MB)", "vs the 590k target"], rows, "lrrr"),
        "",
        f"Targets from the anchors file: **>= {TARGET_READINGS_PER_S:,} readings/s** (2x dlt's best mode) and "
        f"**>= {STRETCH_READINGS_PER_S:,} readings/s** (within 2x of the DuckDB lower bound), with peak memory flat "
        f"as history grows. This run's pipeline is at **{d['ing_rate']:,.0f} readings/s** against the sandbox: "
        f"{d['ing_rate'] / TARGET_READINGS_PER_S:.2f}x the first target, "
        f"{d['ing_rate'] / STRETCH_READINGS_PER_S:.2f}x the second"
        + (f"; **{d['replay_rate']:,.0f}** with the bodies replayed from memory "
           f"({d['replay_rate'] / TARGET_READINGS_PER_S:.2f}x and {d['replay_rate'] / STRETCH_READINGS_PER_S:.2f}x)"
           if d.get("replay_rate") else "") + "."
        + (" Restated with what this run measured on this machine: " + "; ".join(local) + "." if local else ""),
    ]
    return "\n".join(text) + "\n"


def profile_section(profile: dict | None, headline: dict, micro: list[dict] | None) -> str:
    out = []
    if profile:
        total = profile["total_s"]
        out += [
            f"cProfile of the intervals sync at {months_label(profile['months'])} ({profile['readings']:,} readings), run "
            "serially (one connection) so every call is on the profiled thread. cProfile inflates per-call "
            f"overhead, so it took {total:.1f} s instead of the pipeline's concurrent run; read the shares, not the "
            "seconds; and cProfile measures wall time, so, serially, \"HTTP\" includes waiting for the sandbox to "
            "render each body. Cumulative time per stage (stages overlap where one calls another; C++ work called "
            "from Cython, such as `pyarrow.json.read_json` and the casts, is counted in the Python caller):",
            "",
        ]
        rows = [[label, fmt_s(secs, 2), pct(secs, total)] for label, secs in profile["buckets"]]
        rows.insert(2, ["… of which `_native_table`'s own time (mostly `pyarrow.json.read_json`)",
                        fmt_s(profile["parse_own_s"], 2), pct(profile["parse_own_s"], total)])
        out.append(table(["stage", "seconds (profiled)", "share of sync_intervals"], rows))
        out += ["", "Top functions by own time:", ""]
        out.append(table(["function", "calls", "own (s)", "cumulative (s)"],
                         [[f"`{name}`", fmt_int(calls), fmt_s(tt, 2), fmt_s(ct, 2)]
                          for name, calls, tt, ct in profile["top"]]))
    if micro:
        readings = headline["readings"]
        out += ["", "Micro-measurements (`python -m benchmarks.micro`, single-threaded, CPU time, best of several "
                "rounds; the body parse on one month of 6 customers' sandbox bodies rendered in-process, the others "
                "on batches of 2,880 readings; the last column projects the cost onto the headline workload of "
                f"{readings:,} readings, whose interval phase took {headline['ing_s']:.1f} s of wall time):", ""]
        out.append(table(["cost", "implementation", "ns per reading", "projected on the headline (CPU-s)"],
                         [[m["what"], m["how"], fmt_s(m["ns_per_reading"]), fmt_s(m["ns_per_reading"] * readings / 1e9, 2)]
                          for m in micro], "llrr"))
    return "\n".join(out) + "\n"


def render_tables(results: dict) -> str:
    ds = [derive(e) for e in results["series"]]
    headline = next(d for d in ds if d["months"] == results["config"]["months"])
    dbt = next((e.get("dbt") for e in results["series"] if e.get("dbt")), None)
    parts = [results_table(ds, results["config"]["concurrency"]), "", before_after_table(ds, results["config"]), "",
             memory_table(ds), "", parsers_section(ds)]
    if dbt:
        parts += ["", dbt_section(dbt, headline)]
    return "\n".join(parts)


def _source_line(relative: str, needle: str) -> int | None:
    """Line number of the first occurrence of needle in a project file (None: no longer there)."""
    try:
        for number, line in enumerate((PROJECT_ROOT / relative).read_text().splitlines(), start=1):
            if needle in line:
                return number
    except OSError:
        pass
    return None


def _micro(micro: list[dict] | None, prefix: str) -> float | None:
    for m in micro or []:
        if m["how"].startswith(prefix):
            return m["ns_per_reading"]
    return None


def findings(ds: list[dict], headline: dict, micro: list[dict] | None, profile: dict | None, config: dict) -> str:
    h = headline
    readings = h["readings"]
    native_ns = _micro(micro, "native path")
    python_ns = _micro(micro, "orjson.loads + Python path")
    orjson_ns = _micro(micro, "orjson.loads only")
    fallbacks = sum(d["parsers"].get("python", 0) for d in ds)
    bodies = sum(sum(d["parsers"].values()) for d in ds)
    cores = h["ing"]["cpu_s"] / h["ing"]["wall_s"] if h["ing"]["wall_s"] else 0
    status = [
        "**Per-reading Python** (`parse_interval_payload`, `_reading_row`): replaced, for every body it can "
        "reproduce exactly, by the native path: `VendorHttpClient.get_bytes` hands the raw body to "
        "`pyarrow.json.read_json` with an explicit schema, readings are flattened with `list_flatten`/"
        "`list_parent_indices`, timestamps cast in bulk; conflict arrays are found in the bytes (only at `[`), "
        "rewritten to a string column and resolved in Python, a few per body. "
        + (f"Single-threaded, a body now costs {native_ns:,.0f} ns per reading against {python_ns:,.0f} for "
           f"`orjson.loads` + the Python path ({python_ns / native_ns:.1f}x less CPU; `orjson.loads` alone is "
           f"{orjson_ns:,.0f}). " if native_ns and python_ns and orjson_ns else "")
        + f"Fallbacks to the Python path in this run: {fallbacks:,} of {bodies:,} bodies.",
        "**Month split** (`DatasetWriter._split`): a min/max check yields a one-month batch whole (two values "
        "formatted); a batch spanning months is split on `pc.floor_temporal(..., unit=\"month\")`, formatting only "
        "the distinct months.",
        "**Constant columns**: `pa.repeat(pa.scalar(...), n)` for `customer_id`, `_load_id`, `_extracted_at`; "
        "`in_windows` builds no Python lists any more, and a batch wholly in policy is not filtered (copied).",
        "**Fetch threads parse under the GIL**: partly. The parse is now C++ (Arrow's JSON reader, compute kernels) "
        "that releases the GIL, so the 8 fetch threads overlap on both cores: the pipeline process used "
        f"**{cores:.2f} cores** at the headline against the sandbox (it was 1.10)"
        + (f", {h['replay']['cpu_s'] / h['replay']['wall_s']:.2f} against the replay server" if h.get("replay") else "")
        + ". The rest of `fetch` (httpx, the per-body Python around the Arrow calls) still takes the GIL, and "
        "parsing still happens on the fetch threads.",
        "**Response bodies waited for the cyclic GC**: fixed in `connectors/core/http.py`: once a response is read, "
        "`_detach_body` swaps its stream (httpx's `BoundSyncStream`, which points back at the response) for an empty "
        "one, so the response and its body are freed by reference counting; `tests/unit/test_http_bodies.py` checks "
        "it with the cyclic collector disabled.",
    ]
    # What still limits it: CPU on 2 cores shared with the server.
    limits = []
    if h.get("ing_cpu_s"):
        ours = h["ing_cpu_s"]
        server = h["ing"]["sandbox_cpu_s"]
        ceiling = 2 * readings / (ours + server) if ours + server else 0
        limits.append(
            f"**CPU, on 2 cores shared with the server.** At the headline the interval phase used {ours:.1f} CPU-s of "
            f"ours ({ours / readings * 1e6:.2f} µs per reading) while the sandbox used {server:.1f} CPU-s rendering "
            f"the bodies ({server / readings * 1e6:.2f} µs per reading, over the whole process run). Even with both "
            f"cores busy all the time, that is at most {ceiling:,.0f} readings/s; the pipeline reached "
            f"{h['ing_rate']:,.0f}.")
    if h.get("replay_rate") and h.get("replay_cpu_s"):
        ours = h["ing_cpu_s"] or 0
        limits.append(
            f"**Without on-the-fly rendering** (the replayed row) the server used {h['replay']['sandbox_cpu_s']:.1f} "
            f"CPU-s and the pipeline reached **{h['replay_rate']:,.0f} readings/s** "
            f"({h['replay_rate'] / TARGET_READINGS_PER_S:.2f}x the 590k target), but not 2 cores' worth: our interval "
            f"phase used {h['replay_cpu_s']:.1f} CPU-s ({h['replay_cpu_s'] / h['replay_readings'] * 1e6:.2f} µs per "
            f"reading, against {ours / readings * 1e6:.2f} with the sandbox; system time "
            f"{h['replay']['sys_s']:.1f} s against {h['ing']['sys_s']:.1f} s), which suggests the 8 fetch threads, "
            "now never waiting for the server, spend more of their time contending for the GIL around the Arrow calls.")
    native_ns = _micro(micro, "native path")
    orjson_ns = _micro(micro, "orjson.loads only")
    if native_ns and h.get("ing_cpu_s"):
        limits.append(
            f"**Where our CPU goes.** The body parse costs {native_ns:,.0f} ns per reading single-threaded (micro "
            f"table): {native_ns * readings / 1e9:.1f} of the {h['ing_cpu_s']:.1f} CPU-s of the headline's interval "
            f"phase, most of it inside `pyarrow.json.read_json` (the whole native parse gets through about "
            f"{h['json_bytes'] / h['received'] / native_ns * 1e3:,.0f} MB of JSON per second per core"
            + (f"; `orjson.loads` alone takes {orjson_ns:,.0f} ns per reading, but then every reading is Python "
               "objects" if orjson_ns else "")
            + f"). The rest is receiving the bodies (the download-only process used {h['dl']['cpu_s']:.1f} CPU-s for "
              "the same bodies, start-up included), the writer (zstd Parquet, fsync) and the per-body Python around "
              "the Arrow calls. The serial profile above gives the shares of wall time.")
    limits.append(
        "**What would go further**, not done here: a faster native reader for the bodies (DuckDB's reader is "
        "faster over many saved files, as its bound shows, but while writing this one `read_json` per body, or "
        "`json_transform` of the body passed as a parameter, measured slower than Arrow's reader, so it would pay "
        "only if the sync handed it many bodies at once, which means reshaping the sync's loop, not only `fetch`); "
        "parsing in a second process (finding 4; two processes gave the anchors' Python design 1.34x); and, for "
        "the benchmark itself, a server that does not take a core from the pipeline.")
    return ("### The earlier findings, now\n\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(status, start=1))
            + "\n\n### What still limits it\n\n" + "\n".join(f"* {t}" for t in limits) + "\n")


def command_line(config: dict) -> str:
    """The command that measured, without the options that only say where files go."""
    argv = config.get("argv")
    if argv is None:
        argv = ["--with-dlt"] if config.get("with_dlt") else []
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--output", "--keep", "--no-write"):
            skip = arg == "--output"
        elif not arg.startswith("--output="):
            shown.append(arg)
    return " ".join(["python -m benchmarks.run", *shown])


def summary(ds: list[dict], headline: dict, config: dict) -> str:
    h = headline
    first, last = ds[0], ds[-1]
    before = BEFORE["by_months"].get(h["months"]) if config["customers"] == BEFORE["customers"] else None
    lines = [
        f"* **Interval ingestion at the headline ({months_label(h['months'])}): {h['ing_rate']:,.0f} readings/s**"
        + (f", x{h['ing_rate'] / before[0]:.2f} the {before[0]:,} measured before these changes" if before else "")
        + f"; {h['ing_rate'] / TARGET_READINGS_PER_S:.2f}x the 590k target and "
        f"{h['ing_rate'] / STRETCH_READINGS_PER_S:.2f}x the 870k stretch"
        + (f" ({h['replay_rate']:,.0f} readings/s, {h['replay_rate'] / TARGET_READINGS_PER_S:.2f}x, with the same "
           "bodies replayed from memory instead of rendered by the sandbox on the same 2 cores)"
           if h.get("replay_rate") else "") + ".",
    ]
    if h.get("dlt_rate") or h.get("duckdb_rate"):
        parts = []
        if h.get("dlt_rate"):
            parts.append(f"**{h['ing_rate'] / h['dlt_rate']:.2f}x dlt**'s best mode measured here "
                         f"({h['dlt_rate']:,.0f} readings/s; the target asks for 2x)")
        if h.get("duckdb_rate"):
            parts.append(f"**{h['ing_rate'] / h['duckdb_rate']:.2f}x the DuckDB lower bound** measured here "
                         f"({h['duckdb_rate']:,.0f} readings/s; the stretch asks for 0.5x)")
        lines.append("* On this machine and workload: " + "; ".join(parts) + ".")
    lines.append(
        f"* **Peak RSS {first['ing']['peak_rss_mb']:,.0f} MB at {months_label(first['months'])}, "
        f"{last['ing']['peak_rss_mb']:,.0f} MB at {months_label(last['months'])}** "
        f"(x{last['ing']['peak_rss_mb'] / first['ing']['peak_rss_mb']:.2f} for x{last['readings'] / first['readings']:.1f} "
        "the readings)"
        + (lambda b: f"; before: {b[0]:,} → {b[1]:,} MB." if all(b) else ".")(
            [BEFORE["by_months"].get(d["months"], (0, 0))[1] for d in (first, last)]))
    fallbacks = sum(d["parsers"].get("python", 0) for d in ds)
    bodies = sum(sum(d["parsers"].values()) for d in ds)
    lines.append(f"* Bodies parsed by the native path: {bodies - fallbacks:,} of {bodies:,} "
                 f"({fallbacks} handed to the Python path).")
    return "\n".join(lines) + "\n"


def render(results: dict) -> str:
    config, machine = results["config"], results["machine"]
    ds = [derive(e) for e in results["series"]]
    headline = next(d for d in ds if d["months"] == config["months"])
    profile_entry = next((e for e in results["series"] if e.get("profile")), None)
    profile = {**profile_entry["profile"], "months": profile_entry["months"]} if profile_entry else None
    dbt = next((e.get("dbt") for e in results["series"] if e.get("dbt")), None)
    first, last = ds[0], ds[-1]
    h = headline

    machine_rows = [[k, f"`{v}`" if k == "git" else v] for k, v in machine.items()]
    if config.get("with_dlt") and h.get("dlt"):
        versions = h["dlt"]["worker"].get("versions", {})
        machine_rows.append(["dlt (throwaway venv)", ", ".join(f"{k} {v}" for k, v in versions.items())])
    download_share = h["dl_s"] / h["ing_s"] if h["ing_s"] else 0
    parse_share = h["parse_s"] / h["ing_s"] if h["ing_s"] else 0
    cores = h["ing"]["cpu_s"] / h["ing"]["wall_s"] if h["ing"]["wall_s"] else 0
    rss_ratio = last["ing"]["peak_rss_mb"] / first["ing"]["peak_rss_mb"] if first["ing"]["peak_rss_mb"] else 0
    readings_ratio = last["readings"] / first["readings"] if first["readings"] else 0
    growth_first = first["ing"]["peak_rss_mb"] - first["rss_before_intervals"]
    growth_last = last["ing"]["peak_rss_mb"] - last["rss_before_intervals"]
    verdict = ("**Flat**" if rss_ratio < 1.1 else "**Not flat, but far from proportional to history**"
               if rss_ratio < 1 + (readings_ratio - 1) / 2 else "**Grows with history**")
    verdict += (
        f": the pipeline's peak RSS went from {first['ing']['peak_rss_mb']:,.0f} MB at {months_label(first['months'])} "
        f"to {last['ing']['peak_rss_mb']:,.0f} MB at {months_label(last['months'])} (x{rss_ratio:.2f}) while the "
        f"readings grew x{readings_ratio:.1f}; the growth during the interval phase (peak minus the RSS after imports, "
        f"customers sync and policy compile) went from {growth_first:,.0f} MB to {growth_last:,.0f} MB."
    )
    before_rss = [BEFORE["by_months"].get(d["months"], (0, 0))[1] for d in (first, last)]
    if all(before_rss) and config["customers"] == BEFORE["customers"]:
        verdict += (f" Before this change: {before_rss[0]:,} MB → {before_rss[1]:,} MB (x{before_rss[1] / before_rss[0]:.2f}).")
    if h["dl_rate"] > 2 * h["ing_rate"]:
        sandbox_note = "It is far above the pipeline's rate, so the download itself does not limit the pipeline."
    else:
        sandbox_note = ("It is not far above the pipeline's rate: at this scale the sandbox's rendering competes "
                        "with the pipeline for the 2 cores (see the replayed row and \"What still limits it\").")
    quiet = results.get("quiet") or {}
    quiet_note = (f", of which {quiet.get('waited_s', 0):.0f} s waiting for other processes of this shared machine "
                  f"to go idle and {quiet.get('remeasured', 0)} re-measured runs" if quiet.get("waited_s", 0) > 1
                  or quiet.get("remeasured") else "")
    repeat_note = (f", run {config['repeat']} times, median shown with the range in parentheses"
                   if config["repeat"] > 1 else "")
    dlt_bullet = (
        "* **dlt** (`--with-dlt`): dlt 1.31.0 from a throwaway venv under /tmp (made with uv; not a project "
        "dependency), a resource yielding one pyarrow table per response of the very same requests, to Parquet "
        "files, tuned as the anchors' best mode (1 extract worker, 250,000-row buffer).\n"
        if config.get("with_dlt") else "* **dlt**: not run (`--with-dlt` runs it).\n")

    return f"""# Benchmarks

Measured by `{command_line(config)}` on {results['started_at']}; the whole run took
{results['total_s']:.0f} s{quiet_note}. These numbers are **measured, never asserted**: no test depends on them. Re-run
the command to refresh this file (`--quick` for a smoke test that writes nothing; `--help` for the options).

## Summary

{summary(ds, headline, config)}
## How it is measured

* **Workload**: the Bayou sandbox with seed {config['seed']}, {config['customers']} customers and `as_of`
  {config['as_of']}, at {len(ds)} history lengths ({', '.join(str(d['months']) for d in ds)} months; the headline is
  {months_label(config['months'])}{repeat_note}). The sandbox runs in **its own process**
  (`python -m connectors.bayou.sandbox --port 0 ...`) and renders each JSON body on the fly; its CPU time is
  sampled from `/proc` and shown separately ("server CPU"), never counted as ours.
* **Pipeline**: a fresh subprocess (`python -m benchmarks.worker ingest`) runs what the Dagster assets run:
  `sync_customers`, `compile_current_policy` + `write_compiled_policy`, `sync_intervals`, with a `SyncContext`,
  a `Lake` in a temp dir and a policy file whose default is `history: all`, `continuous: true`, so every reading
  is in policy. One request per customer-month, {config['concurrency']} concurrent (the connector's default).
  It counts which parser produced each batch (the native Arrow path, or the Python fallback and why).
* **Replayed**: the same pipeline once more per history length, against `python -m benchmarks.replay`, which serves
  the very bodies the sandbox sent (saved beforehand) **from memory**, as the anchors' server did: what our side
  reaches when the server does not render JSON on the same 2 cores.
* **Download only**: the very requests the pipeline made, replayed by another subprocess with plain httpx at
  the same concurrency, bodies streamed and discarded; **download + orjson** reads and parses each body, then
  drops it.
* **DuckDB lower bound**: the same bodies saved to disk (not timed), then one measured process runs
  `COPY (select ... from read_json(<the files>, columns = ...) unnest) TO parquet` (zstd), DuckDB's own threads.
{dlt_bullet}* **Per process**: wall time, CPU time, and **peak RSS from `wait4`** (the kernel's `ru_maxrss` for exactly that
  child). "Phase wall" is the interval sync (the download, DuckDB's `COPY`, dlt's `pipeline.run`) alone, timed
  inside the process; readings/s use it. "Process wall" adds interpreter start-up, imports, the customers sync and
  the policy compile.
* **JSON bytes** are the response body bytes counted by the download-only run.
* **Other CPU** is what every other process of the machine used meanwhile (`/proc/stat` minus the worker and the
  server): other sessions share this machine. Before each measured process the run waits (up to
  {config.get('quiet_wait_s', 30):.0f} s) for the machine to be idle, and a run during which other processes used
  more than 15% of a core is measured again (up to 3 attempts; waiting and re-measuring share a budget of
  {config.get('quiet_budget_s', 60):.0f} s for the whole run). A row still disturbed is marked ⚠ and is less
  trustworthy than its neighbours.

## Machine

{table(["", "value"], machine_rows, "ll")}

## Workload

{workload_table(ds, config)}

Customers whose utility or account has no interval data get no interval requests. Each request covers one
calendar month (the first and the current month of a history are partial). "Readings" are the readings landed;
with this policy every reading received is landed.

## Interval ingestion

{results_table(ds, config['concurrency'])}

At the headline ({months_label(h['months'])}, {h['readings']:,} readings, {h['json_bytes'] / 1e6:,.0f} MB of JSON):

* The pipeline lands **{h['ing_rate']:,.0f} readings/s** ({h['json_bytes'] / 1e6 / h['ing_s']:,.0f} MB of JSON per
  second) with a peak RSS of **{h['ing']['peak_rss_mb']:,.0f} MB**{f"; with the same bodies replayed from memory, **{h['replay_rate']:,.0f} readings/s**" if h.get('replay_rate') else ''}.
* Download alone takes {h['dl_s']:.2f} s, **{download_share:.0%}** of the pipeline's {h['ing_s']:.2f} s interval
  phase; download + `orjson.loads` takes {h['parse_s']:.2f} s ({parse_share:.0%}): the pipeline, which builds the
  Arrow table, applies the policy and writes Parquet, now takes {'less' if h['ing_s'] < h['parse_s'] else 'more'} time than merely parsing every body with orjson.
* The pipeline process used {h['ing']['cpu_s']:.1f} CPU-seconds in {h['ing']['wall_s']:.1f} s of wall time
  (**{cores:.2f} cores**); the sandbox used {h['ing']['sandbox_cpu_s']:.1f} CPU-seconds meanwhile, on the same 2 cores.
* Download-only reaches {h['dl_rate']:,.0f} readings/s here, while the sandbox used {h['dl']['sandbox_cpu_s']:.1f}
  CPU-seconds in a {h['dl']['wall_s']:.1f} s process: rendering JSON on the fly, the sandbox caps this lower bound
  (the anchors' in-memory server gave 1,460,000). {sandbox_note}

### Before and after

Before: `docs/benchmarks.md` as measured on {BEFORE['when']} at git `{BEFORE['git']}`, same command and workload.

{before_after_table(ds, config)}

### Which parser read the bodies

{parsers_section(ds)}
## Does peak memory stay flat as history grows?

{memory_table(ds)}

{verdict} The download-only process stays small at every history length, so the memory is the pipeline's, not
the connection pool's. What remains is bounded by design rather than by history: at most 16 responses in
flight or waiting (`map_concurrent`'s window, each about {h['json_bytes'] / max(1, h['requests']) / 1e6:.1f} MB of
JSON plus its Arrow table), and the writer's buffers (at most 4 month partitions open, flushed as one file each),
plus what the allocators keep after the first months.

## dbt build

{dbt_section(dbt, headline)}
## Compared with dlt and DuckDB, measured here

{measured_comparison(ds, config)}
## Compared with the anchors (measured separately)

{anchors_section(headline, config)}
## Where the time goes

{profile_section(profile, headline, results.get('micro'))}
{findings(ds, headline, results.get('micro'), profile, config)}"""
