/* runtime.h - the runtime zone's fast paths, inline in the public entry
 * points. The slow paths (larger classes, stealing) are in runtime.c. */
#ifndef SMPH_RUNTIME_H
#define SMPH_RUNTIME_H

#include "tcache.h"

/* Full search: classes k.. of the caller's shard, then other shards. */
void *smph_runtime_alloc(struct smpheap *h, unsigned core, size_t size, size_t align,
			 size_t *block);

/* A block from the calling thread's cache, else one claim from the caller's
 * own shard in the class that fits, else the full search. `size` is
 * 1..max_block. */
static inline void *smph_runtime_alloc_fast(struct smpheap *h, unsigned core, unsigned slot,
					    size_t size, size_t *block)
{
	struct smph_shard *s = &h->shards[core];
	unsigned k = h->size_class[(size + 15) >> 4];
	const struct smph_class_geom *g = &h->geom[k];

	if (smph_likely(slot < h->tcache_slots)) {
		struct smph_tcache *t = &h->tcache[slot];
		void *p = smph_tcache_pop(h, t, core, k);

		if (smph_likely(p != NULL)) {
			*block = g->block_size;
			return p;
		}
		if (g->cache_max) {
			p = smph_tcache_refill(h, t, core, k, block);
			if (p)
				return p;
		}
	}

	/* Relaxed: a core's own shard cannot go down under it (the
	 * core_down contract: no thread acts as a core while it goes down). */
	if (smph_likely(atomic_load_explicit(&s->online, memory_order_relaxed))) {
		uint32_t idx = smph_bitmap2_claim_fast(&s->bm[k]);

		if (smph_likely(idx != SMPH_NO_BIT)) {
			*block = g->block_size;
			return (void *)(s->base + g->offset + (uintptr_t)idx * g->block_size);
		}
	}
	return smph_runtime_alloc(h, core, size, SMPH_MIN_ALIGN, block);
}

/* Block index of offset `rel` into class `g`'s blocks, or SMPH_NO_BIT if
 * `rel` is not the start of one of its blocks. */
static inline uint32_t smph_block_index(const struct smph_class_geom *g, uintptr_t rel)
{
	uint32_t q, idx;

	if (smph_unlikely(rel >= (uintptr_t)g->block_size * g->count))
		return SMPH_NO_BIT;
	q = (uint32_t)(rel >> g->shift);
	if (smph_unlikely(((uintptr_t)q << g->shift) != rel))
		return SMPH_NO_BIT;
	/* q / odd by multiplication; exact for every block start (proved for
	 * the layout by smpheap_init()). The product check rejects the rest. */
	if (!g->magic)
		return q;
	idx = (uint32_t)(((uint64_t)q * g->magic) >> 32);
	if (smph_unlikely(idx * (g->block_size >> g->shift) != q))
		return SMPH_NO_BIT;
	return idx;
}

/* Class whose blocks cover shard offset `off` (off < shard_bytes). */
static inline unsigned smph_class_at(const struct smpheap *h, uintptr_t off)
{
	return h->granule_class[off >> SMPH_GRANULE_SHIFT];
}

/* Frees the block at p in `core`'s shard, as the thread of `slot`: 0,
 * -EINVAL or -EALREADY. */
static inline int smph_runtime_free(struct smpheap *h, unsigned core, unsigned slot, uintptr_t p,
				    size_t *block)
{
	const struct smph_shard *s = &h->shards[core];
	uintptr_t off = p - s->base;
	unsigned k = smph_class_at(h, off);
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t idx;

	if (smph_unlikely(off < g->offset))
		return -EINVAL; /* padding before the class's first block */
	idx = smph_block_index(g, off - g->offset);
	if (smph_unlikely(idx == SMPH_NO_BIT))
		return -EINVAL;
	*block = g->block_size;
	if (h->cache_on) {
		uint32_t li = idx >> SMPH_WORD_SHIFT;
		smph_word_t b = smph_bit(idx);

		if (slot < h->tcache_slots) {
			struct smph_tcache *t = &h->tcache[slot];
			struct smph_tcache_class *c = &t->cls[k];

			/* A block of the word we hold, while there is room:
			 * it goes back into our cache with plain stores. */
			if (c->leaf == li && c->held < g->cache_max &&
			    atomic_load_explicit(&t->core, memory_order_relaxed) == core) {
				if ((c->bits & b) || smph_bitmap2_is_free(&s->bm[k], idx))
					return -EALREADY;
#ifdef SMPHEAP_POISON
				smph_poison((void *)p, g->block_size);
#endif
				c->bits |= b;
				c->held++;
				/* Relaxed: see smph_tcache_pop(). */
				atomic_store_explicit(&s->cached[k][li], c->bits,
						      memory_order_relaxed);
				return 0;
			}
		}
		/* Free in some thread's cache already: a double free. */
		if (atomic_load_explicit(&s->cached[k][li], memory_order_relaxed) & b)
			return -EALREADY;
	}
#ifdef SMPHEAP_POISON
	/* Poison only a block that is live now: poisoning a free block could
	 * scribble over a racing allocation's new block. */
	if (smph_bitmap2_is_free(&s->bm[k], idx))
		return -EALREADY;
	smph_poison((void *)p, g->block_size);
#endif
	return smph_bitmap2_release(&s->bm[k], idx);
}

#endif
