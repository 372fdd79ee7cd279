# Connector runner. `make test` runs everything; `make demo` shows data flowing.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A Node >= 22 and pnpm: the ones on PATH when new enough, else project-local ones in .tools/.
NODE_BIN := $(shell bash scripts/ensure-node.sh)
export PATH := $(NODE_BIN):$(PATH)
# kafkajs 2.2.4 sets a negative timer on Node >= 23 (kafkajs issue 1751, harmless): silence that warning only.
export NODE_OPTIONS := --disable-warning=TimeoutNegativeWarning

.PHONY: help install up down status lint typecheck unit test demo bench bench-resolution

help:
	@echo "make up | down | status   local stack: Kafka (KRaft), Apicurio registry, Postgres"
	@echo "make test                 lint, typecheck, and every test against the local stack"
	@echo "make demo                 stack + all services; FHIR server A -> world model -> FHIR server B"

install: node_modules/.install-stamp
	@bash scripts/ensure-chromium.sh

node_modules/.install-stamp: package.json pnpm-lock.yaml pnpm-workspace.yaml $(wildcard libs/*/package.json services/*/package.json test/*/package.json)
	pnpm install --frozen-lockfile
	@touch $@

up:
	bash deploy/local/stack.sh up

down:
	bash deploy/local/stack.sh down

status:
	bash deploy/local/stack.sh status

lint: install
	pnpm lint

typecheck: install
	pnpm typecheck

test: install lint typecheck up
	pnpm vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json

demo: install up
	node scripts/demo.ts

# The pipeline benchmark: figures against the broker's own limit, one run (bench/pipeline/README.md).
bench: install up
	node bench/pipeline/src/main.ts

# Entity resolution: precision, recall, F1 and records/s on 10k and 100k generated records with ground truth.
bench-resolution: install up
	node bench/resolution/src/main.ts --sizes 10000,100000
