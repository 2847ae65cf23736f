/* strategy.h - one small interface over every allocator the suite measures.
 *
 * Plain C, no OS calls: the workloads (bench/workloads/) call allocators only
 * through this, so the same workload code runs over smpheap, the legacy
 * block-map heap, the floors, and (on the host) the peers.
 *
 * The per-operation calls go through function pointers for every strategy
 * alike (floors included), so the indirect call costs each figure the same.
 */
#ifndef BENCH_STRATEGY_H
#define BENCH_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the workload says about an allocation: which smpheap zone it would
 * use. Strategies without zones ignore it, except that SYS memory is never
 * freed one by one (strategy_sys_reset() drops it all). */
enum strat_kind {
	STRAT_SYS = 0,	   /* lives until its core goes down */
	STRAT_RUNTIME = 1, /* small block, malloc/free */
	STRAT_BUFFER = 2,  /* large (audio) buffer */
};
#define STRAT_KINDS 3
#define STRAT_MAX_THREADS 16 /* threads a strategy serves at once */

struct strategy;

struct strategy_ops {
	/* Per-thread set-up for a benchmark thread acting as `core`; returns the
	 * context passed to alloc/free (NULL is allowed). */
	void *(*thread_init)(struct strategy *s, unsigned thread, unsigned core);
	void (*thread_fini)(struct strategy *s, void *tctx);
	void *(*alloc)(struct strategy *s, void *tctx, size_t size, enum strat_kind kind);
	/* 0, or a negative errno for a pointer the strategy rejects (a double
	 * or foreign free where it can tell; the peers always return 0). */
	int (*free)(struct strategy *s, void *tctx, void *p, enum strat_kind kind);
	/* Optional (NULL: not supported). A block of `size` bytes aligned to
	 * `align` (a power of two; 0: the kind's default) from memory with all
	 * of `caps` (smpheap's SMPHEAP_CAP_*; 0: any; strategies without
	 * memory kinds accept only 0). The stress driver's allocation. */
	void *(*alloc_ex)(struct strategy *s, void *tctx, enum strat_kind kind, uint32_t caps,
			  size_t size, size_t align);
	/* Optional (NULL: the caller allocates, copies old_size bytes, frees).
	 * As realloc(): NULL on failure with p untouched. */
	void *(*realloc)(struct strategy *s, void *tctx, void *p, size_t old_size, size_t size,
			 enum strat_kind kind);
	/* Optional: a thread about to park (its core going down) gives back
	 * what it holds privately (smpheap: its word-claim cache). */
	void (*park)(struct strategy *s, void *tctx);
	/* Drops all SYS memory of `core` (NULL: SYS blocks are freed one by one). */
	void (*sys_reset)(struct strategy *s, unsigned core);
	/* Bounded strategies only (NULL otherwise): bytes a request of the
	 * kind may draw from (a one-arena heap: its whole arena; a zone that
	 * shares a pool with another: the whole pool), bytes in live blocks,
	 * largest allocation possible now. */
	size_t (*capacity)(struct strategy *s, enum strat_kind kind);
	size_t (*used)(struct strategy *s, enum strat_kind kind);
	size_t (*largest_free)(struct strategy *s, enum strat_kind kind);
	/* Unbounded strategies (NULL otherwise): bytes the allocator set aside
	 * for the live block `p` (its usable size), so a workload can hold it to
	 * a byte budget counted the way it counts a bounded heap's blocks. */
	size_t (*usable)(struct strategy *s, const void *p);
	/* 1 if `p` (returned by alloc) belongs to this allocator; checked at
	 * start-up so that no figure is silently another allocator's. */
	int (*owns)(struct strategy *s, const void *p);
	/* 0 if the strategy's own invariants hold (NULL: none to check). */
	int (*check)(struct strategy *s);
};

struct strategy {
	const char *name; /* as it appears in benchmark names */
	char version[96]; /* recorded in the JSON context */
	const struct strategy_ops *ops;
	void *impl;	    /* the strategy's own state */
	bool bounded;	    /* fixed memory (a layout): can fail, has capacity */
	size_t max_runtime; /* largest RUNTIME block (bounded strategies), else 0 */
	/* Bounded strategies: the bytes RUNTIME and BUFFER blocks draw from
	 * together, each byte counted once (what a workload fills); else 0. */
	size_t arena;
	unsigned cores; /* cores of its layout (1 for the peers) */
	bool floor;	/* a floor (floors.c): not an allocator, a cost bound */
	/* smpheap only (else NULL): the heap, so the stress driver can check
	 * error codes, stats, smpheap_check() and hotplug. */
	struct smpheap *heap;
};

static inline void *strategy_alloc(struct strategy *s, void *t, size_t size, enum strat_kind k)
{
	return s->ops->alloc(s, t, size, k);
}

static inline int strategy_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	return s->ops->free(s, t, p, k);
}

/* The kind a request of `size` bytes takes: RUNTIME up to the strategy's
 * largest block (4 KiB when it has none), BUFFER above. */
static inline enum strat_kind strategy_kind_for(const struct strategy *s, size_t size)
{
	size_t max = s->max_runtime ? s->max_runtime : 4096;

	return size <= max ? STRAT_RUNTIME : STRAT_BUFFER;
}

/* The floors: "allocators" that cost what the hardware allows.
 *   floor-atomic: claim = CAS clearing one bit of a private word, release =
 *                 atomic OR setting it again (the lock-free path's two atomics);
 *   floor-plain:  the same with a plain (non-atomic) clear and set. */
void strategy_floor_atomic_init(struct strategy *s);
void strategy_floor_plain_init(struct strategy *s);

/* The legacy DSP design (blockmap_lock.c). `mem` must hold
 * blockmap_lock_size(layout) bytes, aligned to 64. */
struct smpheap_layout;
struct smpheap;
/* smpheap over a heap built by the caller (smpheap_strategy.c); `extra` is
 * appended to the version text (e.g. the git revision), may be NULL. */
void strategy_smpheap_init(struct strategy *s, struct smpheap *h, const char *extra);

size_t blockmap_lock_size(const struct smpheap_layout *layout);
int strategy_blockmap_lock_init(struct strategy *s, void *mem, size_t len,
				const struct smpheap_layout *layout);

/* The general heaps firmware uses today, each under one spinlock around each
 * call (locked_heap.h): "tlsf-lock", TLSF (tlsf.h), and "sysheap-lock", a
 * heap of Zephyr sys_heap's design (sysheap.h). Both are bounded and built
 * over a layout: `mem` (aligned to 64) must hold *_size(layout) bytes; init
 * returns 0, or -1 when it does not fit. The layout's per-core system heaps
 * are bump regions as blockmap-lock's (sys_reset drops one core's); the
 * runtime and buffer zones' bytes together are one arena, in which the heap
 * keeps its own control structure.
 *   capacity(RUNTIME), capacity(BUFFER): the whole arena (the layout's
 *	runtime and buffer zone bytes: both kinds draw from all of it), as
 *	is `arena`; capacity(SYS): the system heaps;
 *   used(kind): live bytes allocated with that kind, in usable sizes (the
 *	RUNTIME and BUFFER figures add up to what the arena has handed out);
 *	free and realloc must name the kind the block was allocated with;
 *   largest_free(RUNTIME or BUFFER): the largest request the arena's heap
 *	would grant now (both kinds: one arena); largest_free(SYS): the most
 *	any one core's system heap can still give;
 *   owns(p): p lies in the arena or a system heap;
 *   free: 0 for NULL and for SYS pointers, else the heap's code (0,
 *	-EINVAL for a pointer that is not a live block start, -EALREADY for a
 *	block already free); nothing changes on an error;
 *   alloc_ex: caps must be 0 (else NULL); align honoured (SYS too);
 *   realloc: the heap's (in place when it can; NULL with p untouched on
 *	failure or size 0); SYS: a new system block with the contents copied;
 *   park: none; check(): the heap's own check (0 when every invariant
 *	holds), and the per-kind used figures adding up to the heap's. */
size_t tlsf_lock_size(const struct smpheap_layout *layout);
int strategy_tlsf_lock_init(struct strategy *s, void *mem, size_t len,
			    const struct smpheap_layout *layout);
size_t sysheap_lock_size(const struct smpheap_layout *layout);
int strategy_sysheap_lock_init(struct strategy *s, void *mem, size_t len,
			       const struct smpheap_layout *layout);

/* The bounded strategies other than smpheap, each built over a layout's
 * bytes by the same two calls (bounded.c): the one list every driver (the
 * stress drivers, icount, the Xtensa bench) takes them from. `mem` must be
 * aligned to 64 and hold size(layout) bytes. */
struct strategy_bounded {
	const char *name;
	size_t (*size)(const struct smpheap_layout *layout);
	int (*init)(struct strategy *s, void *mem, size_t len, const struct smpheap_layout *layout);
};
#define STRATEGY_BOUNDED_COUNT 3
extern const struct strategy_bounded strategy_bounded_list[STRATEGY_BOUNDED_COUNT];
extern const unsigned strategy_bounded_count; /* STRATEGY_BOUNDED_COUNT */
/* The entry named `name`, or NULL. */
const struct strategy_bounded *strategy_bounded_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_STRATEGY_H */
