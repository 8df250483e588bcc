# abm: set-up, the main job, tests. Needs Python 3.11 (python3.11 or python3) and make.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
RUNS   ?= 20000

.PHONY: setup setup-cuda demo test lint typecheck bench calibrate clean

# One command: a virtual environment with every dependency at the locked versions.
setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# On a GPU workstation (Linux, NVIDIA driver 525.60.13 or newer): the same environment
# with JAX's CUDA 12 plugin and NVIDIA's libraries at requirements-cuda.lock's versions.
setup-cuda: $(VENV)/.installed-cuda

$(VENV)/.installed-cuda: $(VENV)/.installed requirements-cuda.lock
	$(BIN)/python -m pip install --quiet -c requirements.lock -c requirements-cuda.lock -e '.[dev,cuda]'
	touch $@

# The main job on embedded defaults: otl vs trotsky, paired, both cubes under results/.
demo: setup
	$(BIN)/abm compare configs/scenarios/otl.yaml configs/scenarios/trotsky.yaml \
		--runs $(RUNS) --seed 0 --out-dir results --overwrite

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# The whole suite: lint, format check, type check, then pytest.
test: lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile --durations=20

bench: setup
	$(BIN)/python benchmarks/bench_germany.py

calibrate: setup
	$(BIN)/abm calibrate --overwrite --report docs/calibration_coverage.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
