# `make run` and `make test` each create .venv if it is missing, install the project with its dev
# extras into it (through constraints.txt, which pins the CPU torch), then do their job.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install chromium run test lint eval eval-off-topic eval-milvus bench bench-api bench-load bench-ingest bench-bulk bench-scale clean-index

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

# The main job: build (or refresh) the index, then serve the HTTP API on http://127.0.0.1:8000 (docs at /docs).
run: install
	$(BIN)/rag index
	$(BIN)/rag serve

lint: install
	$(BIN)/ruff check rag api tests eval
	$(BIN)/ruff format --check rag api tests eval

# Debian's Chromium, which the browser tests (tests/test_browser.py) drive; Playwright downloads no browser.
# Installed once, when missing, as root (as CI runs); otherwise it says how, and the browser tests are
# skipped (under CI they fail instead).
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq chromium; \
	else echo "$(CHROMIUM) is missing: 'sudo apt-get install chromium' for the browser tests"; fi

# The tests, then the quality gate: the evaluation set must score no worse than eval/baseline.json.
test: lint chromium
	$(BIN)/pytest
	$(BIN)/rag eval --check

# A full evaluation run (ours beside the LangChain peer); the report lands in eval/results/.
eval: install
	$(BIN)/rag eval

# Off-topic questions, alone and after a chat about the corpus, on both lists (eval/off_topic.py).
eval-off-topic: install
	$(BIN)/python eval/off_topic.py eval/off_topic_tuning.txt
	$(BIN)/python eval/off_topic.py eval/off_topic_heldout.txt

# The quality gate with RAG_VECTOR_STORE=milvus, on Milvus Lite and on the bundled Milvus 2.3.5 server (docs/milvus.md).
eval-milvus: install
	$(BIN)/rag index
	$(BIN)/python eval/eval_milvus.py

bench: install
	$(BIN)/python eval/bench_core.py

bench-api: install
	$(BIN)/python eval/bench_api.py

# Soak test: 32 loopback clients for 60 s, mixed requests with 20% malformed; fails on any 5xx, error or time-out.
bench-load: install
	$(BIN)/python eval/bench_load.py --clients 32 --seconds 60

# Seconds per 100 KB to add a document; start-up with a corpus of 1,000 documents (see the script's docstring).
bench-ingest: install
	$(BIN)/python eval/bench_ingest.py

# `rag add FOLDER` over 120 new files: a file per commit against batches of 32, and a killed run resumed.
bench-bulk: install
	$(BIN)/python eval/bench_bulk.py

# Dense index and BM25 at 10k, 100k and 1M chunks (issue 13; how the corpora are made: the script's docstring).
# About 20 min and 4 GiB of RAM at 1M; corpora are cached in ~/.cache/nato-space-rag/bench-scale/.
bench-scale: install
	$(BIN)/python eval/bench_scale.py --sizes 10000,100000,1000000

clean-index:  # removes uploaded documents too
	find index -mindepth 1 -maxdepth 1 ! -name README.md -exec rm -rf {} +
