/* relacy_tcache.cpp - the word-claim cache (lib/tcache.c and tcache.h, and
 * the runtime free of lib/runtime.h) on the slab design, under Relacy.
 *
 * One pool page, one slab of class 0 at page 0: four 64-byte blocks, one
 * slab word, one `remote` and one `cached` word. The slab is the core's
 * current slab and carries its PIN mark, so it is never retired here (the
 * retire protocol is tests/model/slab.pml's); the pool has no other page, so
 * a refill that cannot hold the slab finds nothing and takes no block.
 *
 * Before the threads start, thread 0 (slot 0) takes the slab's word into its
 * cache (HELD, REMOTE_HELD) and hands out blocks 0, 1 and 2: it keeps block
 * 0, thread 1 gets block 1, thread 2 block 2; block 3 stays in the cache.
 *
 * double_free: the holder frees block 0 into its cache and gives the word
 * back; thread 1 frees block 1 (remote, into `remote` or, once the give-back
 * came, into the word) and then block 0 again, racing the holder's free and
 * give-back; thread 2 frees block 2.
 * take: the holder frees block 0 and gives back; thread 1 frees block 1;
 * thread 2 takes the word into its own cache (racing the give-back and the
 * remote free), frees block 2, then what it took, and gives its word back.
 * empty_word: every block is out and the word unheld; thread 1 frees block
 * 1 while thread 2's refill holds the word, may find it empty and gives it
 * back: a remote free that saw the word held must not stay in `remote`.
 *
 * Checked: no block has two owners (owners are Relacy variables, so a take
 * that does not see the previous owner's writes is a data race); the frees
 * that returned 0, less the double frees the give-backs counted later, are
 * exactly the legal ones; at the end every free block is in the slab word,
 * which is live, PINned and not HELD, and no `remote` (nor its REMOTE_HELD
 * flag) or `cached` bit is left.
 *
 * Weakened (SMPH_MODEL_WEAKEN="new_holder"): the two acquires by which a new
 * holder learns what happened to the word before it took it (the HELD mark's
 * CAS and the take's CAS, lib/bitmap.c) are relaxed, and the new holder's
 * use of a block races the previous owner's.
 */
#include "model.h"

#include "../../lib/bitmap.c"
#include "../../lib/pool.c"
#include "../../lib/runtime.c"
#include "../../lib/tcache.c"
#include "one_slab.h"

enum { BLOCKS = 4, BLOCK = ONE_SLAB_BLOCK, THREADS = 3 };

/* Where the give-backs report the double frees they find (stats.c counts
 * them in a real build); each suite's before() points it at its own. */
static rl::atomic<unsigned> *late_double_frees;
void smph_count_late_double_frees(struct smpheap *h, unsigned n, size_t block_size)
{
	(void)h;
	(void)block_size;
	late_double_frees->fetch_add(n, rl::mo_relaxed, $);
}

/* The heap the suites share: its setup, the threads' frees and the final
 * checks. */
template <class T> struct cache_model : rl::test_suite<T, THREADS> {
	struct one_slab m;
	struct smpheap &heap = m.heap;
	struct smph_tcache slot[THREADS];
	rl::atomic<unsigned> late;
	rl::var<int> owner[BLOCKS]; /* thread + 1, 0 while free */
	uintptr_t held[THREADS];    /* the block each thread owns */
	int accepted_by[THREADS];   /* frees that returned 0, by each thread */

	/* The slab at page 0, core 0's current, its word taken by thread 0,
	 * which hands out blocks 0, 1 and 2 to threads 0, 1 and 2. */
	void setup()
	{
		struct smph_class_geom *g = &heap.geom[0];
		size_t block = 0;

		/* The slab is cut, all free, and the core's pinned current. */
		m.setup(BLOCKS, 64, smph_bit(BLOCKS) | (smph_bit(BLOCKS) - 1) | SMPH_SLAB_PIN,
			SMPH_CUR_PINNED, 0);
		heap.tcache = slot;
		heap.tcache_slots = THREADS;
		for (int t = 0; t < THREADS; t++) {
			struct smph_tcache_class *c = &slot[t].cls[0];

			slot[t].core.store(SMPH_NO_CORE, rl::mo_relaxed, $);
			c->bits = 0;
			c->base = heap.end;
			c->cached = c->leafword = c->remote = NULL;
			c->geom = g;
			c->span = 0;
			c->leaf = SMPH_NO_BIT;
			c->held = 0;
			slot[t].last = c;
			accepted_by[t] = 0;
		}
		late.store(0, rl::mo_relaxed, $);
		late_double_frees = &late;
		for (int b = 0; b < BLOCKS; b++)
			owner[b]($) = 0;
		take(0, smph_tcache_refill(&heap, &slot[0], 0, 0, &block));
		RL_ASSERT(block == BLOCK && held[0] == POOL_BASE);
		take(1, smph_tcache_pop(&slot[0].cls[0], BLOCK));
		take(2, smph_tcache_pop(&slot[0].cls[0], BLOCK));
	}

	/* Block p is now thread t's. */
	void take(unsigned t, void *p)
	{
		uint32_t b = (uint32_t)(((uintptr_t)p - POOL_BASE) / BLOCK);

		RL_ASSERT(p && b < BLOCKS);
		RL_ASSERT(owner[b]($) == 0);
		owner[b]($) = (int)t + 1;
		held[t] = (uintptr_t)p;
	}

	/* smpheap_free()'s runtime path for thread t (alloc.c): its own cache
	 * first, else the slab. 1 if the free returned 0. */
	int free_block(unsigned t, uintptr_t p)
	{
		uint32_t idx = (uint32_t)((p - POOL_BASE) / BLOCK);

		if (smph_tcache_push(&slot[t].cls[0], p))
			return 1;
		return smph_runtime_free(&heap, 0, 0, idx, p) == 0;
	}

	/* Thread t frees the block it owns; 1 if that returned 0. */
	int give(unsigned t)
	{
		uint32_t b = (uint32_t)((held[t] - POOL_BASE) / BLOCK);

		RL_ASSERT(owner[b]($) == (int)t + 1);
		owner[b]($) = 0;
		return free_block(t, held[t]);
	}

	/* Every thread is done: `frees` legal frees returned 0, double frees
	 * were counted (at once or later), `free_blocks` are in the word. */
	void check_end(int frees, uint32_t free_blocks)
	{
		const struct smph_class_geom *g = &heap.geom[0];
		int accepted = accepted_by[0] + accepted_by[1] + accepted_by[2];
		smph_word_t w = m.slab_word[0].load(rl::mo_relaxed, $);

		RL_ASSERT(accepted - (int)late.load(rl::mo_relaxed, $) == frees);
		RL_ASSERT((w & ~g->full) == (g->live | SMPH_SLAB_PIN));
		RL_ASSERT((uint32_t)smph_popcount(w & g->full) == free_blocks);
		RL_ASSERT(m.remote[0].load(rl::mo_relaxed, $) == 0);
		RL_ASSERT(m.cached[0].load(rl::mo_relaxed, $) == 0);
		for (int t = 0; t < THREADS; t++)
			RL_ASSERT(slot[t].cls[0].leaf == SMPH_NO_BIT);
	}
};

/* The holder frees block 0 and gives its word back; thread 1 frees block
 * 1 and then block 0 again (a double free racing the holder's free);
 * thread 2 frees block 2. Block 0 is never handed out again meanwhile, so
 * the double free must be caught, at once or by the give-back. */
struct double_free_test : cache_model<double_free_test> {
	void before()
	{
		setup();
	}

	void thread(unsigned t)
	{
		accepted_by[t] += give(t);
		if (t == 0)
			smph_tcache_flush(&heap, &slot[0]);
		if (t == 1)
			accepted_by[1] += free_block(1, POOL_BASE);
	}

	void after()
	{
		check_end(3, BLOCKS);
	}
};

/* The holder frees block 0 and gives its word back; thread 1 frees block
 * 1; thread 2 takes the word into its own cache (racing the give-back and
 * the remote free), frees block 2, then what it took, and gives its word
 * back. */
struct take_test : cache_model<take_test> {
	void before()
	{
		setup();
	}

	void thread(unsigned t)
	{
		size_t block = 0;
		void *p = NULL;

		if (t == 2)
			p = smph_tcache_refill(&heap, &slot[2], 0, 0, &block);
		accepted_by[t] += give(t);
		if (p) {
			take(2, p);
			RL_ASSERT(give(2)); /* not counted: not one of the three */
		}
		if (t != 1)
			smph_tcache_flush(&heap, &slot[t]);
	}

	void after()
	{
		check_end(3, BLOCKS);
	}
};

/* Every block out and the word unheld; thread 1 frees block 1 while thread
 * 2's refill holds the word (empty, or with block 1 in it). */
struct empty_word_test : cache_model<empty_word_test> {
	void before()
	{
		setup();
		RL_ASSERT(smph_tcache_pop(&slot[0].cls[0], BLOCK) ==
			  (void *)(POOL_BASE + 3 * BLOCK));
		smph_tcache_flush(&heap, &slot[0]); /* the word, empty, given back */
	}

	void thread(unsigned t)
	{
		size_t block = 0;
		void *p;

		switch (t) {
		case 1:
			accepted_by[1] = give(1);
			break;
		case 2:
			p = smph_tcache_refill(&heap, &slot[2], 0, 0, &block);
			if (p) {
				take(2, p); /* block 1, freed first */
				RL_ASSERT(give(2));
			}
			smph_tcache_flush(&heap, &slot[2]);
			break;
		default:
			break;
		}
	}

	void after()
	{
		check_end(1, 1);
	}
};

int main(int argc, char **argv)
{
	return smph_model_status(
	    {smph_model_main<double_free_test>("relacy_tcache double_free", argc, argv),
	     smph_model_main<take_test>("relacy_tcache take", argc, argv),
	     smph_model_main<empty_word_test>("relacy_tcache empty_word", argc, argv)});
}
