/* relacy_system_one_context.cpp - the system heap's bump under a platform's
 * declaration of one allocating context per core (lib/internal.h,
 * SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE; README, Speed), under Relacy.
 *
 * There the offset moves with a relaxed load and store, no CAS: the core's
 * one context is its only writer, and core_down's reset (the controller's
 * exchange) runs only while the core is parked. One core's system heap of
 * 128 bytes. Thread 0 is the core's context: two allocations, then it parks
 * (a release store the controller reads with acquire, as a platform's park
 * handshake). Thread 1 is the controller: if it sees the core parked it
 * takes the core down (smph_sys_reset()). Thread 2 does nothing.
 *
 * Checked as in relacy_system.cpp: no two allocations overlap, each lies
 * inside the heap, every allocation ends at or below the offset the reset
 * took, and a reset heap ends down at offset 0 (no store of the core landed
 * after the reset).
 *
 * The weakened build (SMPH_MODEL_WEAKEN="second_context") breaks the
 * declaration instead of an order: thread 2 is a second context of the same
 * core (an interrupt handler, say) allocating too, and Relacy must find the
 * lost update: two allocations on the same bytes.
 */
#include "system_model.h"

struct one_context_test : rl::test_suite<one_context_test, THREADS> {
	struct smph_sys sys[1];
	struct smpheap heap;
	rl::var<int> owner[GRANULES];	       /* thread + 1, 0 while unallocated */
	uintptr_t got_end[ALLOCATORS][ALLOCS]; /* end of each allocation, 0: failed */
	rl::atomic<int> parked;		       /* the core's park handshake */
	size_t reset_offset;
	bool reset;

	void before()
	{
		heap.cores = 1;
		heap.one_context = true;
		heap.sys = sys;
		sys[0].base = HEAP_BASE;
		sys[0].size = HEAP_BYTES;
		sys[0].state.store(0, rl::mo_relaxed, $);
		parked.store(0, rl::mo_relaxed, $);
		reset = false;
		reset_offset = 0;
		for (int g = 0; g < GRANULES; g++)
			owner[g]($) = 0;
		for (int t = 0; t < ALLOCATORS; t++)
			for (int k = 0; k < ALLOCS; k++)
				got_end[t][k] = 0;
	}

	void allocate(unsigned t, int k, size_t size)
	{
		got_end[t][k] = model_sys_allocate(&heap, owner, t, size);
	}

	void thread(unsigned t)
	{
		if (t == 0) {
			allocate(0, 0, 16);
			allocate(0, 1, 32);
			/* Release: the core's heap calls are done before it is
			 * seen parked. */
			parked.store(1, rl::mo_release, $);
		} else if (t == 1) {
			/* Acquire: pairs with the park; core_down's contract. */
			if (parked.load(rl::mo_acquire, $)) {
				reset_offset = smph_sys_reset(&sys[0]);
				reset = true;
			}
		} else if (smph_model_weakens("second_context")) {
			allocate(1, 0, 16);
			allocate(1, 1, 32);
		}
	}

	void after()
	{
		if (!reset)
			return;
		RL_ASSERT(sys[0].state.load(rl::mo_relaxed, $) == SMPH_SYS_DOWN);
		for (int t = 0; t < ALLOCATORS; t++)
			for (int k = 0; k < ALLOCS; k++)
				RL_ASSERT(got_end[t][k] <= reset_offset);
	}
};

int main(int argc, char **argv)
{
	return smph_model_main<one_context_test>("relacy_system_one_context", argc, argv);
}
