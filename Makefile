# Fieldhand — two commands for a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test test-instants env services lint typecheck bench simulate clean migrate serve worker create-admin

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	@touch $@

env: .venv/.synced

## run: API + in-process worker + seeded demo city (SQLite unless FIELDHAND_DATABASE_URL is set)
run: env
	PORT=$(PORT) $(UV) run --frozen python -m demo run

## migrate: apply the database migrations to FIELDHAND_DATABASE_URL
migrate: env
	$(UV) run --frozen fieldhand migrate

## serve: the API without demo data (with FIELDHAND_REDIS_URL set, tasks go to `make worker`)
serve: env
	$(UV) run --frozen fieldhand run --host $(HOST) --port $(PORT)

## worker: an arq worker (needs FIELDHAND_REDIS_URL); run as many as you need
worker: env
	$(UV) run --frozen arq workers.settings.WorkerSettings

## create-admin: make create-admin EMAIL=you@example.com (asks for the password, or FIELDHAND_ADMIN_PASSWORD)
create-admin: env
	@test -n "$(EMAIL)" || { echo "usage: make create-admin EMAIL=you@example.com" >&2; exit 2; }
	$(UV) run --frozen fieldhand create-admin --email "$(EMAIL)"

## test: start PostgreSQL/Redis if needed, lint (ruff, import contracts), type-check (mypy), run the whole
## suite at the real time, then integration + e2e at chosen instants (scripts/test-instants.sh)
test: env services lint typecheck
	$(UV) run --frozen pytest
	UV=$(UV) bash scripts/test-instants.sh

## test-instants: integration + e2e with the clock moved to around midnight and to DST change days
test-instants: env services
	UV=$(UV) bash scripts/test-instants.sh

services:
	@bash scripts/ensure-services.sh
	@bash scripts/ensure-browser.sh

lint: env
	$(UV) run --frozen ruff check .
	$(UV) run --frozen lint-imports

typecheck: env
	$(UV) run --frozen mypy api mobile_api marketplace workers dispatch demo

## bench: the dispatch benchmarks (many minutes; not part of `make test`); results in bench/, tables in bench/BENCHMARKS.md
bench: env
	$(UV) run --frozen python -m dispatch.bench solomon --instances bench/data/solomon --time-limit 10 --out bench/results/solomon_10s.json --label 10s --update-doc
	$(UV) run --frozen python -m dispatch.bench solomon --instances bench/data/solomon --time-limit 1 --out bench/results/solomon_1s.json --label 1s --update-doc
	$(UV) run --frozen python -m dispatch.bench solomon --instances bench/data/homberger --time-limit 30 --engines planner,pyvrp --out bench/results/homberger_30s.json --label homberger-30s --update-doc
	$(UV) run --frozen python -m dispatch.bench metro --visits 2000 --technicians 250 --time-limit 60 --out bench/results/metro_2000x250.json --update-doc
	$(UV) run --frozen python -m dispatch.bench metro --visits 2000 --technicians 250 --yards 5 --time-limit 60 --out bench/results/metro_2000x250_yards5.json --label 2000x250-yards5 --update-doc
	$(UV) run --frozen python -m dispatch.bench geo --pairs 2000 --seed 1 --update-doc
	$(UV) run --frozen python -m dispatch.bench match --technicians 10000 --orders 1000 --seed 1 --out bench/results/match.json --update-doc

## simulate: a compressed day through the real API and workers, with its metrics
simulate: env
	$(UV) run --frozen python -m demo simulate --hours $(or $(HOURS),8) --scale $(or $(SCALE),small)

clean:
	rm -rf .venv $(TOOLS) fieldhand.sqlite3*
