/* tcache.c - the word-claim cache's slow paths: taking a word and giving it
 * back (registry.c lets a thread find the heaps it cached from). */
#include "runtime.h"

/* Gives back the word held for class k: the blocks free in it, and those
 * other threads freed into its `remote`, go back into the slab's word, and
 * the word can be held by another thread. A block both in the cache and in
 * `remote`, or already free in the word, was freed twice: counted now. */
static void give_back(struct smpheap *h, struct smph_tcache_class *c)
{
	uint32_t gi = c->leaf, s;
	const struct smph_class_geom *g;
	smph_aword_t *word;
	smph_word_t rem, back, dbl, old, w;
	unsigned k;

	if (gi == SMPH_NO_BIT)
		return;
	s = gi << h->gshift;
	word = c->leafword;
	/* Relaxed: the slab's entry is stable while we hold its word. */
	k = SMPH_PT_CLASS(smph_load(&h->pt[s], smph_relaxed));
	g = &h->geom[k];
	back = c->bits;
	/* cached[] first: a legal free of a block handed out again from the
	 * word must never be refused as cached. A double free that slips in
	 * between sees the block neither cached nor free, goes to `remote`
	 * (the word is still held), and is counted below. Relaxed: ordered
	 * before the exchange and the release OR below. */
	smph_store(c->cached, 0, smph_relaxed);
	/* One exchange takes every block other threads freed into `remote`
	 * and clears its REMOTE_HELD flag together, while we still hold the
	 * slab: a free whose OR came first sees the flag and leaves its bit to
	 * us; one whose OR comes after sees no flag and moves its bit into the
	 * word itself (smph_tcache_free_remote). acq_rel: their blocks' last
	 * writes are behind us, and the flag's clearing before our unmark. */
	rem = smph_exchange(c->remote, 0, smph_acq_rel) & ~SMPH_REMOTE_HELD;
	dbl = back & rem;
	back |= rem;
	old = back ? smph_slab_release(word, back) : smph_load(word, smph_relaxed);
	dbl |= old & back;
	if (back && !(old & g->full))
		smph_hint_set(&h->hint[k], gi);
	/* The mark off (release: the next holder sees our last store to
	 * cached[]). */
	w = (smph_slab_unmark(word, SMPH_SLAB_HELD) & ~SMPH_SLAB_HELD) | back;
	if (dbl)
		smph_count_late_double_frees(h, (unsigned)smph_popcount(dbl), g->block_size);
	c->leaf = SMPH_NO_BIT;
	c->base = h->end;
	c->span = 0;
	c->cached = NULL;
	c->leafword = NULL;
	c->remote = NULL;
	c->bits = 0;
	c->held = 0;
	/* All of the slab's blocks may be free now (ours, or come back while
	 * we held it): this is its retire. */
	if (w == g->all)
		smph_runtime_retire(h, k, s);
}

int smph_tcache_free_remote(struct smpheap *h, uint32_t s, unsigned k, uint32_t idx)
{
	uint32_t gi = s >> h->gshift;
	smph_word_t b = smph_bit(idx), old;

	/* Free in the word already. Relaxed: a snapshot, as in the plain free;
	 * a double free that misses a block the give-back is returning goes to
	 * `remote`, and the give-back finds it in the word and counts it. */
	if (smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed) & b)
		return -EALREADY;
	/* acq_rel: release, our writes to the block go with it to whoever
	 * takes the bit; acquire, against the give-back's exchange. */
	old = smph_fetch_or(&h->remote[smph_gidx(h, gi)], b, smph_acq_rel);
	if (old & b)
		return -EALREADY; /* another thread freed it first */
	if (old & SMPH_REMOTE_HELD)
		return 0; /* the holder takes it at its give-back */
	/* Nobody holds the slab's `remote` now (the give-back's exchange came
	 * first, or the hold's flag is not set yet): move our own bit on,
	 * unless a holder's exchange took it meanwhile (it is in the word). */
	if (smph_fetch_and(&h->remote[smph_gidx(h, gi)], (smph_word_t)~b, smph_acquire) & b)
		return smph_runtime_freed(
		    h, k, s, b,
		    smph_freed_verdict(&h->geom[k], b,
				       smph_slab_release(&h->slabw[smph_gidx(h, gi)], b)));
	return 0;
}

void smph_tcache_flush(struct smpheap *h, struct smph_tcache *t)
{
	unsigned core = smph_load(&t->core, smph_relaxed);

	if (core == SMPH_NO_CORE)
		return;
	for (unsigned k = 0; k < h->class_count; k++)
		give_back(h, &t->cls[k]);
	smph_store(&t->core, SMPH_NO_CORE, smph_relaxed);
}

/* Holds slab s of class k for c: sets its word's HELD mark, takes up to
 * `max` of its free blocks, and checks its class (runtime.c, 3.). False if
 * another thread holds it or it has nothing of class k to give. */
static bool hold(struct smpheap *h, struct smph_tcache_class *c, unsigned k, uint32_t s,
		 uint32_t max)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t gi = s >> h->gshift, e;
	smph_word_t got, left;

	/* Acquire (in the mark): pairs with give_back()'s release, so the
	 * last holder's stores to cached[] are behind us. */
	if (!smph_slab_mark(&h->slabw[smph_gidx(h, gi)], g->live, SMPH_SLAB_HELD))
		return false;
	/* Other threads' frees go to `remote` for us from now on (before any
	 * block we hand out can be freed). Relaxed: the mark's acquire orders
	 * it after the last holder's exchange, which cleared the flag. */
	smph_fetch_or(&h->remote[smph_gidx(h, gi)], SMPH_REMOTE_HELD, smph_relaxed);
	got = smph_slab_take(&h->slabw[smph_gidx(h, gi)], g->live, max, &left);
	/* Relaxed: stable while the word is HELD. */
	e = smph_load(&h->pt[s], smph_relaxed);
	if (SMPH_PT_KIND(e) != SMPH_PT_SLAB) {
		/* A dead word's stray bits that only looked live for our
		 * class: no block, nothing to give back. */
		smph_fetch_and(&h->remote[smph_gidx(h, gi)], (smph_word_t)~SMPH_REMOTE_HELD,
			       smph_relaxed);
		smph_slab_unmark(&h->slabw[smph_gidx(h, gi)], SMPH_SLAB_HELD);
		return false;
	}
	c->leaf = gi;
	c->base = smph_page_addr(h, s);
	c->cached = &h->cached[smph_gidx(h, gi)];
	c->leafword = &h->slabw[smph_gidx(h, gi)];
	c->remote = &h->remote[smph_gidx(h, gi)];
	c->span = g->span;
	c->bits = got;
	c->held = smph_popcount(got);
	if (!smph_slab_entry_is(e, g) || !got) {
		/* Nothing to take, or a stale slab cut again for another
		 * class: give it all back, and whatever came into `remote`
		 * while we held it. */
		give_back(h, c);
		return false;
	}
	if (!left) {
		/* We emptied its word: drop its hint, then look again. */
		smph_hint_clear(&h->hint[k], gi);
		/* Relaxed: ordered by the AND's acquire. */
		if (smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed) & g->full)
			smph_hint_set(&h->hint[k], gi);
	}
	return true;
}

void *smph_tcache_refill(struct smpheap *h, struct smph_tcache *t, unsigned core, unsigned k,
			 size_t *block)
{
	struct smph_tcache_class *c = &t->cls[k];
	uint32_t max = h->geom[k].cache_max, s;
	bool ok;

	if (!max)
		return NULL;
	/* Relaxed: core_down never touches our cache; a thread acting as a
	 * down core gives its words back here, at its next refill, and takes
	 * the pure path. */
	if (!smph_load(&h->core[core].online, smph_relaxed)) {
		smph_tcache_flush(h, t);
		return NULL;
	}
	if (smph_load(&t->core, smph_relaxed) != core) {
		smph_tcache_flush(h, t); /* words taken while acting as another core */
		smph_store(&t->core, core, smph_relaxed);
	}
	give_back(h, c);
	if (max > SMPH_WORD_BITS - 1)
		max = SMPH_WORD_BITS - 1;
	/* The core's current slab, unless another thread holds it. Relaxed:
	 * a hint; hold() checks. */
	s = smph_load(&h->core[core].cur[k], smph_relaxed) & ~SMPH_CUR_PINNED;
	ok = s < h->pool_pages && hold(h, c, k, s, max);
	/* Else the lowest partly free slab nobody holds. */
	for (uint32_t i = smph_hint_next(&h->hint[k], 0); !ok && i != SMPH_NO_BIT;
	     i = smph_hint_next(&h->hint[k], i + 1))
		ok = hold(h, c, k, i << h->gshift, max);
	/* Else a new one. */
	if (!ok && (s = smph_runtime_cut(h, k, NULL)) != SMPH_NO_BIT)
		ok = hold(h, c, k, s, max);
	if (!ok)
		return NULL;
	*block = h->geom[k].block_size;
	return smph_tcache_pop(c, h->geom[k].block_size);
}
