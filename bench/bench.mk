# bench/bench.mk - `make bench`: the benchmark suite, its instruction
# counts, and the report. Included by the top Makefile.
#
#   make bench                 default suite (5 minutes on 2 cores shared with
#                              other work: see bench/README.md): 0.05 s per
#                              benchmark or its fixed count (iterations:N),
#                              3 repetitions interleaved
#   make bench FULL=1          the long suite: more sizes and thread counts,
#                              0.5 s per benchmark, 5x to 10x the fixed counts,
#                              5 repetitions interleaved
#   make bench-report          re-render results/*/report.md from stored JSON
#   make bench BENCH_FILTER=^pair/   only the benchmarks the regex selects (the
#                              report leaves such a partial run out)
#   make bench-run BENCH_FILTER=^pair/smpheap/   the run alone: no callgrind,
#                              no Xtensa, no report
#   make bench-icount          the callgrind counts alone
#
# Each step works on its own in a fresh clone (bench-run and bench-icount
# build the release preset, bench-report installs its packages); `make
# bench` builds once and runs the steps with BENCH_BUILT=1, which skips that.
#
# Writes results/<machine>/<date>.json (Google Benchmark JSON, with the
# suite's context), results/<machine>/icount-<date>.json (callgrind), the
# Xtensa run when platform/xtensa is there, and renders
# results/<machine>/report.md with SVG plots, and results/README.md comparing
# every machine in results/.

DEB_PACKAGES += libbenchmark-dev libbenchmark-tools python3 python3-scipy gnuplot-nox \
	libjemalloc-dev libmimalloc-dev libgoogle-perftools-dev libtbbmalloc2 valgrind hwloc

# Debian's python3 (it has python3-scipy for compare.py), whatever is first in PATH
BENCH_PYTHON ?= /usr/bin/python3
BENCH_MACHINE ?= $(shell $(BENCH_PYTHON) bench/tools/machine_name.py)
BENCH_DATE := $(shell date -u +%Y-%m-%dT%H%M%SZ)
# expanded in the recipes, after `deps` may have installed python3
BENCH_DIR = results/$(BENCH_MACHINE)
BENCH_EXE := build/release/bench/smpheap-bench
BENCH_FILTER ?= .
# Repetitions in random order, and the report takes their medians: on a
# shared machine another process's burst then spoils one repetition of a
# benchmark, not the figure.
ifeq ($(FULL),1)
BENCH_ARGS ?= --bench_full --benchmark_min_time=0.5 --benchmark_repetitions=5 \
	--benchmark_enable_random_interleaving=true
else
BENCH_ARGS ?= --benchmark_min_time=0.05 --benchmark_repetitions=3 \
	--benchmark_enable_random_interleaving=true
endif

.PHONY: bench bench-run bench-icount bench-report

# Then whatever other fragments put in BENCH_EXTRA (the top Makefile says
# how), with this run's date stamp: platform/xtensa/xtensa.mk runs the same
# workloads on an emulated lx106 (results/xtensa-qemu-lx106/, same date
# stamp) and the report sets the machines side by side. A failed extra run
# still lets the host report render, then fails `make bench`.
bench: build-release
	@$(MAKE) --no-print-directory bench-run bench-icount BENCH_DATE=$(BENCH_DATE) BENCH_BUILT=1
	@status=0; \
	for extra in $(BENCH_EXTRA); do \
	  echo "== make bench: $$extra =="; \
	  $(MAKE) --no-print-directory $$extra RESULTS_DATE=$(BENCH_DATE) || status=$$?; \
	done; \
	$(MAKE) --no-print-directory bench-report BENCH_BUILT=1 || status=$$?; \
	exit $$status

# On their own, the steps build or install what they need first.
bench-run bench-icount: $(if $(BENCH_BUILT),,build-release)
bench-report: $(if $(BENCH_BUILT),,deps)

# Progress: one short line per finished run ([k/N] name time p50/p99.9/max);
# the full figures go to the JSON file.
bench-run:
	@mkdir -p $(BENCH_DIR)
	@n=$$($(BENCH_EXE) --benchmark_list_tests --benchmark_filter='$(BENCH_FILTER)' | wc -l); \
	reps=$$(echo "$(BENCH_ARGS)" | sed -n 's/.*--benchmark_repetitions=\([0-9]*\).*/\1/p'); \
	echo "== make bench: $$n benchmarks x $${reps:-1} -> $(BENCH_DIR)/$(BENCH_DATE).json =="; \
	bash -o pipefail -c "$(BENCH_EXE) $(BENCH_ARGS) --benchmark_filter='$(BENCH_FILTER)' \
		--benchmark_out=$(BENCH_DIR)/$(BENCH_DATE).json --benchmark_out_format=json \
		| $(BENCH_PYTHON) bench/tools/progress.py $$((n * $${reps:-1}))"

bench-icount:
	@echo "== make bench: instruction counts under callgrind =="
	@$(BENCH_PYTHON) bench/callgrind/icount.py build/release/bench/smpheap-bench-icount \
		$(BENCH_DIR)/icount-$(BENCH_DATE).json

bench-report:
	@$(BENCH_PYTHON) bench/tools/report.py results
