/* runtime.h - the runtime zone's short paths, inline in the public entry
 * points: one claim in the calling core's current slab, and one free. The
 * rest (refill, the pool, the retire protocol) is in runtime.c. */
#ifndef SMPH_RUNTIME_H
#define SMPH_RUNTIME_H

#include "tcache.h"

/* Full search: for each class from the one that fits up, the calling
 * thread's cached word (slot: its slot, or any value >= tcache_slots), the
 * core's current slab, a partly free slab of any core, a new slab from the
 * pool. NULL when none of them has a block. */
void *smph_runtime_alloc(struct smpheap *h, unsigned core, unsigned slot, size_t size, size_t align,
			 size_t *block);

/* Cuts a new slab of class k from the pool and publishes it: its start
 * page, or SMPH_NO_BIT when the pool has no room. */
uint32_t smph_runtime_cut(struct smpheap *h, unsigned k, const struct smph_window *w);

/* Frees `bits`, blocks the caller owns, back into the slab at page s, with
 * the free protocol (hint, retire); `mark` (0, or SMPH_SLAB_HELD for a
 * cache giving its word back) is cleared after them. */
void smph_runtime_give_back(struct smpheap *h, uint32_t s, smph_word_t bits, smph_word_t mark);

/* Before the pool reports exhaustion (to either zone): every core's current
 * slab that is all free goes back to the pool. True if one did. */
bool smph_runtime_reclaim(struct smpheap *h, struct smph_window *w);

/* core_down: the core's current slabs stop being current (and go back to
 * the pool if all free). */
void smph_runtime_core_release(struct smpheap *h, unsigned core);

/* After a claim in slab s: the slab's class was not k (a stale current:
 * the slab was retired and cut again for another class meanwhile), or the
 * claim took its last free block. Gives the block back or fixes the hint;
 * returns the block, or NULL to send the caller on. */
void *smph_runtime_claimed(struct smpheap *h, unsigned k, uint32_t s, uint32_t idx,
			   smph_word_t left);

/* The start page of `core`'s current slab of class k (a hint: claims in it
 * are checked by smph_runtime_claim_usual()). */
static inline uint32_t smph_runtime_current(const struct smpheap *h, unsigned core, unsigned k)
{
	/* Relaxed: the current slab is a hint; the claim in it is checked. */
	return smph_load(&h->core[core].cur[k], smph_relaxed) & ~SMPH_CUR_PINNED;
}

/* The block word of the slab at page s. */
static inline smph_aword_t *smph_runtime_word(const struct smpheap *h, uint32_t s)
{
	return &h->slabw[smph_gidx(h, s >> h->gshift)];
}

/* After a claim in slab s left `left` free blocks: true in the usual case
 * (the slab is class k's and has a free block still), else the caller
 * hands the claim to smph_runtime_claimed(). The class check comes after
 * the claim: while we hold a block of the slab it cannot be retired, so
 * the entry is the one its cutter published before the word went live (our
 * claim's acquire saw that). Relaxed for that reason. A test each, as in
 * smph_slab_try_claim(). */
static inline __attribute__((always_inline)) bool
smph_runtime_claim_usual(const struct smpheap *h, const struct smph_class_geom *g, uint32_t s,
			 smph_word_t left)
{
	if (smph_unlikely(!smph_slab_entry_is(smph_load(&h->pt[s], smph_relaxed), g)))
		return false;
	return smph_likely(left != 0);
}

/* Address of block idx of class g's slab at page s. */
static inline void *smph_runtime_block(const struct smpheap *h, const struct smph_class_geom *g,
				       uint32_t s, uint32_t idx)
{
	return (void *)(smph_page_addr(h, s) + (uintptr_t)idx * g->block_size);
}

/* One block of class k from `core`'s current slab, or NULL (the caller then
 * takes the slow path). */
static inline void *smph_runtime_claim_current(struct smpheap *h, unsigned core, unsigned k)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t s, idx;
	smph_word_t left;
	enum smph_slab_try r;

	do {
		s = smph_runtime_current(h, core, k);
		r = smph_slab_try_claim(smph_runtime_word(h, s), g->live, &idx, &left);
	} while (r == SMPH_SLAB_RACED);
	if (r == SMPH_SLAB_EMPTY)
		return NULL;
	if (smph_runtime_claim_usual(h, g, s, left))
		return smph_runtime_block(h, g, s, idx);
	return smph_runtime_claimed(h, k, s, idx, left);
}

/* Retires the slab at s if its word is the all-free, unmarked word of a
 * class of k's block count (runtime.c, 4.). */
void smph_runtime_retire(struct smpheap *h, unsigned k, uint32_t s);

/* What the OR of a free's bit b into a slab word of class g, which was
 * `old`, found besides a free block given back: */
#define SMPH_FREED_DEAD 1u	/* the word was not live: the slab is retired */
#define SMPH_FREED_DOUBLE 2u	/* the block was free already */
#define SMPH_FREED_WAS_EMPTY 4u /* the slab had no free block (hint it) */
#define SMPH_FREED_ALL_FREE 8u	/* every block is free now (retire it) */
static inline unsigned smph_freed_verdict(const struct smph_class_geom *g, smph_word_t b,
					  smph_word_t old)
{
	if (!(old & g->live))
		return SMPH_FREED_DEAD;
	if (old & b)
		return SMPH_FREED_DOUBLE;
	return (old & g->full ? 0u : SMPH_FREED_WAS_EMPTY) |
	       ((old | b) == g->all ? SMPH_FREED_ALL_FREE : 0u);
}

/* After the OR of a free's bit into slab s found `verdict` (above): the
 * error for a double free or a free into a retired slab; else the slab's
 * hint set or its retire tried. Returns 0 or the error. */
int smph_runtime_freed(struct smpheap *h, unsigned k, uint32_t s, smph_word_t bit,
		       unsigned verdict);

/* After the OR of block bit b into a slab word of class g gave `old`: true
 * unless it was the usual free (a live block of a live slab that had
 * another free block and is not all free now). */
static inline bool smph_runtime_free_unusual(const struct smph_class_geom *g, smph_word_t b,
					     smph_word_t old)
{
	return smph_unlikely((old & (g->live | b)) != g->live || !(old & g->full) ||
			     (old | b) == g->all);
}

/* Frees block `idx` of the class-k slab starting at pool page s (at p): 0,
 * or -EALREADY if it is free already, in the slab's word or in some
 * thread's cache. The word-claim cache has had its chance (tcache.h). */
static inline int smph_runtime_free(struct smpheap *h, unsigned k, uint32_t s, uint32_t idx,
				    uintptr_t p)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t gi = s >> h->gshift;
	smph_word_t b = smph_bit(idx), old;
	bool held = false;

	(void)p;
	if (smph_cache_on(h)) {
		/* Free in some thread's cache already: a double free.
		 * Relaxed: a snapshot; a free that misses a block cached just
		 * now goes to the slab's `remote`, where the holder finds it
		 * (tcache.h). */
		if (smph_load(&h->cached[smph_gidx(h, gi)], smph_relaxed) & b)
			return -EALREADY;
		/* Relaxed: only a choice of where to free into. Seen held when
		 * it is no longer, the free re-reads the mark after its OR
		 * (smph_tcache_free_remote); seen unheld when it is, a live
		 * block goes to the word as before a hold (only a double free
		 * racing the block's move into the cache could then be
		 * missed: undetectable anyway, see tcache.h). */
		held = (smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed) & SMPH_SLAB_HELD) != 0;
	}
#ifdef SMPHEAP_POISON
	/* Poison only a block that is live now: poisoning a free block could
	 * scribble over a racing allocation's new block. */
	if (smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed) & b)
		return -EALREADY;
	smph_poison((void *)p, g->block_size);
#endif
	if (held)
		return smph_tcache_free_remote(h, s, k, idx);
	old = smph_slab_release(&h->slabw[smph_gidx(h, gi)], b);
	if (smph_runtime_free_unusual(g, b, old))
		return smph_runtime_freed(h, k, s, b, smph_freed_verdict(g, b, old));
	return 0;
}

#endif
