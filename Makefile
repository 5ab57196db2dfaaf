# Two commands do all the set-up: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
# uv is installed with pip when missing, and then run as a module so no PATH change is needed.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export UV_PYTHON ?= 3.11

.PHONY: install run test test-scale spark ui validate clean benchmark backfill

install:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || \
		$(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) sync --locked --quiet
	$(UV) run --locked --no-sync python -m orchestration.prepare

run: install
	$(UV) run --locked --no-sync python -m orchestration.run

# Fetch interval months again and rebuild them in the marts: make backfill FROM=2025-01 TO=2025-06 [VENDOR=bayou]
backfill: install
	$(UV) run --locked --no-sync python -m orchestration.backfill --from "$(FROM)" $(if $(TO),--to "$(TO)") $(if $(VENDOR),--vendor "$(VENDOR)")

ui: install
	$(UV) run --locked --no-sync python -m orchestration.ui

validate: install
	$(UV) run --locked --no-sync dagster definitions validate -w workspace.yaml

test: install
	$(UV) run --locked --no-sync dagster definitions validate -w workspace.yaml
	$(UV) run --locked --no-sync pytest -n 2 --dist loadgroup --durations=15 -m "not scale"

# The scale-out proofs (docs/scaling.md): the same marts on Spark as on DuckDB (tests/spark) and
# fanned-out ingestion equal to a sequential run (tests/e2e/test_fanout.py). Minutes each, so a
# target of their own; .ci/run calls it after `make test`.
test-scale: install
	$(UV) run --locked --no-sync pytest -m scale -n 2 --dist loadgroup --durations=5

# Build the dbt project on Spark from the lake (dbt target `spark`), then compare its marts with DuckDB's.
spark: install
	$(UV) run --locked --no-sync python -m orchestration.spark --compare

benchmark: install
	$(UV) run --locked --no-sync python -m benchmarks.run

clean:
	rm -rf data/lake data/warehouse.duckdb data/spark dbt_project/target dbt_project/logs

.PHONY: webhooks
webhooks: install
	$(UV) run --locked --no-sync python -m orchestration.webhooks
