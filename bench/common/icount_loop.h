/* icount_loop.h - the suite's one instruction-count loop: N operations
 * through an allocator, timed or counted around the loop by the caller
 * (callgrind on the host: bench/callgrind/icount.c; CCOUNT on Xtensa:
 * bench/xtensa/bench_main.c), minus the same loop around a stand-in whose
 * operations do nothing. The calls go through function pointers the
 * compiler cannot see through in both loops, so the two compile to the same
 * code and the difference is the allocator's own instructions (call and
 * return included, loop excluded).
 *
 * Two kinds of loop:
 *   - through the strategy interface (any strategy; the null strategy is
 *     the stand-in);
 *   - through smpheap's own API (smpheap_alloc/smpheap_free through volatile
 *     function pointers; icount_direct_use(false) swaps in empty functions
 *     of the same shape). */
#ifndef BENCH_COMMON_ICOUNT_LOOP_H
#define BENCH_COMMON_ICOUNT_LOOP_H

#include <stdbool.h>
#include <stddef.h>

#include "smpheap/smpheap.h"
#include "strategy.h"

/* A strategy whose alloc returns a pointer without allocating and whose
 * free does nothing: the baseline of the strategy loops. */
void icount_null_strategy_init(struct strategy *s);

/* n allocations of `size` bytes of kind k (no frees: the SYS figure). */
void icount_strategy_allocs(struct strategy *s, void *t, size_t size, enum strat_kind k,
			    unsigned n);
/* n allocation-and-free pairs of `size` bytes of kind k. */
void icount_strategy_pairs(struct strategy *s, void *t, size_t size, enum strat_kind k, unsigned n);

/* The direct loops call smpheap's API as smpheap.h inlines it (real) or
 * empty stand-ins of the same calls (the baseline). */
void icount_direct_use(bool real);
/* n smpheap_alloc(h, z, 0, size) (no frees). */
void icount_direct_allocs(struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n);
/* n smpheap_alloc(h, z, 0, size) + smpheap_free pairs. */
void icount_direct_pairs(struct smpheap *h, enum smpheap_zone z, size_t size, unsigned n);

#endif
