/* runtime.c - the runtime zone: per-core shards of size classes over
 * two-level atomic bitmaps.
 *
 * Allocation: the smallest class that fits, in the caller's shard, then each
 * larger class there, then the same in the other shards (stealing). Claiming
 * is one CAS on a leaf word (bitmap.c). Stealing runs inside an RCU read-side
 * section: smpheap_core_down() marks a shard offline and waits a grace
 * period, after which no stealer can still be claiming from it.
 *
 * Free: any core, one atomic OR into the owning shard's bitmap. The block's
 * shard, class and index come from its address alone (bank table, class
 * offsets, a shift and a multiply), so a foreign, interior or double free is
 * recognised without reading the block.
 */
#include <errno.h>

#include "runtime.h"

/* One block of class k from shard s, or NULL. */
static void *claim_one(struct smpheap *h, struct smph_shard *s, unsigned k, size_t *block)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t idx = smph_bitmap2_claim(&s->bm[k]);

	if (idx == SMPH_NO_BIT)
		return NULL;
	*block = g->block_size;
	return (void *)(s->base + g->offset + (uintptr_t)idx * g->block_size);
}

/* One block of class k from any shard but the caller's. */
static void *steal(struct smpheap *h, unsigned core, unsigned k, size_t *block)
{
	void *p = NULL;

	smph_platform_read_lock();
	for (unsigned o = 1; o < h->cores && !p; o++) {
		unsigned c = core + o < h->cores ? core + o : core + o - h->cores;
		struct smph_shard *s = &h->shards[c];

		/* Acquire: pairs with core_up's release, so a shard seen
		 * online has its banks powered on. Against core_down the
		 * read-side section is what protects us (see hotplug.c). */
		if (atomic_load_explicit(&s->online, memory_order_acquire))
			p = claim_one(h, s, k, block);
	}
	smph_platform_read_unlock();
	return p;
}

/* The smallest class that fits is taken from any shard, the caller's first,
 * before a larger class is: spilling small requests into the caller's own
 * large blocks first would starve large requests while other shards still
 * hold small blocks (the churn benchmark showed 64 % failures that way at
 * half fill, against 24 % for the one-map legacy heap). */
void *smph_runtime_alloc(struct smpheap *h, unsigned core, unsigned slot, size_t size, size_t align,
			 size_t *block)
{
	struct smph_tcache *t = slot < h->tcache_slots ? &h->tcache[slot] : NULL;
	struct smph_shard *own = &h->shards[core];
	/* Relaxed: a core's own shard cannot go down under it (the
	 * core_down contract: no thread acts as a core while it goes down). */
	bool own_up = atomic_load_explicit(&own->online, memory_order_relaxed);

	smph_assert(size && size <= h->max_block && core < h->cores);
	for (unsigned k = h->size_class[(size + 15) >> 4]; k < h->class_count; k++) {
		void *p = NULL;

		if (h->geom[k].align < align)
			continue;
		/* Blocks the thread holds are free blocks of its own shard:
		 * taken first, they make the cache choose the class the pure
		 * path would, so it fails no more often at the same fill. */
		if (t && (p = smph_tcache_pop(&t->cls[k], h->geom[k].block_size)) != NULL) {
			*block = h->geom[k].block_size;
			return p;
		}
		if (own_up)
			p = claim_one(h, own, k, block);
		if (!p && h->cores > 1)
			p = steal(h, core, k, block);
		if (p)
			return p;
	}
	return NULL;
}

size_t smph_runtime_block_size(const struct smpheap *h, uintptr_t p, bool *live)
{
	unsigned core;
	const struct smph_shard *s;
	uintptr_t off;
	unsigned k;
	uint32_t idx;

	*live = false;
	if (smph_locate(h, p, &core) != SMPH_AT_SHARD)
		return 0;
	s = &h->shards[core];
	off = p - s->base;
	k = smph_class_at(h, off);
	if (off < h->geom[k].offset)
		return 0;
	idx = smph_block_index(&h->geom[k], off - h->geom[k].offset);
	if (idx == SMPH_NO_BIT)
		return 0;
	/* Relaxed: a snapshot (a block freed meanwhile reads either way). */
	*live =
	    !smph_bitmap2_is_free(&s->bm[k], idx) &&
	    !(h->cache_on &&
	      ((atomic_load_explicit(&s->cached[k][idx >> SMPH_WORD_SHIFT], memory_order_relaxed) |
		atomic_load_explicit(&s->remote[k][idx >> SMPH_WORD_SHIFT], memory_order_relaxed)) &
	       smph_bit(idx)));
	return h->geom[k].block_size;
}

bool smph_runtime_range_free(const struct smpheap *h, unsigned core, uintptr_t lo, uintptr_t hi)
{
	const struct smph_shard *s = &h->shards[core];

	for (unsigned k = 0; k < h->class_count; k++) {
		const struct smph_class_geom *g = &h->geom[k];
		uintptr_t a = s->base + g->offset;
		uintptr_t b = a + (uintptr_t)g->block_size * g->count;
		uint32_t first, last;

		if (b <= lo || a >= hi)
			continue;
		first = (uint32_t)((lo > a ? lo - a : 0) / g->block_size);
		last = (uint32_t)(((hi < b ? hi : b) - a - 1) / g->block_size);
		if (smph_bits_count(s->bm[k].leaf, first, last - first + 1) != last - first + 1)
			return false;
	}
	return true;
}
