/* runtime.h - the runtime zone's fast paths, inline in the public entry
 * points. The slow paths (larger classes, stealing) are in runtime.c. */
#ifndef SMPH_RUNTIME_H
#define SMPH_RUNTIME_H

#include "tcache.h"

/* Full search: for each class from the one that fits up, the calling
 * thread's cached word (slot: its slot, or any value >= tcache_slots), the
 * caller's shard, then the other shards. */
void *smph_runtime_alloc(struct smpheap *h, unsigned core, unsigned slot, size_t size, size_t align,
			 size_t *block);

/* After the calling thread's held word came up empty (or it has no slot): a
 * new word for its cache, else one claim from the caller's own shard in the
 * class that fits, else the full search. `size` is 1..max_block. */
static inline void *smph_runtime_alloc_fast(struct smpheap *h, unsigned core, unsigned slot,
					    size_t size, size_t *block)
{
	struct smph_shard *s = &h->shards[core];
	unsigned k = h->size_class[(size + 15) >> 4];
	const struct smph_class_geom *g = &h->geom[k];

	if (slot < h->tcache_slots && g->cache_max) {
		void *p = smph_tcache_refill(h, &h->tcache[slot], core, k, block);

		if (p)
			return p;
	}

	/* Relaxed: a core's own shard cannot go down under it (the
	 * core_down contract: no thread acts as a core while it goes down). */
	if (smph_likely(smph_load(&s->online, smph_relaxed))) {
		uint32_t idx = smph_bitmap2_claim_fast(&s->bm[k]);

		if (smph_likely(idx != SMPH_NO_BIT)) {
			*block = g->block_size;
			return (void *)(s->base + g->offset + (uintptr_t)idx * g->block_size);
		}
	}
	return smph_runtime_alloc(h, core, slot, size, SMPH_MIN_ALIGN, block);
}

/* Class whose blocks cover shard offset `off` (off < shard_bytes). */
static inline unsigned smph_class_at(const struct smpheap *h, uintptr_t off)
{
	return h->granule_class[off >> SMPH_GRANULE_SHIFT];
}

/* Frees block `idx` of class k (at p) in `core`'s shard: 0, or -EALREADY
 * if it is free already, in the leaf or in some thread's cache. The
 * word-claim cache has had its chance (tcache.h); a block of a word some
 * thread holds goes to that word's `remote`, the others to the leaf. */
static inline int smph_runtime_free(struct smpheap *h, unsigned core, unsigned k, uint32_t idx,
				    uintptr_t p)
{
	struct smph_shard *s = &h->shards[core];
	uint32_t li = idx >> SMPH_WORD_SHIFT;
	bool held = false;

	(void)p;
	if (h->cache_on) {
		/* Free in some thread's cache already: a double free.
		 * Relaxed: a snapshot; a free that misses a block cached
		 * just now goes to the word's `remote`, where the holder
		 * finds it (tcache.h). */
		if (smph_load(&s->cached[k][li], smph_relaxed) & smph_bit(idx))
			return -EALREADY;
		/* Relaxed: only a choice of where to free into. Seen held
		 * when it is no longer, the free re-reads the bit after its OR
		 * (smph_tcache_free_remote); seen unheld when it is, a block
		 * that is live goes to the leaf as before a hold (only a
		 * double free racing the block's move into the cache could
		 * then be missed: undetectable anyway, see tcache.h). */
		held = (smph_load(&s->holder[k][li >> SMPH_WORD_SHIFT], smph_relaxed) &
			smph_bit(li)) != 0;
	}
#ifdef SMPHEAP_POISON
	/* Poison only a block that is live now: poisoning a free block could
	 * scribble over a racing allocation's new block. */
	if (smph_bitmap2_is_free(&s->bm[k], idx))
		return -EALREADY;
	smph_poison((void *)p, h->geom[k].block_size);
#endif
	if (held)
		return smph_tcache_free_remote(s, k, idx);
	return smph_bitmap2_release(&s->bm[k], idx);
}

#endif
