/* smpheap/layout.h - a board's memory map, as the heap sees it.
 *
 * A layout is plain data: a board's platform/<board>/memory.h fills one in
 * and hands it to smpheap_size() and smpheap_init(). The heap never writes
 * to a layout and keeps a pointer to it, so it must outlive the heap (a
 * `static const` object is the usual home).
 *
 * Where the heap places each zone inside the memory it is given:
 *
 *   [metadata][sys 0][sys 1]...[region 0][region 1]...
 *
 * Each core's system heap and each region starts on a bank boundary. A
 * region is one pool of pages (see `zones` below): the runtime zone cuts
 * size-class slabs out of it on demand, the buffer zone cuts runs, so the
 * layout gives the runtime zone block sizes only, never counts. A bank
 * whose pages are all free can be powered off (smpheap_bank_sweep()),
 * whichever core used it. The metadata (heap header, page table, bitmaps,
 * counters) takes whole banks of its own at the start; smpheap_size() says
 * how much that takes.
 */
#ifndef SMPHEAP_LAYOUT_H
#define SMPHEAP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMPHEAP_MAX_CORES 64	     /* cores a layout may describe */
#define SMPHEAP_MAX_CLASSES 28	     /* runtime size classes */
#define SMPHEAP_MAX_BUFFER_REGIONS 4 /* regions (page pools: HP, LP, ...) */

/* Memory capability bits. An allocation names the caps it needs (0: any);
 * only a region whose caps include all of them serves it. */
#define SMPHEAP_CAP_HP (1u << 0)       /* high-performance SRAM */
#define SMPHEAP_CAP_LP (1u << 1)       /* low-power SRAM */
#define SMPHEAP_CAP_DMA (1u << 2)      /* reachable by the DMA engines */
#define SMPHEAP_CAP_CACHED (1u << 3)   /* accessed through the data cache */
#define SMPHEAP_CAP_UNCACHED (1u << 4) /* accessed around the data cache */

/* One runtime size class: blocks of `block_size` bytes, cut out of the
 * pool in slabs of at most one bitmap word of blocks (see slab_bytes).
 * block_size is a multiple of 16 of the form a * 2^k with a odd and a <= 15
 * (16, 48, 64, 96, 768, ...), so that a free can turn an offset into a block
 * index with a shift and one multiply. Blocks are aligned to the largest power
 * of two that divides block_size. */
struct smpheap_class {
	uint32_t block_size; /* bytes per block */
	uint32_t count;	     /* NOT used by smpheap (pages are cut on demand):
				the block map a legacy fixed-map heap of the
				same bytes would give each core (SOF's sizes;
				the bench's blockmap-lock reads it); may be 0 */
	uint32_t cache_max;  /* per-thread cached blocks (word-claim cache); 0 = off */
};

/* Which zones may draw pages from a region (smpheap_buffer_region.zones). */
#define SMPHEAP_POOL_RUNTIME (1u << 1) /* the runtime zone cuts slabs here */
#define SMPHEAP_POOL_BUFFER (1u << 2)  /* the buffer zone cuts runs here */

/* One region: a pool of `pages` pages of the layout's page size, with caps.
 * (The name is historical: a region may serve the runtime zone too.) */
struct smpheap_buffer_region {
	uint32_t caps;	/* SMPHEAP_CAP_* bits this region has */
	uint32_t pages; /* length in pages */
	uint32_t zones; /* SMPHEAP_POOL_* bits; 0 means SMPHEAP_POOL_BUFFER */
};

struct smpheap_layout {
	const char *name;		    /* "tgl", "apl", "host", ... */
	const char *origin;		    /* where the numbers come from (one line) */
	unsigned cores;			    /* cores, 1..SMPHEAP_MAX_CORES */
	size_t bank_size;		    /* power-gating unit; a power of two */
	size_t sys_size[SMPHEAP_MAX_CORES]; /* system heap bytes per core */
	uint32_t sys_caps;		    /* caps of the system heaps */
	unsigned class_count;		    /* entries used in classes[] */
	struct smpheap_class classes[SMPHEAP_MAX_CLASSES]; /* ascending block_size */
	uint32_t runtime_caps;				   /* caps of the runtime zone */
	size_t page_size;				   /* pool page bytes; a power of two */
	unsigned buffer_region_count;			   /* entries used in buffer_regions[] */
	struct smpheap_buffer_region
	    buffer_regions[SMPHEAP_MAX_BUFFER_REGIONS]; /* searched in order */
	unsigned thread_slots; /* threads with own counters and caches (0 on a DSP) */
	/* Optional byte quotas (0: none): the most pool bytes the runtime
	 * zone's slabs / the buffer zone's runs may hold at once, as SOF's
	 * memory.h sizes each heap. */
	size_t runtime_quota;
	size_t buffer_quota;
	/* Target bytes of one runtime slab (0: 8 KiB): a class's slab holds
	 * min(word bits - 1, max(1, slab_bytes / block_size)) blocks, rounded
	 * up to whole pages (and then filled with as many blocks as fit). */
	size_t slab_bytes;
};

/* Bytes of the layout's regions: what smpheap's runtime and buffer zones
 * may draw from together. */
static inline size_t smpheap_layout_pool_bytes(const struct smpheap_layout *l)
{
	size_t n = 0;

	for (unsigned r = 0; r < l->buffer_region_count; r++)
		n += (size_t)l->buffer_regions[r].pages * l->page_size;
	return n;
}

/* The legacy split of those bytes, for a fixed-map heap of the same bytes
 * (the bench's blockmap-lock, tlsf-lock, sysheap-lock): the per-core block
 * maps the class counts give, on every core, and what remains of the
 * regions for the buffer heap. A layout whose regions are buffer-only (no
 * SMPHEAP_POOL_RUNTIME) keeps its runtime maps outside them. */
static inline size_t smpheap_layout_legacy_runtime_bytes(const struct smpheap_layout *l)
{
	size_t n = 0;

	for (unsigned k = 0; k < l->class_count; k++)
		n += (size_t)l->classes[k].block_size * l->classes[k].count;
	return n * l->cores;
}

static inline size_t smpheap_layout_legacy_buffer_bytes(const struct smpheap_layout *l)
{
	size_t pool = smpheap_layout_pool_bytes(l), rt = smpheap_layout_legacy_runtime_bytes(l);

	for (unsigned r = 0; r < l->buffer_region_count; r++)
		if (l->buffer_regions[r].zones & SMPHEAP_POOL_RUNTIME)
			return pool > rt ? pool - rt : 0;
	return pool;
}

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_LAYOUT_H */
