/* relacy_buffer.cpp - buffer runs (lib/buffer.c over lib/pool.c and
 * lib/bitmap.c) under Relacy.
 *
 * One region of 128 pages (two 64-bit words). Before the threads start,
 * thread 1 holds run A = pages [0, 64) (the whole first word) and thread 2
 * holds run B = [64, 72). Then, concurrently:
 *   thread 0  allocates 66 pages: longer than a word, so the general search
 *             claims its run word by word and rolls back on a conflict;
 *             frees it if it got one;
 *   thread 1  frees A;
 *   thread 2  frees B, then allocates 8 pages (one-word claim, first fit)
 *             and frees them.
 * Thread 0 can claim the first word and then find thread 2 holding the
 * second, so its rollback races thread 2's claim and the releases.
 *
 * Checked: no page is ever owned twice (each page's owner is a Relacy
 * variable: a claim that does not see the previous owner's writes is a data
 * race, a double claim fails the assertion), every allocation that succeeds
 * is the size asked, and at the end every page is free and every page table
 * entry is NONE again.
 *
 * Weakened (SMPH_MODEL_WEAKEN="claim_run"): the word-by-word claim's CAS is
 * relaxed instead of acquire, so the new owner's writes race the previous
 * owner's, which its release OR published.
 */
#include "model.h"

#include "../../lib/bitmap.c"
#include "../../lib/buffer.c"
#include "../../lib/pool.c"

/* The pool's bank hooks: never reached here (no bank is ever swept off). */
void smph_platform_synchronize(void)
{
	RL_ASSERT(false);
}
void smph_platform_bank_power(void *, size_t, bool)
{
	RL_ASSERT(false);
}

enum { PAGES = 128, WORDS = PAGES / 64, PAGE_SHIFT = 12, THREADS = 3 };
static const uintptr_t REGION_BASE = (uintptr_t)1 << 30; /* never dereferenced */

struct buffer_test : rl::test_suite<buffer_test, THREADS> {
	smph_aword_t free_map[WORDS];
	SMPH_ATOMIC(uint32_t) pt_map[PAGES];
	struct smpheap heap;
	rl::var<int> owner[PAGES]; /* thread + 1, 0 while free */
	void *held[THREADS];	   /* each thread's run; before() sets 1 and 2 */
	uint32_t held_pages[THREADS];

	void before()
	{
		RL_ASSERT(SMPH_WORD_BITS == 64);
		heap.page_shift = PAGE_SHIFT;
		heap.region_count = 1;
		heap.pool_base = REGION_BASE;
		heap.pool_pages = PAGES;
		heap.pool_bytes = (uintptr_t)PAGES << PAGE_SHIFT;
		heap.regions[0].base = REGION_BASE;
		heap.regions[0].first = 0;
		heap.regions[0].pages = PAGES;
		heap.regions[0].caps = SMPHEAP_CAP_DMA;
		heap.regions[0].zones = SMPHEAP_POOL_BUFFER;
		smph_pool_order(&heap);
		heap.pfree = free_map;
		heap.pt = pt_map;
		for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++)
			heap.quota[z] = 0;
		heap.banks_off.store(0, rl::mo_relaxed, $);
		for (int w = 0; w < WORDS; w++)
			free_map[w].store(SMPH_WORD_ONES, rl::mo_relaxed, $);
		for (int p = 0; p < PAGES; p++) {
			pt_map[p].store(SMPH_PT_NONE, rl::mo_relaxed, $);
			owner[p]($) = 0;
		}
		held[0] = NULL;
		RL_ASSERT(take(1, 64) && held[1] == (void *)REGION_BASE);
		RL_ASSERT(take(2, 8) && held[2] == (void *)(REGION_BASE + (64u << PAGE_SHIFT)));
	}

	/* Allocates n pages for thread t and marks them its own. */
	bool take(int t, uint32_t n)
	{
		size_t bytes = 0;
		void *p = smph_buffer_alloc(&heap, SMPHEAP_CAP_DMA, (size_t)n << PAGE_SHIFT, 1,
					    NULL, &bytes);
		uint32_t first;

		if (!p)
			return false;
		RL_ASSERT(bytes == (size_t)n << PAGE_SHIFT);
		first = (uint32_t)(((uintptr_t)p - REGION_BASE) >> PAGE_SHIFT);
		RL_ASSERT(first + n <= PAGES);
		for (uint32_t i = first; i < first + n; i++) {
			RL_ASSERT(owner[i]($) == 0);
			owner[i]($) = t + 1;
		}
		held[t] = p;
		held_pages[t] = n;
		return true;
	}

	void give(int t)
	{
		uint32_t first = (uint32_t)(((uintptr_t)held[t] - REGION_BASE) >> PAGE_SHIFT);
		size_t bytes = 0;

		for (uint32_t i = first; i < first + held_pages[t]; i++) {
			RL_ASSERT(owner[i]($) == t + 1);
			owner[i]($) = 0;
		}
		RL_ASSERT(smph_buffer_free(&heap, first, &bytes) == 0);
		RL_ASSERT(bytes == (size_t)held_pages[t] << PAGE_SHIFT);
		held[t] = NULL;
	}

	void thread(unsigned t)
	{
		switch (t) {
		case 0:
			if (take(0, 66))
				give(0);
			break;
		case 1:
			give(1);
			break;
		default:
			give(2);
			if (take(2, 8))
				give(2);
			break;
		}
	}

	void after()
	{
		RL_ASSERT(smph_bits_count(free_map, 0, PAGES) == PAGES);
		for (int p = 0; p < PAGES; p++)
			RL_ASSERT(pt_map[p].load(rl::mo_relaxed, $) == SMPH_PT_NONE);
	}
};

int main(int argc, char **argv)
{
	return smph_model_main<buffer_test>("relacy_buffer", argc, argv);
}
