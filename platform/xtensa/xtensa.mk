# Xtensa under QEMU (platform/xtensa): the cross compiler, picolibc and
# qemu-system-xtensa, all from Debian. Included by the top-level Makefile.
#
#   make test-xtensa    build the `xtensa` preset, run its CTests under QEMU
#                       (unit tests on one lx106 core, atomics, platform
#                       hooks and the stress driver on 4 de212 cores)
#   make bench-xtensa   the benchmark harness on one lx106 core with
#                       -icount shift=0,sleep=off (repeatable counts); the
#                       Google Benchmark JSON goes to
#                       results/xtensa-qemu-lx106/<RESULTS_DATE>.json (the
#                       host suite's date stamp when `make bench` calls it)
#   make profile-xtensa instructions per function of one system allocation,
#                       runtime pair and buffer pair (exact, from a QEMU
#                       instruction trace; needs python3)
DEB_PACKAGES += gcc-xtensa-lx106 binutils-xtensa-lx106 picolibc-xtensa-lx106-elf qemu-system-misc
# make test runs the xtensa preset too (about 20 s from scratch on 2 cores).
EXTRA_TEST_PRESETS += xtensa

XTENSA_RESULTS := results/xtensa-qemu-lx106
XTENSA_BENCH_ELF := build/xtensa/bench/xtensa/xtensa_bench
# `make bench` runs bench-xtensa after the host suite, with its date stamp.
BENCH_EXTRA += bench-xtensa
XTENSA_DATE := $(if $(RESULTS_DATE),$(RESULTS_DATE),$(shell date -u +%Y-%m-%dT%H%M%SZ))
XTENSA_REV = $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -dirty)

.PHONY: bench-xtensa profile-xtensa
bench-xtensa: deps
	@cmake --preset xtensa -DSMPHEAP_GIT_REVISION=$(XTENSA_REV) -DSMPHEAP_BENCH_DATE=$(XTENSA_DATE) >/dev/null
	@cmake --build --preset xtensa -j $(JOBS) --target xtensa_bench
	@mkdir -p $(XTENSA_RESULTS)
	@out=$(XTENSA_RESULTS)/$(XTENSA_DATE).json; \
	  SMPHEAP_QEMU_TIMEOUT=600 SMPHEAP_QEMU_ARGS="-icount shift=0,sleep=off" \
	    platform/xtensa/qemu-lx106.sh $(XTENSA_BENCH_ELF) > $$out.tmp && mv $$out.tmp $$out && \
	  echo "bench-xtensa: wrote $$out" || { rm -f $$out.tmp; echo "bench-xtensa: the run failed" >&2; exit 1; }

profile-xtensa: deps
	@cmake --preset xtensa >/dev/null
	@cmake --build --preset xtensa -j $(JOBS) --target xtensa_profile
	@python3 platform/xtensa/xt-profile.py build/xtensa/platform/xtensa/xtensa_profile \
	  "system alloc (16 B)" "runtime pair (64 B)" "buffer pair (4 KiB)"
