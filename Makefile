# The test command of the README; .ci/run runs exactly `make test`.
GO ?= go

.PHONY: test build fuzz-long

build:
	$(GO) build -trimpath -o payhsm-gw ./cmd/payhsm-gw

test:
	./scripts/check

# A longer fuzzing session of every target (FUZZTIME each).
fuzz-long:
	FUZZTIME=$${FUZZTIME:-5m} ./scripts/fuzz
