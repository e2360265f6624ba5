# textures-nb: `make run` executes every notebook, `make test` runs every test
# (unit tests, docstring examples, notebooks under nbval, then the browser suite),
# `make quick` the fast unit tests only. All create the virtual environment .venv
# on first use.

PYTHON ?= python3
VENV = .venv
TORCH_SPEC ?= torch==2.13.0

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))
# tqdm reads TQDM_DISABLE when imported: set it for pytest and for the kernels it starts
PYTEST := TQDM_DISABLE=1 $(BIN)/python -m pytest

.PHONY: install run test quick lint notebooks benchmarks clean

install: $(STAMP)

# torch goes first so that the project's `torch>=...` range is already satisfied
# and pip does not pull the default (multi-GB CUDA) build.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "error: $(PYTHON) is older than Python 3.10; run make PYTHON=python3.11 ..." >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install $(TORCH_SPEC)
	$(BIN)/python -m pip install -e ".[test]"
	touch $@

run: $(STAMP)
	$(BIN)/python -m textures_nb run notebooks --out runs

# unit tests, doctests and notebooks (testpaths in pyproject.toml), then the website
# checks and the browser suite (tests/test_docs.py, tests/browser; they skip themselves
# without Sphinx or Playwright/chromium). Both parts run on JOBS pytest-xdist workers
# (default: one per core), one torch/BLAS thread each so that workers do not fight for
# the cores. First part: `--dist loadfile` keeps a notebook's cells on one worker (one
# kernel); the notebooks nbval runs are kept in runs/nbval (conftest.py,
# --save-executed) and the website build reuses them instead of executing every notebook
# again. Second part: `--dist loadscope` keeps each notebook's browser checks (one test
# class) on one worker and its JupyterLab, and the website build with the checks of its
# pages (conftest.py, SAME_WORKER). The second part runs even if the first failed, and
# make test fails if either did. `make test JOBS=0` runs everything in one process.
JOBS ?= auto
XDIST_FILES = $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist loadfile)
XDIST_SCOPES = $(if $(filter 0,$(JOBS)),,-n $(JOBS) --dist loadscope)
test: $(STAMP) $(VENV)/.docs-installed
	@status=0; export OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} MKL_NUM_THREADS=$${MKL_NUM_THREADS:-1}; \
	set -x; \
	$(PYTEST) $(XDIST_FILES) --ignore=tests/browser --ignore=tests/test_docs.py \
		--save-executed runs/nbval || status=1; \
	$(PYTEST) $(XDIST_SCOPES) tests/test_docs.py $(wildcard tests/browser) || status=1; \
	exit $$status

# the edit-test loop: unit tests without the slow and browser ones (< 2 min on 2 cores)
quick: $(STAMP)
	$(PYTEST) -m "not slow and not browser" -x -q tests

.PHONY: browser gallery

# the notebooks in JupyterLab in headless Chromium, checked as a user sees them
# (pictures of every cell and of failures in runs/browser/, with an index.html)
browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

# every notebook's outputs as pictures with an index: runs/gallery/index.html
gallery: $(STAMP)
	$(BIN)/python -m textures_nb.runner.gallery notebooks --out runs/gallery

.PHONY: docs

# the website, offline, into docs/_build/html (open index.html); notebooks come from
# the newest up-to-date run in runs/ (make run), else are executed once into
# docs/_build/.executed; warnings go to docs/_build/warnings.log
docs: $(VENV)/.docs-installed
	mkdir -p docs/_build
	TQDM_DISABLE=1 $(BIN)/python -m sphinx -b html --keep-going -w docs/_build/warnings.log docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

$(VENV)/.docs-installed: $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -e ".[docs]"
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(if $(wildcard notebooks/*.ipynb),$(BIN)/python -m textures_nb notebooks --check notebooks)

notebooks: $(STAMP)
	$(BIN)/python -m textures_nb notebooks notebooks

benchmarks: $(STAMP)
	@if [ -z "$(BENCHMARKS)" ]; then echo "no benchmarks/bench_*.py yet"; fi
	@set -e; for bench in $(BENCHMARKS); do \
		echo "== $$bench"; $(BIN)/python $$bench; \
	done

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache build dist *.egg-info docs/_build
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
