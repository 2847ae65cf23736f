/* one_slab.h - the heap that relacy_tcache.cpp and relacy_slab.cpp share:
 * one pool page at POOL_BASE (never dereferenced), cut as one slab of class
 * 0 with `blocks` blocks of 64 bytes, core 0 online with that slab as its
 * current. Included after the lib/ sources (it needs their types and
 * runtime.c, pool.c and bitmap.c's functions).
 */
#ifndef SMPH_MODEL_ONE_SLAB_H
#define SMPH_MODEL_ONE_SLAB_H

enum { ONE_SLAB_BLOCK = 64, ONE_SLAB_PAGE_SHIFT = 12 };
static const uintptr_t POOL_BASE = (uintptr_t)1 << 30;

/* The pool's bank hooks: never reached (no bank is ever swept off). */
void smph_platform_synchronize(void)
{
	RL_ASSERT(false);
}
void smph_platform_bank_power(void *, size_t, bool)
{
	RL_ASSERT(false);
}

/* The heap's arrays: one word (or entry) each, for one granule of one page. */
struct one_slab {
	smph_aword_t free_map[1], slab_word[1], cached[1], remote[1], hint_storage[2];
	SMPH_ATOMIC(uint32_t) pt_map[1];
	struct smph_core core;
	struct smpheap heap;

	/* The slab cut (its page in use), its word `word` (its free blocks,
	 * LIVE, marks), core 0's current `cur` (0 or SMPH_CUR_PINNED); the
	 * class's cache cap `cache_max` (0: no cache); the region serves the
	 * runtime zone and `zones` besides. */
	void setup(uint32_t blocks, uint32_t cache_max, smph_word_t word, uint32_t cur,
		   uint32_t zones)
	{
		struct smph_class_geom *g = &heap.geom[0];

		heap.cores = 1;
		heap.core = &core;
		heap.page_shift = ONE_SLAB_PAGE_SHIFT;
		heap.gshift = 0;
		heap.gmask = 0;
		heap.region_count = 1;
		heap.pool_base = POOL_BASE;
		heap.pool_pages = 1;
		heap.pool_bytes = (uintptr_t)1 << ONE_SLAB_PAGE_SHIFT;
		heap.granules = 1;
		heap.regions[0].base = POOL_BASE;
		heap.regions[0].first = 0;
		heap.regions[0].pages = 1;
		heap.regions[0].caps = SMPHEAP_CAP_DMA;
		heap.regions[0].zones = SMPHEAP_POOL_RUNTIME | zones;
		smph_pool_order(&heap);
		heap.end = POOL_BASE + ((uintptr_t)1 << ONE_SLAB_PAGE_SHIFT);
		heap.pfree = free_map;
		heap.pt = pt_map;
		heap.slabw = slab_word;
		heap.cached = cached;
		heap.remote = remote;
		for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++)
			heap.quota[z] = 0;
		heap.banks_off.store(0, rl::mo_relaxed, $);
		heap.class_count = 1;
		heap.cache_on = cache_max != 0;
		heap.tcache_slots = 0;
		g->block_size = ONE_SLAB_BLOCK;
		g->shift = 6;
		g->shift_mask = 63;
		g->magic = 0;
		g->align = ONE_SLAB_BLOCK;
		g->cache_max = cache_max;
		g->blocks = blocks;
		g->pages = 1;
		g->align_pages = 1;
		g->span = blocks * ONE_SLAB_BLOCK;
		g->tag = SMPH_PT_SLAB_OF(0);
		g->live = smph_bit(blocks);
		g->full = g->live - 1;
		g->all = g->live | g->full;
		free_map[0].store(0, rl::mo_relaxed, $);
		pt_map[0].store(g->tag, rl::mo_relaxed, $);
		slab_word[0].store(word, rl::mo_relaxed, $);
		cached[0].store(0, rl::mo_relaxed, $);
		remote[0].store(0, rl::mo_relaxed, $);
		if (word & g->full)
			smph_bitmap2_init(&heap.hint[0], hint_storage, 1);
		else
			smph_bitmap2_init_empty(&heap.hint[0], hint_storage, 1);
		core.online.store(1, rl::mo_relaxed, $);
		core.cur[0].store(cur, rl::mo_relaxed, $);
	}
};

#endif
