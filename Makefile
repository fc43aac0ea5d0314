# Hearth — two commands do all the set-up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test lint typecheck clean

# Install in three steps (docs/speech.md): torch pinned first (an unpinned torch pulls
# gigabytes of CUDA wheels), then Hearth, then resemblyzer without its broken `webrtcvad`
# dependency (webrtcvad-wheels, a Hearth dependency, provides the same module).
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Hearth needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/hearth run --seed-if-empty

# Two workers (this project's machines have two cores); a test file stays on one worker.
test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy src/hearth

clean:
	rm -rf $(VENV) build *.egg-info
