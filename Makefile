# Linping 亩均效益 notebooks. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= python3
VENV          ?= .venv
PY            := $(VENV)/bin/python
STAMP         := $(VENV)/.installed
CONFIG        ?= params/default.yaml
RUN           ?=
ARGS          ?=
DATA          ?=
SIZES         ?= 10000 100000 1000000
DASK_SIZES    ?= 1000000 10000000

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

.PHONY: env
env: $(STAMP) ## Create the virtual environment in .venv (Python packages and the CJK font)

.PHONY: report
report: $(STAMP) ## Run every notebook on the embedded sample (or DATA=folder) and write reports/<run>/index.html (CONFIG=, RUN=, ARGS="-p name value")
	$(PY) -m helpers.report.runner --config $(CONFIG) $(if $(RUN),--run $(RUN)) $(if $(DATA),-p data_dir "$(DATA)") $(ARGS)

.PHONY: check
check: $(STAMP) ## Check a data folder against the data contract before running anything (DATA=folder, default the sample)
	$(PY) -m helpers.io.check "$(or $(DATA),data/sample)"

.PHONY: scan
scan: $(STAMP) ## Before sharing: look in the run folder RUN for names, codes, parcel codes, file and sheet names of DATA and local paths; exit 1 on a find (RUN=reports/x DATA=folder)
	$(PY) -m helpers.report.sharing "$(RUN)" "$(or $(DATA),data/sample)"

.PHONY: county-example
county-example: $(STAMP) ## Write the county-office-shaped example folder (workbook + GBK Shapefile) to OUT (default reports/county_example)
	$(PY) -m helpers.synthetic.county_example --out "$(or $(OUT),reports/county_example)"

.PHONY: batch
batch: $(STAMP) ## Run a grid of parameter sets, one run each, and a comparison page (BATCH=params/scenario_batch.yaml)
	$(PY) -m helpers.report.runner --batch $(or $(BATCH),params/scenario_batch.yaml) --overwrite

.PHONY: evaluate
evaluate: $(STAMP) ## Classes and zone totals of one year without notebooks, on ENGINE=pandas or dask (DATA=, WORKERS=, ARGS="--year 2022")
	$(PY) -m helpers.scale.cli "$(or $(DATA),data/sample)" --engine $(or $(ENGINE),pandas) --workers $(or $(WORKERS),2) $(ARGS)

.PHONY: bench
bench: $(STAMP) ## First run and re-run at SIZES parcels against DuckDB, polars and a floor (interleaved, CPU time, same results?), our maps, dask at DASK_SIZES; table in reports/benchmarks/
	$(PY) -m benchmarks.run --sizes $(SIZES) --dask-sizes $(DASK_SIZES) --outputs $(ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff (lint and format check) and mypy on helpers
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

.PHONY: test
test: lint ## Lint, then the whole test suite (unit tests, slow tests, nbval over notebooks/, papermill runs, runner)
	$(PY) -m pytest -n 2 --dist loadscope tests notebooks --nbval-lax --nbval-current-env $(ARGS)

.PHONY: test-fast
test-fast: $(STAMP) ## The fast tier (under a minute): no notebook runs, benchmark, dask, chart rendering or browser
	$(PY) -m pytest -n 2 -m "not notebook and not slow" tests $(ARGS)

.PHONY: adversarial
adversarial: $(STAMP) ## The adversarial suite alone: every hostile-input case with its category, outcome and result, and the counts
	$(PY) -m tests.adversarial

.PHONY: lab
lab: $(STAMP) ## Open JupyterLab on the project's environment (kernel python3 from .venv; as root in a container too)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: sample
sample: $(STAMP) ## Regenerate the embedded synthetic sample in data/sample/ (seeded, deterministic)
	$(PY) -m helpers.synthetic.sample --out data/sample

.PHONY: clean
clean: ## Remove caches (keeps .venv and reports; removes .cache: parsed inputs and benchmark data)
	rm -rf .pytest_cache build dist src/*.egg-info .cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
