# Irai: the two commands are `make run` and `make test`; both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Browser-side test tools (axe-core, Lighthouse) from package-lock.json; never shipped. node itself
# also runs tests/js (node --test), from tests/unit/test_js.py, so it is part of the pytest run.
NODE_STAMP := node_modules/.installed

.PHONY: run test bench screenshots reset package deploy deploy-rehearsal lint clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18.16+) is needed for the browser audits and the JS unit tests"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

## Start Irai with the embedded AWS emulator at http://127.0.0.1:8000 (PORT overrides).
run: $(STAMP)
	$(BIN)/python -m localdev.server

# pytest-xdist: one worker per core, each with its own embedded emulator; a file stays on one
# worker (loadfile), so a module's shared world is built once.
TEST_WORKERS ?= auto
## Unit, integration (emulator over HTTP) and browser tests, on every core (TEST_WORKERS=0: one process).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=30

## Figures measured in one run (own emulator, Chromium, Lighthouse), printed and written to docs/figures.md.
bench: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m bench

## Every page at 1280x800 and 390x844 for each role (and signed out), as PNGs in build/screenshots/
## (git-ignored): the page-size walk of tests/browser/test_every_page_sizes.py, saving each page before
## it checks it, so a page the walk fails on is saved too (and the target fails with the walk).
screenshots: $(STAMP) $(NODE_STAMP)
	rm -rf build/screenshots
	IRAI_SCREENSHOTS=$(CURDIR)/build/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/browser/test_every_page_sizes.py -k every_page; status=$$?; \
		echo "Screenshots: build/screenshots/ ($$(ls build/screenshots 2>/dev/null | wc -l) files)"; exit $$status

## Forget all local data (table items, files, mailbox).
reset:
	rm -rf .local

# Offline of AWS on purpose: no profile, credentials or instance metadata are consulted (chalice only
# needs *a* region name to start; nothing region-specific lands in sam.json). pip must reach PyPI.
# The SAM template carries infra/template.yaml too (ops/merge_template.py), so app and infra can go
# out as one stack; the zip gets bytecode (ops/bytecode.py) for faster cold starts, and so does the
# copy chalice keeps in .chalice/deployments, which a following `chalice deploy` uploads.
DIST ?= dist
MERGE ?= build/merge-prod.json
## Build the Lambda deployment package and SAM template into dist/ (no AWS credentials needed).
package: $(STAMP)
	rm -rf $(DIST) $(MERGE)
	$(BIN)/python -m ops.merge_template --stage prod $(MERGE)
	env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
	  AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-ap-northeast-1} \
	  $(BIN)/chalice package --stage prod --merge-template $(MERGE) $(DIST)
	$(BIN)/python -m ops.bytecode $(DIST)/deployment.zip --chalice-cache .chalice/deployments
	$(BIN)/cfn-lint $(DIST)/sam.json

# With your AWS credentials: chalice deploy uploads the zip make package just gave bytecode, then
# unknown URLs get the 404 page (chalice deploy resets API Gateway's answer to them each time).
STAGE ?= prod
## Deploy a stage (STAGE=prod) with chalice: bytecode included, 404 page for unknown URLs.
deploy: package
	$(BIN)/chalice deploy --stage $(STAGE)
	$(BIN)/python -m ops.gateway_404 --stage $(STAGE)

# The README's deploy steps on a fresh in-process emulator (localdev/rehearsal.py), in a copy of
# the project: only 127.0.0.1 is contacted as AWS, with dummy keys. `make test` runs it too
# (tests/packaging/test_deploy_rehearsal.py). pip must reach PyPI, as for `make package`.
## Rehearse the README's deployment from an empty account against the emulator, and check the result.
deploy-rehearsal: $(STAMP)
	$(BIN)/python -m localdev.rehearsal

## cfn-lint the infra template, and the packaged SAM template when dist/ has one.
lint: $(STAMP)
	$(BIN)/cfn-lint infra/template.yaml
	test ! -f $(DIST)/sam.json || $(BIN)/cfn-lint $(DIST)/sam.json

clean:
	rm -rf $(VENV) node_modules dist build .pytest_cache
