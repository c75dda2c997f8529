# Irai: the two commands are `make run` and `make test`; both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast reset package lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## Start Irai with the embedded AWS emulator at http://127.0.0.1:8000 (PORT overrides).
run: $(STAMP)
	$(BIN)/python -m localdev.server

## Unit, integration (emulator over HTTP) and browser tests.
test: $(STAMP)
	$(BIN)/python -m pytest

## Forget all local data (table items, files, mailbox).
reset:
	rm -rf .local

## Build the Lambda deployment package and SAM template into dist/ (no AWS credentials needed).
package: $(STAMP)
	rm -rf dist
	$(BIN)/chalice package --stage prod dist

lint: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) dist .pytest_cache
