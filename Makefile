# Quick start: `make lab` opens the course, `make test` checks everything, `make lite` builds
# the course as a JupyterLite site (build/lite/: JupyterLab and Python in the browser).
# lab and test create .venv and install the package with its extras on first use (idempotent).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# Tests and notebook runs neither read nor write the user's Jupyter state.
JUPYTER_TMP := $(CURDIR)/.jupyter-tmp
JUPYTER_ENV := JUPYTER_CONFIG_DIR=$(JUPYTER_TMP)/config JUPYTER_RUNTIME_DIR=$(JUPYTER_TMP)/runtime \
	JUPYTERLAB_SETTINGS_DIR=$(JUPYTER_TMP)/settings JUPYTERLAB_WORKSPACES_DIR=$(JUPYTER_TMP)/workspaces \
	IPYTHONDIR=$(JUPYTER_TMP)/ipython JUPYTER_PLATFORM_DIRS=1 MKTEACH_PREDICTIONS=off
NOTEBOOKS := $(wildcard notebooks/*.ipynb)

.PHONY: lab test lint unit nbval notebooks bench install lite clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[lab,test]'
	touch $(STAMP)

# The JupyterLite site: scripts/build_lite.py installs its pinned tools (lite/*.txt,
# lite/package*.json; needs Python >= 3.10 with venv, and npm) into .cache/lite/ and writes
# build/lite/. Rebuilt when the package, the notebooks or the pins change.
LITE_STAMP   := build/.lite-built
LITE_SOURCES := $(shell find mkteach -name '*.py' -o -name '*.js') $(NOTEBOOKS) \
	$(wildcard notebooks/exercises/*.ipynb) $(wildcard lite/*) scripts/build_lite.py pyproject.toml setup.py

lite: $(LITE_STAMP)

$(LITE_STAMP): $(LITE_SOURCES)
	$(PYTHON) scripts/build_lite.py
	touch $(LITE_STAMP)

lab: $(STAMP)
	$(BIN)/mkteach lab

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The unit tests include tests/test_lite.py, which runs chapters in the JupyterLite build.
# Two workers (the machines here have two cores); a test file's tests stay on one worker. No
# test measures time (timings are `make bench`'s), so every test runs in parallel.
unit: $(STAMP) $(LITE_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

nbval: $(STAMP)
	rm -rf $(JUPYTER_TMP) && mkdir -p $(JUPYTER_TMP)/ipython
	$(JUPYTER_ENV) $(BIN)/python -m pytest --nbval $(NOTEBOOKS) \
		--nbval-sanitize-with notebooks/sanitize.cfg -p no:cacheprovider

test: lint unit nbval

# Re-execute the notebooks in place (outputs committed, widget state not stored).
notebooks: $(STAMP)
	rm -rf $(JUPYTER_TMP) && mkdir -p $(JUPYTER_TMP)/ipython
	$(JUPYTER_ENV) $(BIN)/python scripts/execute_notebooks.py $(NOTEBOOKS)

# Benchmarks (not part of make test): writes bench/results.json. The `bench` extra adds SimPy,
# the peer the IPC benchmark runs against; the course benchmark runs nbval in its own temporary
# Jupyter dirs.
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) $(JUPYTER_TMP) .pytest_cache .hypothesis build *.egg-info .cache
