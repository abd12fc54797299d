# Triad's vocabulary. `make` alone lists the targets.
GO        ?= go
PKGS      ?= ./...
BIN       := bin/triad
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X triad/internal/app.Version=$(VERSION)
# Debian packages the tests and benchmarks drive Triad with.
TEST_DEBS := redis-tools etcd-client kcat
BENCH_DEBS := redis-server redis-tools etcd-server etcd-client kcat nats-server

.PHONY: help build run test race fuzz e2e bench bench-cache bench-mem bench-coord bench-queue lint deps-test deps-bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

build: ## build bin/triad
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/triad

run: build ## run a single node with data in ./triad-data
	./$(BIN)

deps-test: ## install the Debian packages the tests need (redis-cli, etcdctl, kcat)
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

deps-bench: ## install the Debian packages the benchmarks compare against
	@$(MAKE) --no-print-directory deps-test TEST_DEBS="$(BENCH_DEBS)"

test: deps-test ## install test dependencies, then run every test with the race detector
	$(GO) vet $(PKGS)
	$(GO) test -race -timeout 20m $(PKGS)

race: test ## same as test (the tests always run with -race)

fuzz: ## run each fuzz target for a while (FUZZTIME, default 30s)
	@for t in $$($(GO) test -list 'Fuzz.*' ./internal/... 2>/dev/null | grep -E '^Fuzz'); do \
		pkg=$$(grep -rl "func $$t(" internal --include='*_test.go' | head -1 | xargs dirname); \
		echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $${FUZZTIME:-30s} ./$$pkg || exit 1; \
	done

e2e: deps-test ## long end-to-end and stress tests (build tag e2e)
	$(GO) test -race -tags e2e -count=1 -timeout 60m ./internal/e2e/... # -count=1: the tests run a freshly built binary, which the test cache cannot see

bench: bench-cache bench-mem bench-coord bench-queue ## all side-by-side benchmarks

bench-cache: deps-bench build ## Triad vs redis-server with redis-benchmark, printing ratios
	./scripts/bench-cache.sh

bench-coord: deps-bench build ## Triad vs etcd (1 and 3 nodes) with triad-bench coord, printing ratios
	./scripts/bench-coord.sh

bench-queue: deps-bench build ## Triad vs NATS JetStream with triad-bench queue, with the machine's limits and ratios
	./scripts/bench-queue.sh

bench-mem: deps-bench build ## RSS after the same 1M SETs in Triad and redis-server, with the ratio
	./scripts/mem-cache.sh

lint: ## gofmt, go vet and go mod tidy must leave nothing to change
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet $(PKGS)
	$(GO) mod tidy -diff
