# A thin driver over the CMake presets. The two commands that matter:
#   make test    build and run every test: release, ThreadSanitizer,
#                AddressSanitizer+UBSan, 32-bit words, the fuzzer (30 s),
#                Xtensa under QEMU, then the install check
#   make bench   run the benchmark suite and render the report in results/
#   (make model  the spin and Relacy model checks with a long search)
# Both install missing Debian packages first when run as root.

.DEFAULT_GOAL := all
JOBS ?= $(shell nproc)
CORE_PACKAGES := build-essential cmake pkg-config libhwloc-dev hwloc liburcu-dev libbenchmark-dev valgrind spin clang-format \
	relacy-dev g++
DEB_PACKAGES := $(CORE_PACKAGES)
# Targets `make bench` runs after the host suite, each given RESULTS_DATE (the
# run's date stamp, so that one run's results share it): fragments append.
BENCH_EXTRA :=

# Each part of the suite adds its packages and targets in its own fragment,
# through the variables above (DEB_PACKAGES, EXTRA_TEST_PRESETS, BENCH_EXTRA):
# no fragment reads another's. `include`, not `-include`: a missing fragment
# must stop make, not quietly drop its presets from `make test`.
include bench/bench.mk
include stress/stress.mk
include platform/xtensa/xtensa.mk

.PHONY: all deps test test-host build-% test-% bench fuzz format format-check clean install-check model

all: build-release

deps:
	@scripts/deps.sh $(sort $(DEB_PACKAGES))

build-%: deps
	@cmake --preset $* >/dev/null
	@cmake --build --preset $* -j $(JOBS)

# Unit tests of one preset (stress and fuzz tests are CTest tests too).
test-%: build-%
	@ctest --preset $* -j $(JOBS) --timeout 300 --no-tests=error

TEST_PRESETS ?= release tsan asan word32 $(EXTRA_TEST_PRESETS)

test: deps
	@set -e; for p in $(TEST_PRESETS); do \
	  echo "== make test: $$p =="; $(MAKE) --no-print-directory test-$$p; done
	@$(MAKE) --no-print-directory install-check
	@echo "make test: all presets passed ($(TEST_PRESETS))"

# The model checks, long: spin's bitmap model and every Relacy test (as
# written and weakened) with a deep search; `make test` runs them bounded.
MODEL_ITERATIONS ?= 10000000
MODEL_BOUND ?= 4
model: build-release
	@SMPHEAP_MODEL_ITERATIONS=$(MODEL_ITERATIONS) SMPHEAP_MODEL_BOUND=$(MODEL_BOUND) \
	  ctest --preset release -R '^model_' --output-on-failure --timeout 7200

# An outside program builds against the installed library with find_package()
# and with pkg-config alone, and README.md's first program does too.
install-check: build-release
	@rm -rf build/install build/consumer
	@cmake --install build/release --prefix build/install >/dev/null \
	  || { echo "install-check: FAILED: cmake --install" >&2; exit 1; }
	@cmake -S tests/consumer -B build/consumer -DCMAKE_PREFIX_PATH=$(CURDIR)/build/install >/dev/null \
	  && cmake --build build/consumer -j $(JOBS) >/dev/null && build/consumer/consumer >/dev/null \
	  || { echo "install-check: FAILED: consumer through find_package(smpheap)" >&2; exit 1; }
	@echo "install-check: consumer through find_package(smpheap) passed"
	@pc=$$(dirname "$$(find build/install -name smpheap.pc | head -n 1)") \
	  && PKG_CONFIG_PATH=$(CURDIR)/$$pc pkg-config --exists smpheap \
	  && flags=$$(PKG_CONFIG_PATH=$(CURDIR)/$$pc pkg-config --cflags --libs smpheap) \
	  && $(CC) -std=c11 -Wall -Wextra -Werror tests/consumer/consumer.c -o build/consumer/consumer-pc $$flags \
	  && build/consumer/consumer-pc >/dev/null \
	  || { echo "install-check: FAILED: consumer through pkg-config" >&2; exit 1; }
	@echo "install-check: consumer through pkg-config passed"
	@tests/consumer/readme_example.sh build/install \
	  || { echo "install-check: FAILED: README example" >&2; exit 1; }

format:
	@git ls-files '*.c' '*.h' '*.cc' | xargs clang-format -i

format-check:
	@git ls-files '*.c' '*.h' '*.cc' | xargs clang-format --dry-run --Werror

clean:
	rm -rf build
