/* relacy_system.cpp - the system heap's bump CAS (lib/system.c) against
 * core_down's reset, under Relacy.
 *
 * One core's system heap of 128 bytes. Threads 0 and 1 both allocate as
 * that core (a thread and an interrupt handler on it), two allocations each;
 * thread 2 is the controller taking the core down: smph_sys_reset(), the
 * exchange core_down does.
 *
 * Checked: no two allocations overlap (each 16-byte granule's owner is a
 * Relacy variable: a double owner fails the assertion), each lies inside
 * the heap, every allocation that succeeded ends at or below the offset the
 * reset took (none landed in the heap being reset), and once all is done the
 * heap is down at offset 0.
 *
 * Every order here is relaxed: the protocol rests on the atomicity of one
 * read-modify-write on one word, not on ordering. So the weakened build
 * (SMPH_MODEL_WEAKEN="rmw_atomicity") takes that away instead: each CAS
 * becomes a load, a compare and a store, and Relacy must find the overlap
 * or the allocation that survives the reset.
 */
#include "system_model.h"

struct system_test : rl::test_suite<system_test, THREADS> {
	struct smph_sys sys[1];
	struct smpheap heap;
	rl::var<int> owner[GRANULES];	       /* thread + 1, 0 while unallocated */
	uintptr_t got_end[ALLOCATORS][ALLOCS]; /* end of each allocation, 0: failed */
	size_t reset_offset;

	void before()
	{
		heap.cores = 1;
		heap.sys = sys;
		sys[0].base = HEAP_BASE;
		sys[0].size = HEAP_BYTES;
		sys[0].state.store(0, rl::mo_relaxed, $);
		for (int g = 0; g < GRANULES; g++)
			owner[g]($) = 0;
	}

	void allocate(unsigned t, int k, size_t size)
	{
		got_end[t][k] = model_sys_allocate(&heap, owner, t, size);
	}

	void thread(unsigned t)
	{
		if (t < ALLOCATORS) {
			allocate(t, 0, 16);
			allocate(t, 1, 32);
		} else {
			reset_offset = smph_sys_reset(&sys[0]);
		}
	}

	void after()
	{
		RL_ASSERT(sys[0].state.load(rl::mo_relaxed, $) == SMPH_SYS_DOWN);
		for (int t = 0; t < ALLOCATORS; t++)
			for (int k = 0; k < ALLOCS; k++)
				RL_ASSERT(got_end[t][k] <= reset_offset);
	}
};

int main(int argc, char **argv)
{
	return smph_model_main<system_test>("relacy_system", argc, argv);
}
