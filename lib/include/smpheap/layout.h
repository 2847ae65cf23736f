/* smpheap/layout.h - a board's memory map, as the heap sees it.
 *
 * A layout is plain data: a board's platform/<board>/memory.h fills one in
 * and hands it to smpheap_size() and smpheap_init(). The heap never writes
 * to a layout and keeps a pointer to it, so it must outlive the heap (a
 * `static const` object is the usual home).
 *
 * Where the heap places each zone inside the memory it is given:
 *
 *   [metadata][sys 0 | shard 0][sys 1 | shard 1]...[buffer region 0][region 1]...
 *
 * Each core's group (its system heap, then its runtime shard) and each
 * buffer region starts on a bank boundary, so that the banks of a core that
 * went down can be powered off without touching any other core's memory.
 * The metadata (heap header, bitmaps, counters) takes whole banks of its own
 * at the start. smpheap_size() says how much that takes.
 */
#ifndef SMPHEAP_LAYOUT_H
#define SMPHEAP_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SMPHEAP_MAX_CORES 64	     /* cores a layout may describe */
#define SMPHEAP_MAX_CLASSES 24	     /* runtime size classes per shard */
#define SMPHEAP_MAX_BUFFER_REGIONS 4 /* buffer regions (HP, LP, ...) */

/* Memory capability bits. An allocation names the caps it needs (0: any);
 * only a region whose caps include all of them serves it. */
#define SMPHEAP_CAP_HP (1u << 0)       /* high-performance SRAM */
#define SMPHEAP_CAP_LP (1u << 1)       /* low-power SRAM */
#define SMPHEAP_CAP_DMA (1u << 2)      /* reachable by the DMA engines */
#define SMPHEAP_CAP_CACHED (1u << 3)   /* accessed through the data cache */
#define SMPHEAP_CAP_UNCACHED (1u << 4) /* accessed around the data cache */

/* One runtime size class of a shard: `count` blocks of `block_size` bytes.
 * block_size is a multiple of 16 of the form a * 2^k with a odd and a <= 15
 * (16, 48, 64, 96, 768, ...), so that a free can turn an offset into a block
 * index with a shift and one multiply. Blocks are aligned to the largest power
 * of two that divides block_size. */
struct smpheap_class {
	uint32_t block_size; /* bytes per block */
	uint32_t count;	     /* blocks of this size in each shard */
	uint32_t cache_max;  /* per-thread cached blocks (word-claim cache); 0 = off */
};

/* One buffer region: `pages` pages of the layout's page size, with caps. */
struct smpheap_buffer_region {
	uint32_t caps;	/* SMPHEAP_CAP_* bits this region has */
	uint32_t pages; /* length in pages */
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
	uint32_t runtime_caps;				   /* caps of the runtime shards */
	size_t page_size;				   /* buffer page bytes; a power of two */
	unsigned buffer_region_count;			   /* entries used in buffer_regions[] */
	struct smpheap_buffer_region
	    buffer_regions[SMPHEAP_MAX_BUFFER_REGIONS]; /* searched in order */
	unsigned thread_slots; /* threads with own counters and caches (0 on a DSP) */
};

#ifdef __cplusplus
}
#endif

#endif /* SMPHEAP_LAYOUT_H */
