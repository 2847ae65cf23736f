/* tcache.c - the word-claim cache's slow paths: taking a word, giving it
 * back, and other threads' frees into a held word. (The registry that lets
 * a thread find the heaps it cached from is registry.c.) */
#include "tcache.h"

/* Moves the bits of `remote` (other threads' frees into a word that is or
 * was held) into the leaf. Returns the double frees found: bits already
 * free in the leaf. */
static smph_word_t drain_remote(struct smph_shard *s, unsigned k, uint32_t li)
{
	/* seq_cst: against the remote free's OR and its re-read of the holder
	 * bit (smph_tcache_free_remote): either we take its bit or it sees
	 * the word unheld and moves the bit itself. */
	smph_word_t rem = smph_exchange(&s->remote[k][li], 0, smph_seq_cst);

	return rem ? smph_bitmap2_release_word(&s->bm[k], li << SMPH_WORD_SHIFT, rem) : 0;
}

/* Lets word li of class k go: clears its holder bit, then moves on what
 * other threads freed into its `remote` meanwhile. Returns the double frees
 * found (see drain_remote()). */
static smph_word_t let_go(struct smph_shard *s, unsigned k, uint32_t li)
{
	/* Release: the next holder sees our last store to cached[leaf].
	 * seq_cst: a remote free that finds the word unheld after its OR moves
	 * its bit itself; one that does not is taken by the drain after. */
	smph_bit_test_and_clear(s->holder[k], li, smph_seq_cst);
	return drain_remote(s, k, li);
}

/* Gives back the word held for class k: the blocks free in it, and those
 * other threads freed into its `remote`, go back into the shard's leaf, and
 * the word can be held by another thread. A block both in the cache and in
 * `remote`, or already in the leaf, was freed twice: counted now. */
static void give_back(struct smpheap *h, struct smph_shard *s, unsigned k,
		      struct smph_tcache_class *c)
{
	uint32_t li = c->leaf;
	smph_word_t rem, back, dbl;

	if (li == SMPH_NO_BIT)
		return;
	/* cached[] first: a legal free of a block handed out again from the
	 * leaf must never be refused as cached. A double free that slips in
	 * between sees the block neither cached nor free, goes to `remote`
	 * (the word is still held), and is counted by the drain below.
	 * Relaxed: ordered before the release OR below. */
	smph_store(&s->cached[k][li], 0, smph_relaxed);
	/* seq_cst: as in drain_remote(). */
	rem = smph_exchange(&s->remote[k][li], 0, smph_seq_cst);
	dbl = c->bits & rem;
	back = c->bits | rem;
	if (back)
		dbl |= smph_bitmap2_release_word(&s->bm[k], li << SMPH_WORD_SHIFT, back);
	dbl |= let_go(s, k, li);
	if (dbl)
		smph_count_late_double_frees(h, (unsigned)smph_popcount(dbl),
					     h->geom[k].block_size);
	c->leaf = SMPH_NO_BIT;
	c->base = h->end;
	c->span = 0;
	c->cached = NULL;
	c->leafword = NULL;
	c->remote = NULL;
	c->bits = 0;
	c->held = 0;
}

int smph_tcache_free_remote(struct smph_shard *s, unsigned k, uint32_t idx)
{
	uint32_t li = idx >> SMPH_WORD_SHIFT;
	smph_word_t b = smph_bit(idx);

	/* Free in the leaf already. Relaxed: a snapshot, as in
	 * smph_bitmap2_is_free(); a double free that misses a block the
	 * give-back is returning goes to `remote`, and the give-back's drain
	 * finds it in the leaf and counts it. */
	if (smph_load(&s->bm[k].leaf[li], smph_relaxed) & b)
		return -EALREADY;
	/* seq_cst: against drain_remote()'s exchange (see there). */
	if (smph_fetch_or(&s->remote[k][li], b, smph_seq_cst) & b)
		return -EALREADY; /* another thread freed it first */
	/* The holder gave the word back before its last drain could see our
	 * bit: move our own bit on (only ours: the others may be a new
	 * holder's). If a drain took it meanwhile, it is in the leaf. */
	if (!(smph_load(&s->holder[k][li >> SMPH_WORD_SHIFT], smph_seq_cst) & smph_bit(li)) &&
	    (smph_fetch_and(&s->remote[k][li], ~b, smph_acquire) & b))
		return smph_bitmap2_release(&s->bm[k], idx);
	return 0;
}

void smph_tcache_flush(struct smpheap *h, struct smph_tcache *t)
{
	unsigned core = smph_load(&t->core, smph_relaxed);

	if (core == SMPH_NO_CORE)
		return;
	for (unsigned k = 0; k < h->class_count; k++)
		give_back(h, &h->shards[core], k, &t->cls[k]);
	smph_store(&t->core, SMPH_NO_CORE, smph_relaxed);
}

/* Up to `max` of the free bits of leaf li, taken with one CAS. */
static smph_word_t take_bits(const struct smph_bitmap2 *bm, uint32_t li, uint32_t max)
{
	smph_aword_t *leaf = &bm->leaf[li];
	smph_word_t w = smph_load(leaf, smph_relaxed), take;

	do {
		if (!w)
			return 0;
		take = w;
		if (smph_popcount(w) > max) {
			smph_word_t x = w;

			take = 0;
			for (uint32_t n = 0; n < max; n++) {
				take |= x & (~x + 1);
				x &= x - 1;
			}
		}
		/* Acquire on success: as every claim. (The model test
		 * weakens it together with the holder bit's acquire in
		 * refill: each alone is covered by the other and by the
		 * drain's seq_cst exchange.) */
	} while (!smph_cas_weak(leaf, &w, w & ~take,
				SMPH_ORDER(new_holder, smph_acquire, smph_relaxed), smph_relaxed));
	if ((w & ~take) == 0)
		smph_bitmap2_summary_clear(bm, li);
	return take;
}

void *smph_tcache_refill(struct smpheap *h, struct smph_tcache *t, unsigned core, unsigned k,
			 size_t *block)
{
	struct smph_shard *s = &h->shards[core];
	const struct smph_bitmap2 *bm = &s->bm[k];
	struct smph_tcache_class *c = &t->cls[k];
	uint32_t max = h->geom[k].cache_max;

	if (!max)
		return NULL;
	/* Relaxed: core_down never touches our cache; it goes offline and we
	 * give our words of its shard back here, at our next refill. */
	if (!smph_load(&s->online, smph_relaxed)) {
		smph_tcache_flush(h, t);
		return NULL;
	}
	if (smph_load(&t->core, smph_relaxed) != core) {
		smph_tcache_flush(h, t); /* words of another shard */
		smph_store(&t->core, core, smph_relaxed);
	}
	give_back(h, s, k, c);
	if (max > SMPH_WORD_BITS)
		max = SMPH_WORD_BITS;
	for (uint32_t si = 0; si < bm->summaries; si++) {
		/* Relaxed: a hint, as in smph_bitmap2_claim(). */
		smph_word_t sum = smph_load(&bm->summary[si], smph_relaxed);

		while (sum) {
			uint32_t li = (si << SMPH_WORD_SHIFT) + smph_ctz(sum);
			smph_word_t got, dbl;

			sum &= sum - 1;
			/* Acquire: pairs with give_back()'s release, so the
			 * last holder's stores to cached[li] are behind us
			 * (tests/model/relacy_tcache.cpp weakens it, with
			 * take_bits()'s). */
			if (smph_bit_test_and_set(
				s->holder[k], li,
				SMPH_ORDER(new_holder, smph_acquire, smph_relaxed)))
				continue; /* another thread holds this word */
			/* Frees a former holder's give-back left behind. */
			dbl = drain_remote(s, k, li);
			got = take_bits(bm, li, max);
			/* Nothing to take (the summary is only a hint): let the
			 * word go as a give-back does. A remote free that saw it
			 * held went to `remote`, perhaps after our drain above;
			 * a plain clear would leave its block there, in no leaf
			 * and no cache (tests/model/relacy_tcache.cpp). */
			if (!got)
				dbl |= let_go(s, k, li);
			if (dbl)
				smph_count_late_double_frees(h, (unsigned)smph_popcount(dbl),
							     h->geom[k].block_size);
			if (!got)
				continue;
			c->leaf = li;
			c->base = s->base + h->geom[k].offset +
				  ((uintptr_t)li << SMPH_WORD_SHIFT) * h->geom[k].block_size;
			c->cached = &s->cached[k][li];
			c->leafword = &bm->leaf[li];
			c->remote = &s->remote[k][li];
			/* The last word of a class may be short. */
			c->span = (h->geom[k].count - (li << SMPH_WORD_SHIFT) < SMPH_WORD_BITS
				       ? h->geom[k].count - (li << SMPH_WORD_SHIFT)
				       : SMPH_WORD_BITS) *
				  h->geom[k].block_size;
			c->bits = got;
			c->held = smph_popcount(got);
			*block = h->geom[k].block_size;
			return smph_tcache_pop(c, h->geom[k].block_size);
		}
	}
	return NULL;
}
