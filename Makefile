# The README's two commands: `make run` (set up, export five-senses to an MP3 and play it
# where there is a sound card) and `make test` (set up, run every test).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PRACTICE ?= five-senses
OUT ?= $(PRACTICE).mp3

.PHONY: run export test lint clean

run: export
	@if $(BIN)/practice devices >/dev/null 2>&1; then \
		$(BIN)/practice play $(PRACTICE); \
	else \
		echo "No sound card here, so nothing plays: $(OUT) is ready to copy to a phone."; \
	fi

export: $(VENV)/.installed
	$(BIN)/practice export $(PRACTICE) -o $(OUT) --force

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check player tests benchmarks
	$(BIN)/mypy

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
