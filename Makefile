# mlproof — quick start: `make demo`, then `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-tools refs-env bench clean

# A virtual environment with mlproof, its test dependencies and the Spark extra (the Spark engine's tests
# run real pyspark in local mode; `make demo` never starts Java), rebuilt when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	touch $(STAMP)

setup: $(STAMP)

# A second environment for the libraries the references and examples name that cannot share the main one
# (Evidently 0.7 and Feast need pandas<3; KFP, BentoML, Airflow pin their own stacks). Tests drive it by subprocess.
REFS_VENV  ?= .venv-refs
REFS_STAMP := $(REFS_VENV)/.installed
$(REFS_STAMP): tests/envs/refs-requirements.txt
	$(PYTHON) -m venv $(REFS_VENV)
	$(REFS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(REFS_VENV)/bin/python -m pip install --quiet --no-deps -r tests/envs/refs-requirements.txt
	touch $(REFS_STAMP)

refs-env: $(REFS_STAMP)

# The main job on embedded defaults: local MLflow store, bundled example project and data.
demo: $(STAMP)
	$(BIN)/mlproof demo

# External tools the tests drive for real (npm CLIs, headless Chromium).
test-tools: $(STAMP)
	bash scripts/setup-test-tools.sh

test: $(STAMP) test-tools refs-env
	PATH="$(CURDIR)/.tools/node_modules/.bin:$$PATH" $(BIN)/python -m pytest -q

bench: $(STAMP) test-tools
	bash scripts/bench/run_all.sh

clean:
	rm -rf $(VENV) $(REFS_VENV) .tools .mlproof-demo bench-results
