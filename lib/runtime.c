/* runtime.c - the runtime zone: size-class slabs cut from the page pool on
 * demand.
 *
 * A slab is a short span of pool pages holding at most SMPH_SLAB_MAX_BLOCKS
 * blocks of one class, with one out-of-band block word (bitmap.h: the
 * blocks, 1 = free, the class's LIVE bit above them, and the marks PIN and
 * HELD) and a page table entry per page (internal.h). Each core allocates
 * from its own current slab per class (one CAS on the word, inline in
 * runtime.h); any core frees any block with one OR. Reading top to bottom:
 * the current slab, refill, the pool, other cores, the last try (alloc.c),
 * counting (alloc.c).
 *
 * The retire protocol (a slab going back to the pool while others claim or
 * free in it), checked by tests/model/slab.pml:
 *
 * 1. Publication. A cut writes the slab's page table entries, then stores
 *    live | full into the word with release, then sets its hint. Retire
 *    undoes it in the other order: the word goes from live | full to 0 by
 *    one CAS, then the hint is dropped, the entries are reset, and last the
 *    pages are released to the pool (release). So a word is live only while
 *    its entries say "slab of class k", and pages are free only once the
 *    word is dead.
 * 2. Retire vs claim. The retire CAS needs every block free and no mark: a
 *    claim that lands first makes it fail; a claim after it finds the word
 *    dead and moves on. So while a thread holds a block of a slab, the slab
 *    stays cut, and its entries stay what they were when the word went live.
 * 3. A stale claimer. A thread that read slab s as its current (or from a
 *    hint) and was delayed while s was retired and cut again may claim a bit
 *    of the new slab, perhaps of another class. So after the claim it reads
 *    the page table entry (stable, by 2) and, if the class is not the one it
 *    wants, gives the block back with an ordinary free of the slab's real
 *    class and looks elsewhere. The same class at the same start page is the
 *    same geometry, so a block there is a right one: no generation number is
 *    needed. A claim masks its bit with its class's blocks, so no bit past a
 *    slab's blocks is ever handed out.
 * 4. A stale retirer. The free that made a slab all free tries the retire
 *    CAS after its OR, when it owns nothing there any more: the slab may
 *    have been retired and cut again meanwhile. The expected value (LIVE
 *    just above the class's own blocks, all of them free) is one no live
 *    slab of another block count can hold, so such a CAS succeeds only on
 *    an all-free, unmarked slab of the same block count; the retirer then
 *    takes the geometry from the page table entry, stable now that the word
 *    is dead. (With one fixed LIVE bit for all classes, "all free" of a
 *    small slab equals "some blocks taken" of a larger one, and a stale
 *    retirer would retire a slab with live blocks: slab.pml -DSHARED_LIVE.)
 * 5. Frees. A free of a live block ORs its bit into a live word (the slab
 *    cannot retire before the OR, by 2). A free that finds the word dead
 *    raced the slab's retire: the block was free already (-EALREADY); it
 *    takes its stray bit back out of the dead word (the next cut stores the
 *    word whole anyway, and a dead word is never claimed).
 * 6. Hysteresis and holders. A core's current slab carries PIN and a thread
 *    cache's held slab HELD, so its word never equals live | full: it is not
 *    retired the moment it empties (one alloc+free loop would otherwise take
 *    and give back a slab every time), and the pure free path does not even
 *    call out. Whoever clears the mark retires the slab if it is all free.
 * 7. Hints. hint[k] says "slab may have a free block" with the two-level
 *    bitmap's invariant: a free that makes a word non-empty sets the hint;
 *    a claimer that empties it (or finds it empty or dead) drops the hint
 *    with an acq_rel AND and then looks again, re-setting it if the slab
 *    still has a free block (bitmap.c).
 */
#include <errno.h>

#include "runtime.h"

#define CLAIM_TRIES 16 /* refills before a class that keeps losing races gives up */

static smph_aword_t *word_of(const struct smpheap *h, uint32_t s)
{
	return &h->slabw[smph_gidx(h, s >> h->gshift)];
}

/* A live slab of class k with a free block starts at page s: a snapshot. */
static bool slab_has_free(const struct smpheap *h, unsigned k, uint32_t s)
{
	/* Relaxed: a snapshot, re-checked by every claim. */
	smph_word_t w = smph_load(word_of(h, s), smph_relaxed);

	return (w & h->geom[k].live) && (w & h->geom[k].full) &&
	       smph_slab_entry_is(smph_load(&h->pt[s], smph_relaxed), &h->geom[k]);
}

/* Drops slab s from class k's hints unless it still has a free block
 * (the re-read after the acq_rel AND, bitmap.c). */
static void hint_drop(struct smpheap *h, unsigned k, uint32_t s)
{
	uint32_t gi = s >> h->gshift;

	smph_hint_clear(&h->hint[k], gi);
	if (slab_has_free(h, k, s))
		smph_hint_set(&h->hint[k], gi);
}

/* ---- the current slab ---- */

/* Retires the slab at s if its word is the all-free, unmarked word of a
 * class of k's block count (4. above). */
void smph_runtime_retire(struct smpheap *h, unsigned k, uint32_t s)
{
	const struct smph_class_geom *g;
	uint32_t e;

	if (!smph_slab_retire(word_of(h, s), h->geom[k].all))
		return;
	/* Relaxed: the word is dead, so nobody but us writes the entries. */
	e = smph_load(&h->pt[s], smph_relaxed);
	if (SMPH_PT_KIND(e) != SMPH_PT_SLAB)
		return; /* stray bits of a dead word (5. above): nothing to give */
	k = SMPH_PT_CLASS(e);
	g = &h->geom[k];
	hint_drop(h, k, s);
	/* Relaxed: the pages are ours; their release to the pool publishes
	 * these entries to the next owner. */
	for (uint32_t d = 0; d < g->pages; d++)
		smph_store(&h->pt[s + d], SMPH_PT_NONE_WAS_SLAB, smph_relaxed);
	smph_pool_release(h, SMPHEAP_ZONE_RUNTIME, s, g->pages);
}

int smph_runtime_freed(struct smpheap *h, unsigned k, uint32_t s, smph_word_t bit, unsigned verdict)
{
	const struct smph_class_geom *g = &h->geom[k];

	if (verdict & SMPH_FREED_DEAD) {
		/* The slab was retired under a free of a block that was free
		 * already (5. above). */
		smph_slab_unstray(word_of(h, s), g->live, bit);
		return -EALREADY;
	}
	if (verdict & SMPH_FREED_DOUBLE)
		return -EALREADY;
	if (verdict & SMPH_FREED_WAS_EMPTY)
		smph_hint_set(&h->hint[k], s >> h->gshift);
	if (verdict & SMPH_FREED_ALL_FREE)
		smph_runtime_retire(h, k, s);
	return 0;
}

void smph_runtime_give_back(struct smpheap *h, uint32_t s, smph_word_t bits, smph_word_t mark)
{
	/* Relaxed: stable while we own blocks of the slab or hold its mark. */
	unsigned k = SMPH_PT_CLASS(smph_load(&h->pt[s], smph_relaxed));
	const struct smph_class_geom *g = &h->geom[k];
	smph_word_t old = bits ? smph_slab_release(word_of(h, s), bits) : 0;

	if (bits && !(old & g->full))
		smph_hint_set(&h->hint[k], s >> h->gshift);
	if (mark)
		old = smph_slab_unmark(word_of(h, s), mark) & ~mark;
	if ((old | bits) == g->all)
		smph_runtime_retire(h, k, s);
}

void *smph_runtime_claimed(struct smpheap *h, unsigned k, uint32_t s, uint32_t idx,
			   smph_word_t left)
{
	const struct smph_class_geom *g = &h->geom[k];

	/* Relaxed: stable while we hold the block (2. above). */
	uint32_t e = smph_load(&h->pt[s], smph_relaxed);

	if (!smph_slab_entry_is(e, g)) {
		/* Another class's slab now (3.): give the block back. A word
		 * that only looked live for our class (a dead word's stray
		 * bits, 5.) holds no block: the bit is dropped. */
		if (SMPH_PT_KIND(e) == SMPH_PT_SLAB)
			smph_runtime_give_back(h, s, smph_bit(idx), 0);
		return NULL;
	}
	if (!left)
		hint_drop(h, k, s);
	return (void *)(smph_page_addr(h, s) + (uintptr_t)idx * g->block_size);
}

/* ---- refill: a partly free slab (any core's), else the pool ---- */

/* Cuts a new slab of class k from the pool (overlapping w, if not NULL)
 * and publishes it (1. above): its start page, or SMPH_NO_BIT when the pool
 * has no room. */
uint32_t smph_runtime_cut(struct smpheap *h, unsigned k, const struct smph_window *w)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t s = smph_pool_claim(h, SMPHEAP_ZONE_RUNTIME, 0, g->pages, g->align_pages, w);

	if (s == SMPH_NO_BIT)
		return SMPH_NO_BIT;
	/* Relaxed: published by the word's release store below. */
	for (uint32_t d = 1; d < g->pages; d++)
		smph_store(&h->pt[s + d], SMPH_PT_SLAB_IN_OF(d), smph_relaxed);
	smph_store(&h->pt[s], smph_slab_entry(h, g, s), smph_relaxed);
	/* Release: the entries above (and the pool claim's view of the
	 * pages) happen before any claim of a block here. */
	smph_store(word_of(h, s), g->all, smph_release);
	smph_hint_set(&h->hint[k], s >> h->gshift);
	return s;
}

/* The lowest partly free slab of class k (filling low slabs first leaves
 * high banks free to power off), one no core has pinned unless `pinned`. */
static uint32_t partly_free(struct smpheap *h, unsigned k, bool pinned)
{
	for (uint32_t i = smph_hint_next(&h->hint[k], 0); i != SMPH_NO_BIT;
	     i = smph_hint_next(&h->hint[k], i + 1)) {
		uint32_t s = i << h->gshift;

		if (!slab_has_free(h, k, s)) {
			hint_drop(h, k, s); /* a stale hint */
			continue;
		}
		/* Relaxed: a snapshot; the pin CAS decides. */
		if (pinned || !(smph_load(word_of(h, s), smph_relaxed) & SMPH_SLAB_PIN))
			return s;
	}
	return SMPH_NO_BIT;
}

/* Slab cur_value (a core's current, | SMPH_CUR_PINNED if that core pinned
 * it) stops being current: unpinned, and retired if it is all free. */
static void uncurrent(struct smpheap *h, uint32_t cur_value)
{
	if (cur_value & SMPH_CUR_PINNED)
		smph_runtime_give_back(h, cur_value & ~SMPH_CUR_PINNED, 0, SMPH_SLAB_PIN);
}

/* Before the pool reports exhaustion: every core's current slab that is all
 * free stops being current and goes back to the pool (hysteresis yields to
 * need). A CAS on the core's current, so a core that moved on meanwhile
 * keeps what it has; a core that claims from the slab meanwhile makes the
 * retire CAS fail and just refills later. True if a slab may have gone
 * back (one was taken off a core all free; a claim racing its retire is
 * the only way it stayed), with *w the pages of every such slab (and
 * those between): O(cores x classes), no walk of the pool, as every
 * failing allocation pays it. */
bool smph_runtime_reclaim(struct smpheap *h, struct smph_window *w)
{
	uint32_t none = h->granules << h->gshift;
	bool more = false;

	w->lo = UINT32_MAX;
	w->hi = 0;
	for (unsigned c = 0; c < h->cores; c++)
		for (unsigned k = 0; k < h->class_count; k++) {
			/* Relaxed: a hint; the CAS below decides. */
			uint32_t v = smph_load(&h->core[c].cur[k], smph_relaxed);
			uint32_t s = v & ~SMPH_CUR_PINNED;

			if (!(v & SMPH_CUR_PINNED) ||
			    smph_load(word_of(h, s), smph_relaxed) !=
				(h->geom[k].all | SMPH_SLAB_PIN) ||
			    !smph_cas_strong(&h->core[c].cur[k], &v, none, smph_relaxed,
					     smph_relaxed))
				continue;
			uncurrent(h, v);
			more = true;
			if (s < w->lo)
				w->lo = s;
			if (s + h->geom[k].pages > w->hi)
				w->hi = s + h->geom[k].pages;
		}
	return more;
}

/* A slab of class k that has a free block, made `core`'s current: a partly
 * free one nobody has as current, else a new one, else (the last try before
 * exhaustion) another core's current. SMPH_NO_BIT if none. */
static uint32_t refill(struct smpheap *h, unsigned core, unsigned k)
{
	uint32_t s = partly_free(h, k, false), v;

	if (s == SMPH_NO_BIT) {
		struct smph_window back;

		s = smph_runtime_cut(h, k, NULL);
		/* The pool had no room: a run there now must take pages the
		 * reclaim gave back, so the search looks only there. */
		if (s == SMPH_NO_BIT && smph_runtime_reclaim(h, &back))
			s = smph_runtime_cut(h, k, &back);
	}
	if (s == SMPH_NO_BIT)
		s = partly_free(h, k, true);
	if (s == SMPH_NO_BIT)
		return SMPH_NO_BIT;
	v = smph_slab_mark(word_of(h, s), h->geom[k].live, SMPH_SLAB_PIN) ? s | SMPH_CUR_PINNED : s;
	/* Relaxed: a hint for this core's next claims. An exchange, so that
	 * of two threads acting as one core each unpins what it replaced. */
	uncurrent(h, smph_exchange(&h->core[core].cur[k], v, smph_relaxed));
	return s;
}

/* One block of class k: the current slab, else refill and claim again. */
static void *claim_class(struct smpheap *h, unsigned core, unsigned k)
{
	for (int tries = 0; tries < CLAIM_TRIES; tries++) {
		void *p = smph_runtime_claim_current(h, core, k);

		if (p)
			return p;
		if (refill(h, core, k) == SMPH_NO_BIT)
			return NULL;
	}
	return NULL;
}

/* The smallest class that holds size at align, from any core's slabs and
 * the pool, and no other: a block of a larger class would waste the
 * difference for the block's whole life, while the pool serves every class
 * (spilling into larger classes at exhaustion was measured to fail more
 * requests later: README, "Memory"). */
void *smph_runtime_alloc(struct smpheap *h, unsigned core, unsigned slot, size_t size, size_t align,
			 size_t *block)
{
	struct smph_tcache *t = slot < h->tcache_slots ? &h->tcache[slot] : NULL;
	unsigned k = h->size_class[(size + 15) >> 4];
	void *p;

	smph_assert(size && size <= h->max_block && core < h->cores);
	while (k < h->class_count && h->geom[k].align < align)
		k++;
	if (k == h->class_count)
		return NULL;
	/* Blocks the thread holds are free blocks: taken first, they make the
	 * cache choose the class the pure path would. */
	p = t ? smph_tcache_pop(&t->cls[k], h->geom[k].block_size) : NULL;
	if (!p)
		p = claim_class(h, core, k);
	if (p)
		*block = h->geom[k].block_size;
	return p;
}

void smph_runtime_core_release(struct smpheap *h, unsigned core)
{
	for (unsigned k = 0; k < h->class_count; k++)
		/* Relaxed: the core is parked (core_down's contract). */
		uncurrent(h, smph_exchange(&h->core[core].cur[k], h->granules << h->gshift,
					   smph_relaxed));
}

size_t smph_runtime_block_size(const struct smpheap *h, uintptr_t p, bool *live)
{
	uint32_t page = smph_pool_page(h, p), e, s, idx, gi;
	const struct smph_class_geom *g;
	smph_word_t w;

	*live = false;
	if (page == SMPH_NO_BIT)
		return 0;
	e = smph_load(&h->pt[page], smph_relaxed);
	if (SMPH_PT_KIND(e) < SMPH_PT_SLAB)
		return 0;
	s = smph_slab_start(h, page, e, &e);
	if (SMPH_PT_KIND(e) != SMPH_PT_SLAB)
		return 0;
	g = &h->geom[SMPH_PT_CLASS(e)];
	idx = smph_block_index(g, p - smph_page_addr(h, s));
	if (idx == SMPH_NO_BIT)
		return 0;
	gi = s >> h->gshift;
	w = smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed);
	/* Relaxed: a snapshot (a block freed meanwhile reads either way). */
	*live = (w & g->live) && !(w & smph_bit(idx)) &&
		!(h->cache_on && ((smph_load(&h->cached[smph_gidx(h, gi)], smph_relaxed) |
				   smph_load(&h->remote[smph_gidx(h, gi)], smph_relaxed)) &
				  smph_bit(idx)));
	return g->block_size;
}
