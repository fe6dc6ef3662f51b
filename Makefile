# Thin wrappers: the work is done by scripts/ (POSIX sh), so it also runs without make.
.PHONY: dev test test-cluster lint check-stack schema contract bootstrap lock bench bench-plans bench-canopy bench-sun bench-faults bench-map bench-report bench-cluster bench-load

dev:        ## Start everything (API, worker, beat, Flower, Valkey, Vite); Ctrl-C stops all
	scripts/dev

test:       ## Run every test: backend (SQLite + private Valkey unless DATABASE_URL / VALKEY_URL are set), then frontend checks and browser tests
	scripts/test

test-cluster: ## The upstream and plans tests on a Valkey Cluster + a Sentinel-watched broker (loopback 7000-7022), then failovers
	scripts/test-cluster

lint:       ## ruff, import-linter contracts, import cycles, mypy
	scripts/lint

check-stack: ## Validate docker-compose.yml, Dockerfiles and shell scripts (no Docker engine needed)
	scripts/check-stack

schema:     ## Regenerate docs/api/openapi.yaml (and the frontend types)
	scripts/schema

contract:   ## schemathesis: the running API against docs/api/openapi.yaml (anonymous and with a token)
	scripts/contract

bootstrap:  ## Create .venv, install pinned requirements, migrate, npm ci
	scripts/bootstrap

lock:       ## Recompile requirements/*.txt from requirements/*.in
	scripts/lock

bench-plans: ## Time GET /api/v1/plans/ over 10,000 plans on PostgreSQL (DATABASE_URL, default db bench_plans)
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/bench_plans}" .venv/bin/python bench/plans_list.py

bench:      ## Benchmark the data proxy, the shared cache and nginx (needs wrk; nginx from scripts/nginx); figures for docs/performance.md
	scripts/bootstrap
	.venv/bin/python bench/proxy.py

bench-canopy: ## Benchmark the canopy window and Range proxy (needs wrk); figures for docs/performance.md
	scripts/bootstrap
	.venv/bin/python bench/canopy.py

bench-faults: ## Upstream faults on a dev-like stack: what a job shows, recovery, budget; figures for docs/performance.md
	scripts/bootstrap
	.venv/bin/python bench/faults.py

bench-map:  ## The map: basemap tile hits (stack vs nginx) and misses, shadow images, beds/sun for 50 beds (needs wrk)
	scripts/bootstrap
	.venv/bin/python bench/map.py
	.venv/bin/python bench/beds_sun.py

bench-report: ## The plan report: build time of 20 beds on one core, PDF size, the cached answer vs a data hit
	.venv/bin/python bench/report.py

bench-sun:  ## Sun: miss to ready and hits of sun/ endpoints vs the floor (needs wrk), one site on one core, the point reader
	scripts/bootstrap
	.venv/bin/python bench/sun.py

bench-cluster: ## Hits and misses with the cache on one Valkey and on a Valkey Cluster (3+3, loopback 7000-7022), same run (needs wrk)
	scripts/bootstrap
	.venv/bin/python bench/cluster.py

bench-load: ## Simulated gardeners for 5 minutes against two web nodes on the cluster (PostgreSQL: DATABASE_URL, default db bench_load); stops by itself
	scripts/bootstrap
	.venv/bin/python bench/load.py
