/* workloads.h - the suite's workloads, plain C over the strategy interface
 * and the bench shim. No threads are created here and no OS is called: the
 * shim's driver runs a benchmark on N threads, and the platform supplies the
 * hooks below (pinning). Cross-thread handoff goes through the suite's
 * SPSC ring (bench/common/spsc_ring.h), random choices come from its one
 * generator (bench/common/rng.h). Shared by the host suite and the Xtensa
 * driver. One file per workload (pair.c, batch.c, ...); what they share is
 * in common.c and wl_internal.h, the registrations in register.c.
 *
 * Every workload times each operation with bench_cycles() and records it in
 * a histogram (hist.h); the run's last thread merges all threads' histograms
 * and reports p50/p90/p99/p99.9/p99.99/max in cycles and ns. The cost of the
 * timer itself (calibrated once, wl_calibrate_timer()) is subtracted from
 * every sample (clamped at 0), so a sample is the operation's own cycles,
 * to within the counter's resolution. */
#ifndef BENCH_WORKLOADS_H
#define BENCH_WORKLOADS_H

#include <stdatomic.h>

#include "bench_shim.h"
#include "strategy.h"
#include "trace.h"

#ifdef __cplusplus
extern "C" {
#endif

enum wl_kind {
	WL_PAIR,	/* alloc+free of one size, every operation timed */
	WL_BATCH,	/* N allocations then N frees */
	WL_BATCH_SYS,	/* N system allocations, then the core's system heap is reset */
	WL_THREADS,	/* every thread pairs on its own: throughput and sampled latency */
	WL_HANDOFF,	/* even threads allocate, odd threads free (SPSC ring) */
	WL_PIPELINE,	/* synthetic audio pipelines until the heap is full */
	WL_CHURN,	/* random sizes and lifetimes at a fill level */
	WL_REPLAY,	/* a trace */
	WL_IPC4,	/* SOF IPC4-shaped pipelines across cores until the heap is full */
	WL_IPC4_RELOAD, /* the same IPC4 topology created and destroyed N times */
	WL_FILL,	/* fill-to-target (Zephyr's heap stress method) at 50/90/100 % */
};

/* One registration: a workload over a strategy. */
struct wl_def {
	enum wl_kind kind;
	struct strategy *s;
	enum strat_kind zone;	   /* BATCH: the kind allocated (SYS: batch-sys) */
	const struct trace *trace; /* REPLAY */
	/* CHURN, PIPELINE, IPC4 and FILL on an unbounded strategy: the bytes
	 * the bounded ones have, per kind (capacity) and in all (arena) */
	size_t ref_capacity[STRAT_KINDS];
	size_t ref_arena;
	char name[64]; /* "pair/smpheap", "churn/smpheap/host" */
};

struct wl_platform {
	/* Makes the calling thread act as `core` and pins it (host:
	 * smpheap_host_bind). NULL: nothing to do. */
	void (*bind)(unsigned core);
	/* An exact instruction counter, where the platform has one (bare
	 * metal on Xtensa: the debug option's ICOUNT, smpheap/xtensa.h); both
	 * NULL: none. insns_start() starts a count from 0, insns_stop() reads
	 * it and ends it. With it, `fill` counts the instructions of every
	 * allocation and free (the pair's own cost, wl_calibrate_insns(),
	 * taken out) and reports their percentiles and maxima, the worst case
	 * a firmware engineer bounds latency by. */
	void (*insns_start)(void);
	uint32_t (*insns_stop)(void);
};
extern struct wl_platform wl_platform;

/* Measures what insns_start() then insns_stop() back to back read (the
 * counter's own instructions), stored as the amount taken out of every
 * count. Returns it; 0 when the platform has no counter. */
uint64_t wl_calibrate_insns(void);

/* Measures the timer's own cost (the mean of many back-to-back reads) and
 * stores it as the amount subtracted from each sample. Returns it. */
uint64_t wl_calibrate_timer(void);
uint64_t wl_timer_overhead(void);
/* The smallest step the cycle counter was seen to take (its resolution). */
uint64_t wl_timer_step(void);

/* Registers `kind` over `s` as "<workload>/<strategy>" with the suite's
 * arguments and thread counts (full: the long suite). Returns the def (from
 * a static pool) or NULL. */
struct wl_def *wl_register(enum wl_kind kind, struct strategy *s, bool full);
/* PIPELINE, CHURN or PAIR over `s` on a second layout, with the layout's
 * name as a name part: "pipeline/<strategy>/<layout>",
 * "churn/<strategy>/<layout>/fill:<f>/zone:1" (e.g. churn/smpheap/host/...),
 * "pair/<strategy>/<layout>/size:<n>". Churn runs the runtime zone only
 * (fill 50 and 90 %): the zone the word-claim cache serves; pair the buffer
 * sizes 4 KiB and 256 KiB only. Any other kind: NULL. */
struct wl_def *wl_register_layout(enum wl_kind kind, struct strategy *s, bool full,
				  const char *layout);
/* The same for REPLAY with one trace: "replay/<strategy>/<trace name>". */
struct wl_def *wl_register_replay(struct strategy *s, const struct trace *t, bool full);

/* Runs the body of a def's benchmark (the shim's bench_fn). */
void wl_run(struct bench_state *st);

#ifdef __cplusplus
}
#endif

#endif
