"""Performance measurements of the ingestion pipeline and the dbt build.

    python -m benchmarks.run                      # default scale, writes docs/benchmarks.md
    python -m benchmarks.run --quick              # tiny scale, smoke test (prints, writes nothing)
    python -m benchmarks.run --customers 50 --months 12 --series 6,12,24

Everything is measured, nothing is asserted: tests never depend on these numbers.

Layout:
* `run.py`       the orchestrator: starts sandboxes, runs the workers, times dbt, writes the report
* `worker.py`    what runs inside a measured subprocess (ingestion, download-only, ...)
* `processes.py` subprocess measurement (wall time, CPU, peak RSS via wait4) and the sandbox process
* `micro.py`     micro-measurements of two per-reading costs and their cheap alternatives
* `report.py`    machine description, profile summary, markdown tables and docs/benchmarks.md
"""
