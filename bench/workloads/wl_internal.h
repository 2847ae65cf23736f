/* wl_internal.h - what the workload files share (not part of the public face,
 * workloads.h): the per-thread figures of a run, the timed-sample helpers,
 * the start and end of a run (common.c) and the registration pool
 * (register.c). One workload per file: pair.c, batch.c, threads.c,
 * handoff.c, pipeline.c, churn.c, replay.c, ipc4_pipelines.c, fill.c. */
#ifndef BENCH_WL_INTERNAL_H
#define BENCH_WL_INTERNAL_H

#include "hist.h"
#include "rng.h"
#include "workloads.h"

#define WL_HISTS 3	 /* per thread: 0 the workload's main figure, 1 alloc, 2 free */
#define WL_LF_SERIES 256 /* largest-free samples kept per thread */
#define WL_LF_POINTS 10	 /* of which reported, evenly spaced */
#define WL_PIPE_MAX 1024 /* pipelines per iteration (a cap; the peers' budget binds first) */

/* Per-thread figures of the current run, merged by its last thread. */
struct wl_thread {
	struct hist h[WL_HISTS];
	uint64_t failures, attempts;		/* allocations that failed / tried */
	uint64_t lf_min, lf_sum, lf_n, lf_last; /* largest free block samples */
	uint64_t peak_used, requested, pipelines, ops;
	/* largest free block over the run: samples kept at a stride that
	 * doubles whenever the series fills, so it always spans the run */
	uint32_t lf_series[WL_LF_SERIES];
	unsigned lf_len, lf_every, lf_k;
};
extern struct wl_thread wl_t[STRAT_MAX_THREADS];

/* The figures of all threads of a run, summed (maxima and minima where a
 * sum means nothing), handed to the reporting thread's workload. */
struct wl_sum {
	uint64_t failures, attempts, lf_min, lf_sum, lf_n, lf_last;
	uint64_t peak_used, requested, pipelines, ops;
};

/* A sample's own cycles: the timer's cost taken out, clamped at 0. */
uint64_t wl_net(uint64_t d);

/* The start of a run on this thread: resets its figures, binds it to the
 * core of its index and returns the strategy's thread context. */
void *wl_begin(struct bench_state *st, struct wl_def *d, unsigned *ti);
/* The end of a run on this thread. The last thread of the run to get here
 * merges every thread's figures, reports the common counters and returns
 * true with `sum` filled (the workload then adds its own counters); the
 * others return false. */
bool wl_end(struct bench_state *st, struct wl_def *d, void *tctx, struct wl_sum *sum);

/* Records one largest-free sample in the thread's figures (min, mean, last
 * and the run-spanning series). */
void wl_sample_largest_free(struct wl_thread *w, uint64_t lf);

/* All `threads` threads of a run wait here for each other. */
void wl_barrier(unsigned threads);

/* The memory a workload fills until it runs out, counted alike for every
 * strategy: a bounded strategy's arena (the runtime and buffer zones of
 * smpheap and blockmap-lock; the one arena of a general heap, counted
 * once), or an unbounded one's budget: the bytes the bounded heap has
 * (the def's ref_arena), counted in its blocks' usable sizes, so that a
 * block that would take it past them does not fit. (Its headers and its
 * external fragmentation are not counted: a bound in its favour.) */
struct wl_mem {
	struct strategy *s;
	size_t total; /* arena or budget bytes; 0: an unbounded strategy unheld */
	size_t live;  /* unbounded: usable bytes of the blocks held */
	/* set by the workload where wl_platform has an instruction counter:
	 * every call then also counts the strategy call's instructions into
	 * `insns` (inside the cycle window: the cycles then include the
	 * counter's few instructions, wl_calibrate_insns()) */
	bool count_insns;
	uint64_t insns; /* the last alloc's or free's own instructions */
};
/* Seeded single-thread workloads start from an idle heap: every core of a
 * bounded strategy is reset (smpheap: its current slabs go back, with the
 * system heaps), so that a seeded count does not depend on what the
 * benchmarks run before it left behind. Nothing of the caller's may be
 * live. */
void wl_idle_heap(struct strategy *s);
/* The arena or budget of d's strategy (before the workload allocates),
 * from an idle heap (wl_idle_heap). */
void wl_mem_init(struct wl_mem *m, struct wl_def *d);
/* An allocation, its own cycles in *cycles (the budget check is not
 * timed); NULL when it fails or would exceed the budget. */
void *wl_mem_alloc(struct wl_mem *m, void *tctx, size_t size, enum strat_kind kind,
		   uint64_t *cycles);
/* A free of a block wl_mem_alloc returned; its cycles in *cycles (or NULL). */
void wl_mem_free(struct wl_mem *m, void *tctx, void *p, enum strat_kind kind, uint64_t *cycles);
/* Bytes in use now (bounded: the arena's live blocks; unbounded: held). */
size_t wl_mem_used(const struct wl_mem *m);
/* The largest block a request could get now (unbounded: what is left of
 * the budget). */
size_t wl_mem_largest_free(const struct wl_mem *m);
/* The counters of a run that creates pipelines until one does not fit:
 * pipelines, requested_bytes, pipeline_cap, and (where memory is counted)
 * peak_used_bytes, arena_bytes (bounded) or budget_bytes, and
 * used_at_failure_pct (the fill when the first pipeline failed). */
void wl_report_pipelines(struct bench_state *st, const struct wl_mem *m, const struct wl_sum *sum,
			 uint64_t fail_used_milli);
/* wl_mem_used as thousandths of a percent of total (0 when total is 0). */
uint64_t wl_mem_fill_milli(const struct wl_mem *m);

/* The live blocks of a workload with random lifetimes (churn, fill): the
 * blocks, their sizes, and the bytes they asked for. A victim leaves by
 * swapping the last block into its place. */
struct wl_live {
	void **p;
	uint32_t *size;
	unsigned n, max;
	uint64_t bytes;
};
static inline void wl_live_add(struct wl_live *l, void *p, size_t size)
{
	l->p[l->n] = p;
	l->size[l->n++] = (uint32_t)size;
	l->bytes += size;
}
/* Takes block i out; its size in *size. */
static inline void *wl_live_take(struct wl_live *l, unsigned i, size_t *size)
{
	void *p = l->p[i];

	*size = l->size[i];
	l->bytes -= *size;
	l->p[i] = l->p[--l->n];
	l->size[i] = l->size[l->n];
	return p;
}

/* The workload bodies (the shim's bench_fn, dispatched by wl_run). */
void wl_pair(struct bench_state *st, struct wl_def *d);
void wl_batch(struct bench_state *st, struct wl_def *d);
void wl_threads(struct bench_state *st, struct wl_def *d);
void wl_handoff(struct bench_state *st, struct wl_def *d);
void wl_pipeline(struct bench_state *st, struct wl_def *d);
void wl_churn(struct bench_state *st, struct wl_def *d);
void wl_replay(struct bench_state *st, struct wl_def *d);
void wl_ipc4_pipelines(struct bench_state *st, struct wl_def *d);
void wl_ipc4_reload(struct bench_state *st, struct wl_def *d);
void wl_fill(struct bench_state *st, struct wl_def *d);

#endif
