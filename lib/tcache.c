/* tcache.c - the word-claim cache's slow paths: taking a word, giving it
 * back, and the registry that lets a thread find the heaps it cached from. */
#include "runtime.h"

#define SMPH_MAX_HEAPS 64 /* heaps with thread slots alive at once */

/* Heaps with thread slots. A thread that exits or changes core walks this
 * (under an RCU read-side section) to give back what it holds; smpheap_fini()
 * takes a heap out and waits a grace period before its memory may go. */
static _Atomic(struct smpheap *) smph_heaps[SMPH_MAX_HEAPS];

bool smph_registry_add(struct smpheap *h)
{
	for (unsigned i = 0; i < SMPH_MAX_HEAPS; i++) {
		struct smpheap *none = NULL;

		/* Release: a thread that finds h here sees it initialised. */
		if (atomic_compare_exchange_strong_explicit(
			&smph_heaps[i], &none, h, memory_order_release, memory_order_relaxed)) {
			h->registry_index = i;
			return true;
		}
	}
	return false;
}

void smpheap_fini(struct smpheap *h)
{
	if (!h || h->magic != SMPH_MAGIC)
		return;
	h->magic = 0;
	if (h->tcache_slots) {
		atomic_store_explicit(&smph_heaps[h->registry_index], NULL, memory_order_relaxed);
		/* A thread flushing into h may have found it before the store
		 * above: wait until it is done. */
		smph_platform_synchronize();
	}
}

void smpheap_thread_flush(unsigned slot)
{
	smph_platform_read_lock();
	for (unsigned i = 0; i < SMPH_MAX_HEAPS; i++) {
		/* Acquire: pairs with smph_registry_add(). */
		struct smpheap *h = atomic_load_explicit(&smph_heaps[i], memory_order_acquire);

		if (h && slot < h->tcache_slots)
			smph_tcache_flush(h, &h->tcache[slot]);
	}
	smph_platform_read_unlock();
}

/* Gives back the word held for class k: the blocks free in it go back into
 * the slab's word, and the word can be held by another thread. */
static void give_back(struct smpheap *h, struct smph_tcache_class *c)
{
	uint32_t gi = c->leaf;
	smph_word_t bits = c->bits;

	if (gi == SMPH_NO_BIT)
		return;
	/* cached[] first: a free that sees the block neither cached nor free
	 * in the word goes through as a plain release, and ours below then
	 * finds the bit already set; the block ends free once either way.
	 * (The other order would let a block be free in the word, claimed
	 * again, and its legal free refused as cached.) Relaxed: ordered
	 * before the release OR below. */
	smph_store(c->cached, 0, smph_relaxed);
	c->leaf = SMPH_NO_BIT;
	c->base = h->end;
	c->span = 0;
	c->cached = NULL;
	c->leafword = NULL;
	c->bits = 0;
	c->held = 0;
	/* The blocks back, then the HELD mark off (release: the next holder
	 * sees our last store to cached[]); all of them may have come back to
	 * the word while we held it, and then this is the slab's retire. */
	smph_runtime_give_back(h, gi << h->gshift, bits, SMPH_SLAB_HELD);
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
	if (!smph_slab_mark(&h->slabw[gi], g->live, SMPH_SLAB_HELD))
		return false;
	got = smph_slab_take(&h->slabw[gi], g->live, max, &left);
	/* Relaxed: stable while the word is HELD. */
	e = smph_load(&h->pt[s], smph_relaxed);
	if (e != g->tag || !got) {
		/* Nothing to take, or a stale slab cut again for another
		 * class: give it all back. A dead word's stray bits that only
		 * looked live for our class hold no block: dropped. */
		if (SMPH_PT_KIND(e) == SMPH_PT_SLAB)
			smph_runtime_give_back(h, s, got, SMPH_SLAB_HELD);
		else
			smph_slab_unmark(&h->slabw[gi], SMPH_SLAB_HELD);
		return false;
	}
	if (!left) {
		/* We emptied its word: drop its hint, then look again. */
		smph_hint_clear(&h->hint[k], gi);
		/* Relaxed: ordered by the AND's acquire. */
		if (smph_load(&h->slabw[gi], smph_relaxed) & g->full)
			smph_hint_set(&h->hint[k], gi);
	}
	c->leaf = gi;
	c->base = smph_page_addr(h, s);
	c->cached = &h->cached[gi];
	c->leafword = &h->slabw[gi];
	c->span = g->span;
	c->bits = got;
	c->held = smph_popcount(got);
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
	if (!ok && (s = smph_runtime_cut(h, k)) != SMPH_NO_BIT)
		ok = hold(h, c, k, s, max);
	if (!ok)
		return NULL;
	*block = h->geom[k].block_size;
	return smph_tcache_pop(c, h->geom[k].block_size);
}
