/* system_model.h - what the two system-zone models (relacy_system.cpp,
 * relacy_system_one_context.cpp) share: one core's system heap of 128
 * bytes, and the check of one allocation from it: it lies inside the heap
 * and none of its 16-byte granules was handed out before (each granule's
 * owner is a Relacy variable, so a double owner fails the assertion). */
#ifndef SMPH_SYSTEM_MODEL_H
#define SMPH_SYSTEM_MODEL_H

#include "model.h"

#include "../../lib/system.c"

enum { HEAP_BYTES = 128, GRANULE = 16, GRANULES = HEAP_BYTES / GRANULE, THREADS = 3 };
enum { ALLOCATORS = 2, ALLOCS = 2 };
static const uintptr_t HEAP_BASE = (uintptr_t)1 << 30; /* never dereferenced */

/* One allocation of `size` bytes by thread t from core 0's system heap,
 * checked and recorded in owner[]: the end of the block (an offset into
 * the heap), or 0 if it failed. */
static uintptr_t model_sys_allocate(struct smpheap *heap, rl::var<int> (&owner)[GRANULES],
				    unsigned t, size_t size)
{
	uintptr_t p = (uintptr_t)smph_sys_alloc(heap, 0, size, GRANULE);

	if (!p)
		return 0;
	RL_ASSERT(p >= HEAP_BASE && p + size <= HEAP_BASE + HEAP_BYTES);
	for (uintptr_t g = (p - HEAP_BASE) / GRANULE; g < (p + size - HEAP_BASE) / GRANULE; g++) {
		RL_ASSERT(owner[g]($) == 0);
		owner[g]($) = (int)t + 1;
	}
	return p + size - HEAP_BASE;
}

#endif
