# stress/stress.mk - the stress driver and the fuzzer in the top-level Makefile.
#   make stress       a 60 s smpheap-stress run with hotplug (STRESS_ARGS to change it)
#   make fuzz         the libFuzzer target, until stopped (Ctrl-C); new inputs go
#                     to build/fuzz/corpus; `make fuzz-merge` folds them into the
#                     committed corpus (tests/fuzz/corpus), minimised
#   make test-fuzz    the bounded run `make test` does (FUZZ_SECONDS, default 30)

DEB_PACKAGES += clang-14 libclang-rt-14-dev
EXTRA_TEST_PRESETS += fuzz

FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 30
FUZZ_BUILD := build/fuzz
STRESS_ARGS ?= --threads 16 --seconds 60 --hotplug

.PHONY: build-fuzz test-fuzz fuzz fuzz-merge stress

build-fuzz: deps
	@cmake -S tests/fuzz -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=$(FUZZ_CC) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Every committed seed first (each must pass), then FUZZ_SECONDS of new inputs.
# libFuzzer's chatter goes to a log; a finding prints its tail and fails.
test-fuzz: build-fuzz
	@mkdir -p $(FUZZ_BUILD)/corpus
	@if $(FUZZ_BUILD)/fuzz_api -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus tests/fuzz/corpus \
	    >$(FUZZ_BUILD)/fuzz.log 2>&1; then \
	  echo "fuzz_api: no finding in $(FUZZ_SECONDS) s:" \
	    "$$(grep -o 'stat::number_of_executed_units: *[0-9]*' $(FUZZ_BUILD)/fuzz.log | grep -o '[0-9]*$$') runs," \
	    "$$(grep -o 'cov: [0-9]*' $(FUZZ_BUILD)/fuzz.log | tail -1)," \
	    "$$(ls tests/fuzz/corpus | wc -l) committed seeds"; \
	else \
	  tail -40 $(FUZZ_BUILD)/fuzz.log; echo "fuzz_api: FINDING (input saved as $(FUZZ_BUILD)/crash-*)"; exit 1; \
	fi

fuzz: build-fuzz
	@mkdir -p $(FUZZ_BUILD)/corpus
	$(FUZZ_BUILD)/fuzz_api -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
	  $(FUZZ_BUILD)/corpus tests/fuzz/corpus

fuzz-merge: build-fuzz
	$(FUZZ_BUILD)/fuzz_api -merge=1 tests/fuzz/corpus $(FUZZ_BUILD)/corpus

stress: build-release
	build/release/stress/smpheap-stress $(STRESS_ARGS)
