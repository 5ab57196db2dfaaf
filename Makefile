# Two commands do all the set-up: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
# uv is installed with pip when missing, and then run as a module so no PATH change is needed.
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export DAGSTER_HOME ?= $(CURDIR)/dagster_home
export UV_PYTHON ?= 3.11

.PHONY: install run test ui validate clean benchmark backfill

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
	$(UV) run --locked --no-sync pytest -n 2 --dist loadgroup --durations=15

benchmark: install
	$(UV) run --locked --no-sync python -m benchmarks.run

clean:
	rm -rf data/lake data/warehouse.duckdb dbt_project/target dbt_project/logs

.PHONY: webhooks
webhooks: install
	$(UV) run --locked --no-sync python -m orchestration.webhooks
