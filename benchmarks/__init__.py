"""Performance measurements of the ingestion pipeline and the dbt build.

    python -m benchmarks.run                      # default scale, writes docs/benchmarks.md
    python -m benchmarks.run --with-dlt           # also dlt 1.31.0 (installed into /tmp/bench-dlt with uv)
    python -m benchmarks.run --quick              # tiny scale, smoke test (prints, writes nothing)
    python -m benchmarks.run --customers 50 --months 12 --series 6,12,24

Everything is measured, nothing is asserted: tests never depend on these numbers.

Layout:
* `run.py`        the orchestrator: starts sandboxes, runs the workers, times dbt, writes the report
* `worker.py`     what runs inside a measured subprocess (ingestion, download-only, DuckDB bound, ...)
* `replay.py`     recorded responses served from memory (the pipeline without the sandbox's rendering)
* `dlt_worker.py` the dlt contender, run from a throwaway venv (`--with-dlt`; dlt is not a dependency)
* `processes.py`  subprocess measurement (wall time, CPU, peak RSS via wait4), the sandbox and replay processes
* `micro.py`      micro-measurements: the body parse, the month split, constant columns
* `report.py`     machine description, profile summary, markdown tables and docs/benchmarks.md
"""
