# textures-nb: `make run` executes every notebook, `make test` runs the tests.
# Both create the virtual environment .venv on first use.

PYTHON ?= python3
VENV = .venv
TORCH_SPEC ?= torch==2.13.0

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCHMARKS := $(sort $(wildcard benchmarks/bench_*.py))

.PHONY: install run test lint notebooks benchmarks clean

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

test: $(STAMP)
	$(BIN)/python -m pytest

.PHONY: browser gallery

# the notebooks in JupyterLab in headless Chromium, checked as a user sees them
# (pictures of every cell and of failures in runs/browser/, with an index.html)
browser: $(STAMP)
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

# every notebook's outputs as pictures with an index: runs/gallery/index.html
gallery: $(STAMP)
	$(BIN)/python -m textures_nb.runner.gallery notebooks --out runs/gallery

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
	rm -rf $(VENV) runs .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
