# `make run` and `make test` each create .venv if it is missing, install the project with its dev
# extras into it (through constraints.txt, which pins the CPU torch), then do their job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
QUESTION ?= Where is the NATO Space Operations Centre?

.PHONY: install run test lint eval bench clean-index

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# Until the HTTP API exists, the main job builds (or refreshes) the index and answers an example question.
run: install
	$(BIN)/rag index
	$(BIN)/rag ask "$(QUESTION)"

lint: install
	$(BIN)/ruff check rag api tests eval

# The tests, then the quality gate: the evaluation set must score no worse than eval/baseline.json.
test: lint
	$(BIN)/pytest
	$(BIN)/rag eval --check

# A full evaluation run (ours beside the LangChain peer); the report lands in eval/results/.
eval: install
	$(BIN)/rag eval

bench: install
	$(BIN)/python eval/bench_core.py

clean-index:
	find index -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
