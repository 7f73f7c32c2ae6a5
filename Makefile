# kaireon-chart — every target does its own set-up on a fresh machine.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/.tools:$(PATH)

.PHONY: install test run lint docs generate bench bench-smoke clean tools go-judge sarif-tool chart-tools checkov pg-tools chaos browser-tools

install: $(STAMP) tools go-judge sarif-tool chart-tools checkov pg-tools browser-tools

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'  # every extra (pyproject.toml: dev)
	touch $(STAMP)

tools: .tools/helm3 .tools/helm4
.tools/helm3 .tools/helm4 &: scripts/install-helm.sh
	bash scripts/install-helm.sh && touch -h .tools/helm3 .tools/helm4

# The Go judge is robfig/cron v3.0.1 (Debian's golang-github-robfig-cron-dev) compiled into a tiny
# binary the differential cron tests compare against.
go-judge:
	@if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/github.com/robfig/cron/v3 ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q golang-go golang-github-robfig-cron-dev >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q golang-go golang-github-robfig-cron-dev >/dev/null)); \
	  else echo "go-judge: golang-go / golang-github-robfig-cron-dev missing and not root; differential tests will skip"; fi; \
	fi
	@if [ -x scripts/build-cron-judge.sh ]; then bash scripts/build-cron-judge.sh; fi

# initdb/pg_ctl (Debian's postgresql) for the fault-injection tests that run a private PostgreSQL
# instance and stop or freeze it (tests/service/test_outages.py); without them those tests skip.
pg-tools:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q postgresql >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null)); \
	  else echo "pg-tools: initdb/pg_ctl missing and not root; the private-PostgreSQL tests will skip"; fi; \
	fi

# The SARIF maintainers' validator (tests/reports check our SARIF with `validate --rule-kind Gh`,
# the rules GitHub code scanning applies). npm installs it under .tools/sarif; needs node + npm.
SARIF_VERSION := 5.7.0
sarif-tool: .tools/sarif-multitool
.tools/sarif-multitool:
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then (apt-get install -y -q npm >/dev/null 2>&1 || \
	    (apt-get update -q >/dev/null && apt-get install -y -q npm >/dev/null)); \
	  else echo "sarif-tool: npm missing and not root; the SARIF validator tests will skip"; exit 0; fi; \
	fi; \
	mkdir -p .tools/sarif && npm install -q --no-audit --no-fund --prefix .tools/sarif \
	  @microsoft/sarif-multitool-linux@$(SARIF_VERSION) && \
	chmod u+x .tools/sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool && \
	ln -sf sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool .tools/sarif-multitool

# The chart's runtime checks use Debian's promtool (package prometheus: `promtool check/test rules`)
# and busybox (the trigger script under the same ash as the Alpine-based curl image) with curl.
chart-tools:
	@if ! command -v promtool >/dev/null 2>&1 || ! command -v busybox >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q prometheus busybox curl >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q prometheus busybox curl >/dev/null)); \
	  else echo "chart-tools: prometheus / busybox / curl missing and not root; the promtool and busybox tests fail"; fi; \
	fi

# The /status page is tested in Debian's headless chromium (tests/service/test_status_browser.py).
browser-tools:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -q chromium >/dev/null 2>&1 || \
	     (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	  else echo "browser-tools: chromium missing and not root; the status page browser test fails"; fi; \
	fi

# checkov (Kubernetes policies on the rendered chart) pins many libraries of its own: it gets its
# own venv under .tools, shared by the worktrees, instead of the project's.
checkov: .tools/checkov-venv/bin/checkov
.tools/checkov-venv/bin/checkov:
	$(PY) -m venv .tools/checkov-venv
	.tools/checkov-venv/bin/pip install -q checkov

test: install
	$(BIN)/python -m pytest -n 2 -q

run: install
	bash scripts/run.sh

# the gates: lint, format (ruff format --check: run `ruff format` to fix) and types (mypy, strict for
# kaireon_chart/; pyproject.toml [tool.mypy])
lint: install
	$(BIN)/ruff check kaireon_chart service tests bench chaos
	$(BIN)/ruff format --check kaireon_chart service tests bench chaos
	$(BIN)/mypy

# every generated file (kaireon_chart/generate.py lists them; tests/structure/test_generated.py checks)
generate: install
	$(BIN)/python -m kaireon_chart.generate

docs: generate

bench: install
	$(BIN)/python -m bench

bench-smoke: install
	$(BIN)/python -m bench --smoke

# The fault-injection campaign (docs/chaos.md): private PostgreSQL instances from Debian's packages,
# two service replicas, kill -9, a misbehaving SIEM receiver, schemathesis, hostile HTTP and rows.
# Full run: minutes. `python -m chaos --quick` is the reduced run (also inside `make test`).
# initdb/pg_ctl come from Debian's postgresql package (pg-tools, part of install).
CHAOS_ARGS ?=
chaos: install
	$(BIN)/python -m chaos $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .tools .pytest_cache .hypothesis var
