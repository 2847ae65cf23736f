/* relacy_bitmap2.cpp - the two-level bitmap (lib/bitmap.c) under Relacy.
 *
 * Three blocks in one leaf word. Before the threads start, A and B are held
 * (by threads 1 and 2) and C is free. Then, concurrently:
 *   thread 0  claims a block (fast path), uses it, releases it;
 *   thread 1  releases A, claims a block (full search), uses it, releases it;
 *   thread 2  releases B.
 * The claims empty the leaf while the releases refill it, so the summary
 * clear and its re-read race the releases' summary OR.
 *
 * Checked: no block has two owners (each block's owner is a Relacy variable,
 * so a claim that does not see its previous owner's writes is a data race,
 * and a double claim fails the assertion), and once every thread is done the
 * bitmap's invariant holds (smph_bitmap2_check: no free block without its
 * summary bit) and all three blocks can be claimed again.
 *
 * Weakened (SMPH_MODEL_WEAKEN="summary_clear"): the summary clear's AND is
 * release instead of acq_rel, so its re-read of the leaf may miss a release
 * whose summary OR it erased, hiding a free block.
 */
#include "model.h"

#include "../../lib/bitmap.c"

enum { BLOCKS = 3, HOLDERS = 3 };

struct bitmap2_test : rl::test_suite<bitmap2_test, HOLDERS> {
	smph_aword_t storage[2]; /* smph_bitmap2_words(BLOCKS) */
	struct smph_bitmap2 bm;
	rl::var<int> owner[BLOCKS]; /* thread + 1, 0 while free */
	uint32_t held[HOLDERS];	    /* set in before(), read by its thread only */

	void before()
	{
		RL_ASSERT(smph_bitmap2_words(BLOCKS) == 2);
		smph_bitmap2_init(&bm, storage, BLOCKS);
		for (int b = 0; b < BLOCKS; b++)
			owner[b]($) = 0;
		held[0] = SMPH_NO_BIT;
		for (int t = 1; t < HOLDERS; t++)
			take(t, smph_bitmap2_claim(&bm));
	}

	void take(int t, uint32_t b)
	{
		RL_ASSERT(b < BLOCKS);
		RL_ASSERT(owner[b]($) == 0);
		owner[b]($) = t + 1;
		held[t] = b;
	}

	void give(int t)
	{
		uint32_t b = held[t];

		RL_ASSERT(owner[b]($) == t + 1);
		owner[b]($) = 0;
		held[t] = SMPH_NO_BIT;
		RL_ASSERT(smph_bitmap2_release(&bm, b) == 0);
	}

	void thread(unsigned t)
	{
		uint32_t b;

		switch (t) {
		case 0:
			b = smph_bitmap2_claim_fast(&bm);
			if (b != SMPH_NO_BIT) {
				take(0, b);
				give(0);
			}
			break;
		case 1:
			give(1);
			b = smph_bitmap2_claim(&bm);
			if (b != SMPH_NO_BIT) {
				take(1, b);
				give(1);
			}
			break;
		default:
			give(2);
			break;
		}
	}

	void after()
	{
		RL_ASSERT(smph_bitmap2_check(&bm) == 0);
		RL_ASSERT(smph_bitmap2_count_free(&bm) == BLOCKS);
		for (int b = 0; b < BLOCKS; b++)
			RL_ASSERT(smph_bitmap2_claim(&bm) != SMPH_NO_BIT);
		RL_ASSERT(smph_bitmap2_claim(&bm) == SMPH_NO_BIT);
	}
};

int main(int argc, char **argv)
{
	return smph_model_main<bitmap2_test>("relacy_bitmap2", argc, argv);
}
