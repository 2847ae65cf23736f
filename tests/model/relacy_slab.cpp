/* relacy_slab.cpp - the runtime zone's retire protocol (lib/runtime.c over
 * lib/pool.c, lib/bitmap.c, and a buffer run from lib/buffer.c taking the
 * retired pages) under Relacy.
 *
 * One pool page, one slab of class 0 at page 0 with two 64-byte blocks, no
 * cache. Before the threads start, thread 1 owns block 0 and thread 2 block
 * 1: the word is live with no free block, unmarked, and still core 0's
 * current (a stale hint: nothing pins it). Then:
 *   thread 0  claims from the core's current slab (a claimer that may find
 *             the slab retired, or take a block and free it again), then
 *             asks for a one-page buffer run (the retired slab's page, if
 *             the retire came first) and frees it;
 *   threads 1 and 2  free their blocks: the one whose free makes the slab
 *             all free retires it (word to 0, hint dropped, entries reset,
 *             page back to the pool).
 *
 * Checked: no block (nor the run's page) has two owners at once, and every
 * owner's writes happen before the next owner's (owners are Relacy
 * variables: a run taker that does not see the last block owner's writes is
 * a data race); at the end the slab is retired (word 0), its page free in
 * the pool and its entry NONE.
 *
 * Weakened (SMPH_MODEL_WEAKEN="slab_retire"): the retire CAS's acq_rel is
 * relaxed, so the other block's last writes are not behind the pages the
 * retirer hands to the pool, and the run taker's writes race them.
 */
#include "model.h"

#include "../../lib/bitmap.c"
#include "../../lib/buffer.c"
#include "../../lib/pool.c"
#include "../../lib/runtime.c"
#include "../../lib/tcache.c"
#include "one_slab.h"

/* No cache here: nothing is ever counted late. */
void smph_count_late_double_frees(struct smpheap *, unsigned, size_t)
{
	RL_ASSERT(false);
}

enum { BLOCKS = 2, BLOCK = ONE_SLAB_BLOCK, PAGE_SHIFT = ONE_SLAB_PAGE_SHIFT, THREADS = 3 };

struct slab_test : rl::test_suite<slab_test, THREADS> {
	struct one_slab m;
	struct smpheap &heap = m.heap;
	rl::var<int> owner[BLOCKS]; /* thread + 1, 0 while free; the run owns both */

	void before()
	{
		/* The slab is cut, both its blocks out, and it is still the
		 * core's (unpinned) current. */
		m.setup(BLOCKS, 0, smph_bit(BLOCKS), 0, SMPHEAP_POOL_BUFFER);
		owner[0]($) = 2;
		owner[1]($) = 3;
	}

	/* Thread t frees block b it owns. */
	void give(unsigned t, uint32_t b)
	{
		RL_ASSERT(owner[b]($) == (int)t + 1);
		owner[b]($) = 0;
		RL_ASSERT(smph_runtime_free(&heap, 0, 0, b, POOL_BASE + b * BLOCK) == 0);
	}

	void thread(unsigned t)
	{
		if (t == 0) {
			void *p = smph_runtime_claim_current(&heap, 0, 0);
			size_t bytes = 0;

			if (p) {
				uint32_t b = (uint32_t)(((uintptr_t)p - POOL_BASE) / BLOCK);

				RL_ASSERT(b < BLOCKS && owner[b]($) == 0);
				owner[b]($) = 1;
				give(0, b);
			}
			p = smph_buffer_alloc(&heap, SMPHEAP_CAP_DMA, (size_t)1 << PAGE_SHIFT, 1,
					      NULL, &bytes);
			if (p) {
				RL_ASSERT(p == (void *)POOL_BASE);
				for (int b = 0; b < BLOCKS; b++) {
					RL_ASSERT(owner[b]($) == 0);
					owner[b]($) = 1;
				}
				for (int b = 0; b < BLOCKS; b++)
					owner[b]($) = 0;
				RL_ASSERT(smph_buffer_free(&heap, 0, &bytes) == 0);
			}
			return;
		}
		give(t, t - 1);
	}

	void after()
	{
		uint32_t e = m.pt_map[0].load(rl::mo_relaxed, $);

		RL_ASSERT(m.slab_word[0].load(rl::mo_relaxed, $) == 0);
		RL_ASSERT(m.free_map[0].load(rl::mo_relaxed, $) == 1);
		RL_ASSERT(e == SMPH_PT_NONE || e == SMPH_PT_NONE_WAS_SLAB);
	}
};

int main(int argc, char **argv)
{
	return smph_model_main<slab_test>("relacy_slab", argc, argv);
}
