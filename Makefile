# The course in two commands: `make lab` and `make test`. Each one sets itself up on a fresh
# machine with Python 3.10+: it creates .venv when absent, installs torch first (a plain `torch`
# requirement can pull a multi-GB CUDA build; on machines that keep a CPU wheel on disk,
# torch==$(TORCH_VERSION) takes it), then the course with its dev extras, then acts.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
STAMP := $(VENV)/.installed
SHARED_DATA := $(abspath ../shared/data)
# Use the shared copy of the paper's images when it lies beside the checkout and DRCN_DATA is unset.
export DRCN_DATA ?= $(if $(wildcard $(SHARED_DATA)/Set5),$(SHARED_DATA),$(abspath data))

.PHONY: lab test test-unit test-notebooks test-fresh test-browser lint bench recipe-figures weights notebooks clean-venv help

help:
	@echo "make lab    - open JupyterLab on the course (sets everything up first)"
	@echo "make test   - unit tests, reliability suite and every notebook via nbval (smoke mode)"
	@echo "make test-fresh - every lesson (smoke mode) on a fresh machine: no images, no network"
	@echo "make test-browser - run lessons in JupyterLab in headless Chromium, move their sliders"
	@echo "make lint   - ruff and the import-linter contracts (the layers of drcn_lib)"
	@echo "make bench  - speed and memory benchmark (benchmarks/results.json)"
	@echo "make recipe-figures - PSNR-versus-minutes figures of benchmarks/recipes/ (docs/)"
	@echo "make weights - retrain every shipped model with the cpu preset (31 min in all on 2 cores with bf16, about 4x that with AVX2 only)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "torch==$(TORCH_VERSION)" \
		|| $(PY) -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/00_welcome.ipynb

test: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	DRCN_SMOKE=1 $(PY) -m pytest -q tests notebooks --nbval-lax -p no:cacheprovider

test-unit: $(STAMP)
	$(PY) -m pytest -q tests

test-notebooks: $(STAMP)
	DRCN_SMOKE=1 $(PY) -m pytest -q --nbval-lax notebooks

# A newcomer's first run: an empty data folder and a cache of its own, and a download source
# that refuses at once (a closed port on this machine), so every lesson must take the loud
# scikit-image fallback quickly instead of failing or hanging.
test-fresh: $(STAMP)
	@fresh=$$(mktemp -d); echo "fresh data folder and cache: $$fresh"; \
	DRCN_DATA=$$fresh/data DRCN_CACHE=$$fresh/cache DRCN_DATA_URL=http://127.0.0.1:9 \
	DRCN_DOWNLOAD_TIMEOUT=2 DRCN_SMOKE=1 \
		$(PY) -m pytest -q notebooks --nbval-lax -p no:cacheprovider; \
	rc=$$?; rm -rf "$$fresh"; exit $$rc

# Needs Debian's chromium (apt-get install -y chromium); playwright drives it, no browser download.
test-browser: $(STAMP)
	DRCN_BROWSER_TEST=1 $(PY) -m pytest -q tests/browser -p no:cacheprovider

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/bench.py

recipe-figures: $(STAMP)
	$(PY) benchmarks/plot_recipes.py

weights: $(STAMP)
	$(VENV)/bin/drcn reproduce --train --weights-dir drcn_lib/weights

notebooks: $(STAMP)
	$(PY) tools/run_notebooks.py notebooks/*.ipynb

clean-venv:
	rm -rf $(VENV)
