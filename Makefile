# hookflow — the two commands a newcomer needs are `make run` and `make test`.
# Both install what is missing (Temporal CLI into .bin/, clickhouse-server via
# apt-get) and start real servers as plain processes (scripts/stack.sh).

SHELL := /bin/bash
GO ?= go
CONFIG ?= config/dev.yaml
FUZZTIME ?= 200000x

.PHONY: run test build model fuzz vet fmt bench test-faults stack-up stack-down stack-status clean help

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

run: ## start Temporal (+UI), ClickHouse and hookflow, replay the sample webhooks, serve until Ctrl-C
	@scripts/run.sh $(CONFIG)

test: ## start (or reuse) the real servers and run every test, including brief fuzzing
	@scripts/test.sh

build: ## build bin/hookflow
	$(GO) build -o bin/hookflow ./cmd/hookflow

model: ## retrain the default model reproducibly and rewrite models/churn-v1.{onnx,yaml}
	$(GO) run ./models/train

bench: ## benchmark the pipeline against its Temporal ceiling on private servers, 7-10 min (BENCH_QUICK=1: ~1 min); results/
	@scripts/bench.sh

test-faults: ## fault-injection suite on private servers (kill, outages, restarts, duplicates, abuse), ~5 min
	@scripts/faults.sh

fuzz: ## fuzz every parser for longer (FUZZTIME=2000000x make fuzz; counts, see scripts/fuzz.sh)
	@FUZZTIME=$(FUZZTIME) scripts/fuzz.sh

vet: ## gofmt check and go vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...

stack-up: ## start the servers only
	@scripts/stack.sh up manual

stack-down: ## stop servers started by this checkout
	@scripts/stack.sh down

stack-status:
	@scripts/stack.sh status

clean: stack-down ## stop servers and delete local state (.run/, bin/)
	rm -rf .run bin
