/* example_strategy.h - the example allocator as a strategy (bare metal). */
#ifndef BENCH_EXAMPLES_EXAMPLE_STRATEGY_H
#define BENCH_EXAMPLES_EXAMPLE_STRATEGY_H

#include <stddef.h>

#include "strategy.h"

/* "example" over `len` bytes at `mem` (16-aligned); 0, or -1 if too few.
 * One instance: a second call starts it afresh. */
int example_strategy_init(struct strategy *s, void *mem, size_t len);

#endif
