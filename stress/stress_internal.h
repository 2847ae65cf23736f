/* stress_internal.h - what the stress driver's files share (the stress_*.c files), not
 * its drivers: see stress_core.h for those. One concern per file:
 *
 *   stress_core.c      set-up, the first failure, stop, the figures
 *   stress_tags.c      the tags written over every block and their check
 *   stress_workers.c   the workers: random operations, hand-offs, parking
 *   stress_oracle.c    bad inputs and the exact answers smpheap promises
 *   stress_accounts.c  the books at quiescent points and the final emptying
 *   stress_hotplug.c   cores down, swept and up, with their bank figures */
#ifndef SMPHEAP_STRESS_INTERNAL_H
#define SMPHEAP_STRESS_INTERNAL_H

#include "stress_core.h"

static inline size_t ld(const atomic_size_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* Counters have a single writer, so a load and a store suffice: no locked
 * read-modify-write in the measured loop, and readers still see whole values. */
static inline void bump(atomic_size_t *a, size_t d)
{
	atomic_store_explicit(a, ld(a) + d, memory_order_relaxed);
}

/* The k-th 16-bit field of r scaled to [0, n) (bench/common/rng.h). */
static inline uint32_t sub(uint64_t r, unsigned k, uint32_t n)
{
	return rng_field(r, k, n);
}

static inline bool failed(const struct stress *s)
{
	return atomic_load_explicit(&s->failed, memory_order_relaxed) != 0;
}

static inline bool is_smpheap(const struct stress *s)
{
	return s->st->heap != NULL;
}

/* A worker that has done its operations idles parked (still answering
 * core-down requests) until the run stops. */
static inline bool finished(const struct stress_worker *w)
{
	return w->s->cfg.max_ops && w->op >= w->s->cfg.max_ops;
}

/* SYS memory comes back only when its core goes down (smpheap, and peers
 * that model it); otherwise SYS blocks are freed like any other. */
static inline bool sys_kept(const struct stress *s)
{
	return s->st->heap != NULL || s->st->ops->sys_reset != NULL;
}

static inline enum strat_kind kind_of(enum smpheap_zone zone)
{
	return zone == SMPHEAP_ZONE_SYS	      ? STRAT_SYS
	       : zone == SMPHEAP_ZONE_RUNTIME ? STRAT_RUNTIME
					      : STRAT_BUFFER;
}

static inline int st_free(struct stress *s, void *tctx, void *p, enum smpheap_zone zone)
{
	return s->st->ops->free(s->st, tctx, p, kind_of(zone));
}

static inline bool core_is_down(const struct stress *s, unsigned core)
{
	return atomic_load_explicit(&s->down_req[core % SMPHEAP_MAX_CORES], memory_order_relaxed) !=
	       0;
}

/* Records the run's first failure (the rest of the run stops at it). */
void stress_fail(struct stress *s, int worker, uint64_t op, const char *what, const void *ptr,
		 size_t len, size_t offset, uint64_t expected, uint64_t got);

/* Checks a whole block's tag; on damage records the failure, returns false. */
bool stress_check_block(struct stress *s, int worker, uint64_t op, const struct stress_block *b,
			const char *what);

/* One bad input for smpheap and the check of its answer (stress_oracle.c). */
void stress_op_bad(struct stress_worker *w, uint64_t r1, uint64_t r2);

/* Controller: waits until the workers of `core` (all if core < 0) are parked
 * and, for a core going down, have handled generation `gen`. 0, or -1 once
 * the run stops. */
int stress_wait_parked(struct stress *s, int core, unsigned gen);

/* Controller, before it parks anyone: waits until every worker released
 * since its last park has done an operation (see stress_workers.c). 0, or -1
 * once the run stops. */
int stress_wait_progress(struct stress *s);

/* Controller, just before it releases the workers of `core` (all if
 * core < 0): notes where they stand, for stress_wait_progress(). */
void stress_note_release(struct stress *s, int core);

/* smpheap's heap-wide bank figures: banks released now, and releases ever. */
void stress_bank_figures(struct stress *s, size_t *released, size_t *count);

/* Whether the controller has taken `core` down. */
bool stress_is_down(const struct stress *s, unsigned core);

#endif
