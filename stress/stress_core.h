/* stress_core.h - the portable heart of smpheap-stress (its files and what
 * they share: stress_internal.h).
 *
 * Everything that decides, checks and counts lives here, in C11 with
 * <stdatomic.h> only: no threads, no OS calls, no malloc, no floating point,
 * no 64-bit atomics and no atomic_flag (neither is atomic on the Xtensa cores
 * we run on). A driver supplies the memory, the threads (or cores) and a
 * clock:
 *
 *   host     stress/main_host.c: one pthread per worker, bound to a core with
 *            smpheap_host_bind(); the main thread is the controller.
 *   xtensa   one worker per emulated core, the controller between them.
 *
 * Workers: each runs stress_worker_run(), a loop of random operations
 * (allocate, free its own block, hand a block to a worker on another core,
 * realloc, and for smpheap a bad input whose exact error it checks). Every
 * block is tagged over its whole length with (owner, sequence, size) and the
 * tag is checked whenever the block is freed, reallocated or inspected, so an
 * overlap of two live blocks, a lost write or a double hand-out is caught and
 * reported with the seed, the worker and the operation number.
 *
 * Replay: worker i draws its random numbers from the suite's generator
 * (bench/common/rng.h) seeded with (seed, i), four per operation whatever the
 * operation does, so the same seed gives every worker the same decision
 * inputs, operation by operation.
 * What other workers do meanwhile (hand-offs, exhaustion) depends on timing.
 *
 * Controller: a single thread (or core) that may at any time park every
 * worker and check the books (stress_quiesce), take a core down and up
 * (stress_core_down / stress_core_up: the core's workers park first, as the
 * API demands), and at the end free everything and check the heap is empty
 * (stress_finish).
 */
#ifndef SMPHEAP_STRESS_CORE_H
#define SMPHEAP_STRESS_CORE_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"
#include "smpheap/smpheap.h"
#include "spsc_ring.h"
#include "strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRESS_MAX_WORKERS 256 /* workers one run may have */
#define STRESS_LIVE_SLOTS 64   /* RUNTIME/BUFFER blocks a worker holds at most */
#define STRESS_SYS_SLOTS 16    /* SYS blocks a worker keeps for re-checking */
#define STRESS_RING_SLOTS 16   /* blocks in flight from one worker to another; power of two */
#define STRESS_HIST_BUCKETS 48 /* latency histogram: bucket b holds [2^(b-1), 2^b) ticks */
#define STRESS_CACHE_LINE 64   /* keeps one writer's atomics off another's line */

/* The allocator under test is a struct strategy (bench/strategies/
 * strategy.h, the suite's one interface). For smpheap (s->heap set) the
 * driver also checks error codes, stats, smpheap_check() and hotplug; for
 * any other strategy zones only choose size distributions. The driver uses
 * alloc_ex when there is one (caps for smpheap alone, alignments), else
 * alloc; realloc, or allocate-copy-free without it; usable (peers) or the
 * request; park before a core goes down; sys_reset when it has gone down
 * (without one, SYS blocks are freed one by one). Each worker's thread calls
 * thread_init once; the controller frees with a NULL thread context. */

struct stress_config {
	uint64_t seed;			     /* printed; replays the decision inputs */
	unsigned workers;		     /* 1..STRESS_MAX_WORKERS */
	unsigned cores;			     /* worker i acts as core i % cores */
	unsigned zone_mask;		     /* 1u << SMPHEAP_ZONE_*: zones to exercise */
	const struct smpheap_layout *layout; /* size classes, pages, caps to draw from */
	uint64_t (*now)(void);		     /* monotonic ticks, for operation latency */
	void (*relax)(void);		     /* called in every wait loop (yield, sleep, nop) */
	uint64_t max_ops; /* operations per worker, then it idles parked; 0: until stopped */
};

/* One block as the driver knows it. */
struct stress_block {
	void *ptr;	/* start of the block */
	uint32_t len;	/* bytes tagged: the usable size */
	uint32_t seq;	/* owner's sequence number when tagged */
	uint16_t owner; /* worker that tagged it */
	uint8_t zone;	/* enum smpheap_zone */
	uint8_t core;	/* core that allocated it */
};

/* Single-producer single-consumer ring (bench/common/spsc_ring.h): worker s
 * hands blocks to worker r. All rings into r together are r's
 * multi-producer inbox. */
struct stress_ring {
	struct spsc_ring idx;			     /* head and tail, on lines of their own */
	struct stress_block slot[STRESS_RING_SLOTS]; /* published by spsc_ring_publish */
};

/* The first failure of a run; the rest of the run stops at it. */
struct stress_failure {
	const char *what;  /* static text */
	int worker;	   /* -1: found by the controller */
	uint64_t op;	   /* the worker's operation number (1-based), or controller step */
	void *ptr;	   /* block concerned, if any */
	size_t len;	   /* its tagged length */
	size_t offset;	   /* byte offset of a bad tag word */
	uint64_t expected; /* what should have been there (tag word, count, code) */
	uint64_t got;	   /* what was there */
};

/* Counters of one worker: written by it alone (relaxed), read by anyone. */
struct stress_counters {
	atomic_size_t ops;	/* operations done */
	atomic_size_t allocs;	/* successful allocations (any zone) */
	atomic_size_t frees;	/* successful frees (own and received) */
	atomic_size_t handoffs; /* blocks handed to another worker */
	atomic_size_t received; /* blocks received and freed */
	atomic_size_t reallocs; /* successful reallocs */
	atomic_size_t nulls;	/* valid allocations or reallocs that got NULL */
	atomic_size_t zone_nulls[SMPHEAP_ZONE_COUNT]; /* of which, per zone */
	atomic_size_t recoveries; /* allocations that succeeded after a NULL in their zone */
	atomic_size_t bad_inputs; /* bad inputs tried (each checked) */
	atomic_size_t bad_frees;  /* of which the heap must count as bad frees */
	atomic_size_t bad_allocs; /* of which the heap must count as failures */
	atomic_size_t down_frees; /* frees of a block whose core was down */
	atomic_size_t live;	  /* blocks held right now */
	atomic_size_t lat_max;	  /* longest operation, ticks */
	atomic_size_t hist[STRESS_HIST_BUCKETS]; /* operation latencies, log2 buckets */
};

struct stress;

struct stress_worker {
	struct stress *s;
	unsigned id;	      /* 0..workers-1 */
	unsigned core;	      /* the core it acts as */
	rng_t rng;	      /* bench/common/rng.h: rng_seed(seed, id) */
	void *tctx;	      /* the strategy's thread context (thread_init) */
	bool tctx_set;	      /* tctx is this worker's thread's */
	uint64_t op;	      /* operations started */
	uint32_t seq;	      /* next tag sequence number */
	unsigned inbox;	      /* next inbound ring to drain */
	unsigned live_n;      /* entries used in live[] */
	unsigned sys_n;	      /* entries used in sys[] */
	size_t sys_bytes;     /* SYS bytes allocated since the core's last reset (16-rounded) */
	size_t sys_slack;     /* most padding aligned SYS requests may have added */
	unsigned sys_dropped; /* SYS blocks forgotten at the last core-down */
	unsigned exhausted;   /* bit z: the last allocation in zone z got NULL */
	struct stress_block live[STRESS_LIVE_SLOTS];   /* RUNTIME and BUFFER blocks held */
	struct stress_block sys[STRESS_SYS_SLOTS];     /* recent SYS blocks (re-checked) */
	alignas(STRESS_CACHE_LINE) atomic_uint parked; /* 1 while in the park loop */
	atomic_uint down_ack;			       /* last core-down generation handled */
	atomic_uint runs_itself; /* 1 once stress_worker_run() drives it (not run by hand) */
	size_t ops_at_release;	 /* controller only: c.ops when it was last released */
	struct stress_counters c;
};

/* A (ptr, len) pair for the overlap check at quiescent points. */
struct stress_span {
	uintptr_t start;
	size_t len;
};

/* Totals over all workers and the controller. */
struct stress_totals {
	size_t ops, allocs, frees, handoffs, received, reallocs, nulls, bad_inputs, bad_frees;
	size_t bad_allocs;
	size_t zone_nulls[SMPHEAP_ZONE_COUNT], recoveries;
	size_t down_frees, live, lat_max;
	size_t hist[STRESS_HIST_BUCKETS];
	size_t quiesces;	   /* quiescent checks passed */
	size_t core_downs;	   /* hotplug: cores taken down */
	size_t core_ups;	   /* hotplug: cores brought back */
	size_t sweeps;		   /* smpheap_core_sweep() calls */
	size_t banks_released;	   /* banks powered off (sum of what core_down/sweep reported) */
	size_t bank_release_count; /* smpheap's own figure, summed over zones */
	size_t sys_resets;	   /* SYS blocks dropped because their core went down */
};

struct stress {
	struct stress_config cfg;
	struct strategy *st;			       /* the allocator under test (the caller's) */
	struct stress_worker *workers;		       /* cfg.workers entries */
	struct stress_ring *rings;		       /* workers^2: ring[from * workers + to] */
	struct stress_span *spans;		       /* stress_span_capacity() entries */
	size_t rt_max;				       /* largest RUNTIME block size */
	size_t rt_align_max;			       /* largest RUNTIME alignment to ask for */
	size_t buf_pages_max;			       /* largest BUFFER run to ask for, pages */
	alignas(STRESS_CACHE_LINE) atomic_uint stop;   /* 1: workers return */
	atomic_uint pause;			       /* 1: every worker parks */
	atomic_uint down_req[SMPHEAP_MAX_CORES];       /* 1: the core's workers park */
	atomic_uint down_gen[SMPHEAP_MAX_CORES];       /* bumped at each core-down request */
	alignas(STRESS_CACHE_LINE) atomic_uint failed; /* 0 until the first failure */
	atomic_uint failure_ready;		       /* 1 once `failure` is written */
	struct stress_failure failure;
	/* controller figures (controller only) */
	size_t quiesces, core_downs, core_ups, sweeps, banks_released, sys_resets;
	uint64_t ctl_step;
	size_t released_on[SMPHEAP_MAX_CORES];		   /* banks each down core has released */
	unsigned down_mask[(SMPHEAP_MAX_CORES + 31) / 32]; /* cores the controller took down */
};

/* Entries of the span array that stress_init() needs for `workers`. */
size_t stress_span_capacity(unsigned workers);

/* Sets up a run. `workers` has cfg->workers entries, `rings` cfg->workers^2,
 * `spans` stress_span_capacity(cfg->workers); all owned by the caller and
 * untouched before. 0, or -EINVAL for a bad configuration. */
int stress_init(struct stress *s, const struct stress_config *cfg, struct strategy *st,
		struct stress_worker *workers, struct stress_ring *rings,
		struct stress_span *spans);

/* Worker i's loop: operations until stress_stop() or a failure, parking
 * whenever the controller asks. Call from the thread/core acting as
 * s->workers[i].core. */
void stress_worker_run(struct stress *s, unsigned i);

/* At most `steps` operations of worker i (no parking); for drivers that
 * interleave workers by hand. Returns false once the run has failed. */
bool stress_worker_steps(struct stress *s, unsigned i, unsigned steps);

/* Controller: parks every worker, checks the books (tags of every held
 * block, no two blocks overlap, per-zone sums equal smpheap_stats().used,
 * usable sizes, smpheap_check() == 0, counters), lets them go on.
 * 0, or -1 after recording a failure. */
int stress_quiesce(struct stress *s);

/* Controller: parks the workers of `core` (they drop their SYS blocks and
 * hand what they can to other cores first), then smpheap_core_down() and
 * checks its effect on the stats. Then sweeps (free of that core's blocks
 * go on meanwhile), then brings it back. 0 or -1 (failure recorded). */
int stress_core_down(struct stress *s, unsigned core);
int stress_core_sweep(struct stress *s, unsigned core);
int stress_core_up(struct stress *s, unsigned core);

/* Workers that have done cfg.max_ops operations (0 if there is no limit). */
unsigned stress_finished(const struct stress *s);

/* Asks every worker to return from stress_worker_run(). */
void stress_stop(struct stress *s);

/* Controller, after every worker has returned: brings cores back up, checks
 * once more, frees every block (checking its tag), and checks that RUNTIME
 * and BUFFER are empty and, after taking each core down, SYS too.
 * 0 or -1 (failure recorded). */
int stress_finish(struct stress *s);

/* Sums the counters (any time; a snapshot while workers run). */
void stress_totals(const struct stress *s, struct stress_totals *t);

/* The failure, or NULL if the run has not failed. */
const struct stress_failure *stress_failure(const struct stress *s);

/* Smallest latency (ticks) at or above which the fraction per_mille/1000 of
 * operations fall, from the histogram (an upper bound: a power of two). */
size_t stress_hist_quantile(const struct stress_totals *t, unsigned per_mille);

/* The tag helpers, exported for tests: fill `len` bytes at `p` with the tag
 * of (owner, seq), and check the first `limit` of them (limit <= len).
 * stress_tag_check returns the offset of the first bad byte, or `limit`. */
void stress_tag_fill(void *p, size_t len, unsigned owner, uint32_t seq);
size_t stress_tag_check(const void *p, size_t len, unsigned owner, uint32_t seq, size_t limit);

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_STRESS_CORE_H */
