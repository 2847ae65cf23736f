/* internal.h - the heap's private state, shared by the files of lib/.
 *
 * Public names start with smpheap_, internal ones with smph_.
 *
 * Memory, as smpheap_init() lays it out (init.c plans it):
 *
 *   base                                   zones_base (bank aligned)
 *   | struct smpheap | metadata arrays ... | sys 0 | sys 1 ... | region 0 | region 1 ... |
 *                                                              pool_base
 *
 * Each system heap and each region starts on a bank boundary. The regions
 * are one page space (the pool) of pool_pages pages from pool_base; a page
 * is free, or a buffer run's, or a runtime slab's. All metadata (page
 * table, bitmaps, counters) sits before zones_base, never inside a block.
 *
 * Per page, out of band:
 *   pt[page]     what the page is (SMPH_PT_*, below): O(1) classification
 *                of any pointer, so the error table holds;
 *   pfree bit    1 = free in the pool (flat bitmap, runs claimed by CAS);
 * per slab granule (slabs start on granules of 2^gshift pages):
 *   slabw[g]     the slab's block word (bitmap.h): its free blocks (1 =
 *                free), its class's LIVE bit while a slab starts here, and
 *                the marks PIN (a core's current) and HELD (a thread cache
 *                holds it); 0 elsewhere;
 *   cached[g]    blocks of that slab free in the holder's thread cache;
 *   remote[g]    blocks of a held slab other threads freed (tcache.h), and
 *                REMOTE_HELD while held;
 *   (each array at smph_gidx(g), spread over cache lines)
 * per class k:
 *   hint[k]      a two-level bitmap over granules: "this slab of class k may
 *                have a free block" (the invariant: a live slab of class k
 *                with a free block has its bit set once the operations on
 *                it are done; the converse is a hint, costs a skip);
 * per core:
 *   cur[k]       the core's current slab of class k (a hint too).
 *
 * Invariants (smpheap_check() walks them):
 * - a system heap's offset never exceeds its size; a down core's is 0;
 * - pt and pfree agree: a free page is SMPH_PT_NONE; a run start's pages are
 *   in use and the run's other pages NONE; a slab start's pages are in use,
 *   its other pages SLAB_IN pointing back to it; a powered-off bank's pages
 *   are in use and NONE;
 * - slabw is live (its class's LIVE bit) exactly at live slab starts, with
 *   no bit but its blocks, LIVE and the marks; no block is both free there
 *   and cached, and only a HELD slab has cached blocks;
 * - a live slab with a free block has its class's hint bit set;
 * - per zone, the bytes the counters say are live equal the bytes the
 *   page table and slab words say are in use (RUNTIME and BUFFER).
 */
#ifndef SMPH_INTERNAL_H
#define SMPH_INTERNAL_H

#include "atomics.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>

#include "bitmap.h"
#include "smpheap/platform.h"
#include "smpheap/smpheap.h"

#define SMPH_MAGIC 0x534d5048u /* "SMPH" */
#define SMPH_CACHE_LINE 64
#define SMPH_MIN_ALIGN 16u /* every block and system allocation */

#ifndef NDEBUG
#define smph_assert(c) ((c) ? (void)0 : __builtin_trap())
#else
#define smph_assert(c) ((void)0)
#endif

#define smph_likely(x) __builtin_expect(!!(x), 1)
#define smph_unlikely(x) __builtin_expect(!!(x), 0)

/* Owner of a bank, in bank_owner[]: which part of the heap it holds. */
#define SMPH_OWNER_CORE 0x0000u	  /* | core index: a core's system heap */
#define SMPH_OWNER_REGION 0x8000u /* | region index: a region of the pool */
#define SMPH_OWNER_INDEX 0x7fffu

/* A system heap's state word: the offset of its free space, and DOWN while
 * its core is down. One word so that core_down's reset and an allocation's
 * CAS cannot interleave. */
#define SMPH_SYS_DOWN ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* Operation counters of one zone, kept per core (updated with relaxed RMWs
 * by the threads acting as that core, on a line no other core writes) and
 * per thread slot (updated by the slot's one thread with relaxed loads and
 * stores: no RMW at all). Stats sums both. */
struct smph_counters {
	alignas(SMPH_CACHE_LINE) SMPH_ATOMIC(size_t) allocs; /* successful allocations */
	SMPH_ATOMIC(size_t) frees;			     /* successful frees */
	SMPH_ATOMIC(size_t)
	net;				   /* bytes handed out minus bytes given back (wraps: a
				      thread may free more than it allocated) */
	SMPH_ATOMIC(size_t) hwm;	   /* highest `net` seen, as a signed value */
	SMPH_ATOMIC(size_t) rising;	   /* 1 after a new hwm, until the next free */
	SMPH_ATOMIC(size_t) failures;	   /* allocations that returned NULL */
	SMPH_ATOMIC(size_t) bad_frees;	   /* rejected frees */
	SMPH_ATOMIC(size_t) poison_errors; /* poisoned blocks found written */
};

/* One core's system heap. */
struct smph_sys {
	alignas(SMPH_CACHE_LINE) SMPH_ATOMIC(size_t) state; /* offset | SMPH_SYS_DOWN */
	uintptr_t base;					    /* first byte (bank aligned) */
	size_t size;					    /* bytes */
	/* The system zone's counters of the threads acting as this core:
	 * here, not with the core's other zones, so that the bump finds them
	 * from the address it has. */
	struct smph_counters ctr;
};

/* Page table entries (uint32): kind in bits 0..1. */
#define SMPH_PT_NONE 0u	   /* free, inside a run, or in a powered-off bank */
#define SMPH_PT_RUN 1u	   /* a buffer run starts here; its pages in bits 8.. */
#define SMPH_PT_SLAB 2u	   /* a slab starts here; its class in bits 2..7, its word's index in 8.. */
#define SMPH_PT_SLAB_IN 3u /* inside a slab; pages back to its start in bits 8.. */
#define SMPH_PT_KIND(e) ((e)&3u)
/* A NONE entry a retired slab left: a free into its page is counted as the
 * runtime zone's (the pointer was a block's), until a run takes the page. */
#define SMPH_PT_NONE_WAS_SLAB (SMPH_PT_NONE | (1u << 2))
#define SMPH_PT_CLASS(e) (((e) >> 2) & 0x3fu)
#define SMPH_PT_DATA(e) ((e) >> 8)
#define SMPH_PT_MAX_DATA 0xffffffu
#define SMPH_PT_RUN_OF(n) (SMPH_PT_RUN | ((uint32_t)(n) << 8))
#define SMPH_PT_SLAB_OF(k) (SMPH_PT_SLAB | ((uint32_t)(k) << 2))
#define SMPH_PT_SLAB_IN_OF(d) (SMPH_PT_SLAB_IN | ((uint32_t)(d) << 8))

/* Geometry of one runtime class. */
struct smph_class_geom {
	uint32_t block_size;  /* bytes per block */
	uint32_t shift;	      /* block_size = odd << shift */
	uint32_t shift_mask;  /* (1 << shift) - 1: bits a block start's offset has 0 */
	uint32_t magic;	      /* ceil(2^16 / odd), 0 when odd == 1 */
	uint32_t align;	      /* natural alignment: 1 << shift, capped at 4096 */
	uint32_t cache_max;   /* word-claim cache cap (0: off) */
	uint32_t blocks;      /* blocks per slab, 1..SMPH_SLAB_MAX_BLOCKS */
	uint32_t pages;	      /* pages per slab */
	uint32_t align_pages; /* a slab starts on a multiple of this (granule, alignment) */
	uint32_t span;	      /* blocks * block_size: bytes of a slab's blocks */
	uint32_t tag;	      /* SMPH_PT_SLAB_OF(k): a slab start's page table entry */
	smph_word_t live;     /* the slab word's LIVE bit: bit `blocks` */
	smph_word_t full;     /* the slab's block bits: live - 1 */
	smph_word_t all;      /* live | full: the word of an all-free, unmarked slab */
};

#define SMPH_CUR_PINNED 0x80000000u

/* One core's state: online, its current slab per class, and its counters
 * per zone (next to `cur`, so that a fast path finds both from one
 * address). */
struct smph_core {
	alignas(SMPH_CACHE_LINE) SMPH_ATOMIC(unsigned) online; /* 1 while it is up */
	/* slab start page (| SMPH_CUR_PINNED if this core pinned it), or
	 * h->granules << h->gshift (an always-empty word) */
	SMPH_ATOMIC(uint32_t) cur[SMPHEAP_MAX_CLASSES];
	/* the threads acting as this core's, for RUNTIME and BUFFER (zone - 1;
	 * SYS's are with the core's system heap) */
	struct smph_counters ctr[SMPHEAP_ZONE_COUNT - 1];
};

/* The word-claim cache of one class in one thread slot. The slot's thread
 * holds at most one slab word per class: it took that word's free blocks * with one atomic
 * operation and hands them out (and takes back the ones it frees) with plain instructions. Other
 * threads free the word's blocks into *remote, which no one claims from; the slab's word gets bits
 * of a held slab only from its holder's give-back. Invariants: `bits` is what *cached says; * while
 * it holds the word, the word's HELD mark is set, so no other thread writes *cached and the slab is
 * not retired; a block is never free in the word and in a cache. */
struct smph_tcache_class {
	smph_word_t bits;		    /* free blocks held, 1 = free here */
	uintptr_t base;			    /* address of the held slab's block 0; h->end if none */
	smph_aword_t *cached;		    /* &h->cached[granule]: `bits` as others see it */
	smph_aword_t *leafword;		    /* &h->slabw[granule]: the slab's word */
	smph_aword_t *remote;		    /* &h->remote[granule]: other threads' frees */
	const struct smph_class_geom *geom; /* the class's geometry (in the heap) */
	uint32_t span;			    /* bytes of the held slab's blocks (0 if none) */
	uint32_t leaf;			    /* granule of the held slab, SMPH_NO_BIT if none */
	uint32_t held;			    /* popcount(bits) */
};

/* One thread slot of a heap: its counters and its caches. Written only by * the slot's thread;
 * stats reads the counters. */
struct smph_tcache {
	alignas(1024) struct smph_counters ctr[SMPHEAP_ZONE_COUNT]; /* single-writer counters */
	SMPH_ATOMIC(unsigned) core; /* core the thread acted as when it took its words */
	struct smph_tcache_class
	    *last; /* the class this thread used last: free looks there first */
	struct smph_tcache_class cls[SMPHEAP_MAX_CLASSES]; /* one held word per class */
};
#define SMPH_NO_CORE 0xffffffffu

#ifndef __cplusplus
_Static_assert(SMPHEAP_ZONE_SYS == 0, "a core's counters are of zones 1.. (smph_ctr())");
#endif

/* Real builds only: a model build's atomics (tests/model/) have other sizes,
 * and it never indexes slots by address. */
#ifndef SMPH_MODEL
_Static_assert((sizeof(struct smph_tcache) & (sizeof(struct smph_tcache) - 1)) == 0,
	       "a slot indexes with a shift");
#endif

/* One region of the pool. */
struct smph_region {
	uintptr_t base; /* first page (bank aligned) */
	uint32_t first; /* its first page in the pool */
	uint32_t pages; /* pages */
	uint32_t caps;	/* SMPHEAP_CAP_* */
	uint32_t zones; /* SMPHEAP_POOL_* */
	/* Its words of the pool's free-page bitmap, and its bits of the first
	 * and the last (precomputed for the one-word claims, pool.c). */
	uint32_t first_word, last_word;
	smph_word_t first_mask, last_mask;
};

struct smpheap {
	uint32_t magic; /* SMPH_MAGIC while the heap is usable */
	unsigned cores; /* layout->cores */
	/* Cores whose contexts take the inline fast paths: `cores`, or 0 on a
	 * platform declaring one context per core when it has more cores than
	 * the layout (two contexts would then act as one core). */
	unsigned fast_cores;
	bool one_context; /* each core's counters and bump offset have one writer */
	const struct smpheap_layout *layout;   /* as given to init; not owned */
	uintptr_t base;			       /* mem given to init */
	uintptr_t zones_base;		       /* first bank holding zone memory */
	uintptr_t end;			       /* one past the last zone byte */
	unsigned bank_shift;		       /* log2(bank size) */
	unsigned page_shift;		       /* log2(page size) */
	unsigned gshift;		       /* log2(pages per slab granule) */
	uint32_t gmask;			       /* smph_gidx(): words of granule arrays - 1 */
	uint32_t banks;			       /* banks from zones_base to end */
	uint16_t *bank_owner;		       /* per bank: SMPH_OWNER_* | index */
	SMPH_ATOMIC(unsigned char) * bank_off; /* per bank: 1 while powered off */
	uint32_t zone_caps[4];		       /* caps any region of the zone has; [3] stays 0 */
	size_t fast_max[4];		       /* sizes smpheap_alloc() serves inline, per zone */
	struct smph_sys *sys;		       /* [cores] */
	struct smph_core *core;		       /* [cores] */
	/* The pool: every region's pages, from pool_base. */
	uintptr_t pool_base;	    /* first page of region 0 */
	uint32_t pool_pages;	    /* pages from pool_base to the last region's end */
	uintptr_t pool_bytes;	    /* pool_pages << page_shift */
	uint32_t granules;	    /* pool_pages >> gshift, rounded up */
	SMPH_ATOMIC(uint32_t) * pt; /* [pool_pages] page table */
	smph_aword_t *pfree;	    /* [pool_pages bits] 1 = page free */
	smph_aword_t *slabw;	    /* block words at smph_gidx() ([granules]: always 0) */
	smph_aword_t *cached;	    /* [granules] blocks free in the holder's cache */
	smph_aword_t *remote;	    /* [granules] other threads' frees into a held slab */
	struct smph_bitmap2 hint[SMPHEAP_MAX_CLASSES]; /* per class, over granules */
	size_t quota[SMPHEAP_ZONE_COUNT];	       /* pool bytes a zone may hold, 0: any */
	SMPH_ATOMIC(size_t) held[SMPHEAP_ZONE_COUNT];  /* pool bytes held, with a quota */
	unsigned class_count;			       /* runtime classes */
	struct smph_tcache *tcache;		       /* [tcache_slots] thread slots */
	unsigned tcache_slots;	 /* 0: no slots (not registered, or bare metal) */
	bool cache_on;		 /* some class has cache_max > 0 */
	unsigned registry_index; /* where smph_heaps[] lists this heap */
	uint32_t max_block;	 /* largest runtime block size */
	uint8_t *size_class;	 /* [(max_block >> 4) + 1]: class by size */
	struct smph_class_geom geom[SMPHEAP_MAX_CLASSES];	/* runtime classes */
	unsigned region_count;					/* regions */
	struct smph_region regions[SMPHEAP_MAX_BUFFER_REGIONS]; /* regions */
	/* The regions each zone may draw from, in the order it tries them:
	 * those only it may use first, then shared ones (pool.c). */
	uint8_t zone_region[SMPHEAP_ZONE_COUNT][SMPHEAP_MAX_BUFFER_REGIONS];
	uint8_t zone_regions[SMPHEAP_ZONE_COUNT];
	SMPH_ATOMIC(size_t) peak[SMPHEAP_ZONE_COUNT]; /* sampled high-water marks */
	SMPH_ATOMIC(size_t) banks_off;		      /* banks powered off now */
	SMPH_ATOMIC(size_t) bank_release_count;	      /* banks powered off since init */
};

/* ---- helpers shared by the zone files ---- */

static inline struct smph_counters *smph_ctr(const struct smpheap *h, unsigned zone, unsigned core)
{
	return zone == SMPHEAP_ZONE_SYS ? &h->sys[core].ctr : &h->core[core].ctr[zone - 1];
}

/* A platform may hand lib/ its core id inline: SMPHEAP_PLATFORM_CORE_ID_INLINE
 * names a header defining smph_platform_core_id_inline(), the value of
 * smph_platform_core_id() with no call (the Xtensa platform's reads PRID). */
#ifdef SMPHEAP_PLATFORM_CORE_ID_INLINE
#include SMPHEAP_PLATFORM_CORE_ID_INLINE
#endif

/* The calling core as the platform's thread-local holds it, with no call:
 * may be SMPHEAP_SELF_UNSET or beyond the layout's cores, which a fast path
 * leaves to a slow path that calls smph_core(). */
static inline unsigned smph_core_ready(void)
{
#if defined(SMPHEAP_PLATFORM_SELF_TLS)
	return smph_platform_self.core;
#elif defined(SMPHEAP_PLATFORM_CORE_ID_INLINE)
	return smph_platform_core_id_inline();
#else
	return smph_platform_core_id();
#endif
}

/* The calling core, reduced to the layout's core count; out of line when
 * the platform's thread-local does not hold it ready. */
unsigned smph_core_slow(const struct smpheap *h);
static inline unsigned smph_core(const struct smpheap *h)
{
	unsigned c = smph_core_ready();

	return smph_likely(c < h->cores) ? c : smph_core_slow(h);
}

/* The calling thread's slot as the platform's thread-local holds it, with
 * no call: SMPHEAP_SELF_UNSET (never a valid slot) until the platform has
 * given this thread one. For fast paths that fall back to a slow path,
 * which calls smph_slot(), when it is not a slot. */
static inline unsigned smph_slot_ready(void)
{
#if defined(SMPHEAP_PLATFORM_SELF_TLS)
	return smph_platform_self.slot;
#elif defined(SMPHEAP_PLATFORM_NO_THREAD_SLOTS)
	return SMPHEAP_NO_THREAD_SLOT;
#else
	return smph_platform_thread_slot();
#endif
}

/* Thread slots of heap h: 0 whatever the heap says on a platform that
 * gives none (a constant, so that the fast paths drop their slot tests). */
static inline unsigned smph_slots(const struct smpheap *h)
{
#if defined(SMPHEAP_PLATFORM_NO_THREAD_SLOTS)
	(void)h;
	return 0;
#else
	return h->tcache_slots;
#endif
}

/* Whether some class of heap h has the word-claim cache on: never on a
 * platform that gives no thread slots (a constant there). */
static inline bool smph_cache_on(const struct smpheap *h)
{
#if defined(SMPHEAP_PLATFORM_NO_THREAD_SLOTS)
	(void)h;
	return false;
#else
	return h->cache_on;
#endif
}

/* The calling thread's slot (>= h->tcache_slots: none). */
static inline unsigned smph_slot(void)
{
#if defined(SMPHEAP_PLATFORM_NO_THREAD_SLOTS)
	return SMPHEAP_NO_THREAD_SLOT;
#elif defined(SMPHEAP_PLATFORM_SELF_TLS)
	unsigned s = smph_platform_self.slot;

	return smph_likely(s != SMPHEAP_SELF_UNSET) ? s : smph_platform_thread_slot();
#else
	return smph_platform_thread_slot();
#endif
}

static inline size_t smph_align_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static inline bool smph_is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

/* Counting. Peak sampling is out of line (stats.c), on a new local high. */

/* Who counts an operation: the calling thread's slot (one writer: plain
 * relaxed load and store) or, with no slot, the calling core (RMWs). */
struct smph_tally {
	struct smph_counters *k; /* zone counters to update */
	bool single;		 /* k has one writer: no RMW needed */
};

/* A platform may declare one allocating context per core
 * (SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE, the Xtensa build: no allocation or
 * free from an interrupt handler or from a thread preempting another on the
 * same core, and a thread acts only as the core it runs on). Then each
 * core's counters have one writer, its own context, and are counted with
 * relaxed loads and stores, like a thread slot's; and a system heap's bump
 * offset has one writer too (system.c). */
#ifdef SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE
#define SMPH_CORE_SINGLE_WRITER true
#else
#define SMPH_CORE_SINGLE_WRITER false
#endif

/* Whether heap h's per-core counters and bump offsets have one writer
 * each: the platform's declaration, if it holds for h's layout (init.c).
 * The fast paths run only where it holds (fast_cores) and use the
 * constant; the slow paths ask the heap. */
static inline bool smph_core_single(const struct smpheap *h)
{
	return SMPH_CORE_SINGLE_WRITER && h->one_context;
}

static inline struct smph_tally smph_tally(const struct smpheap *h, unsigned zone, unsigned core,
					   unsigned slot)
{
	if (smph_likely(slot < smph_slots(h)))
		return (struct smph_tally){&h->tcache[slot].ctr[zone], true};
	return (struct smph_tally){smph_ctr(h, zone, core), smph_core_single(h)};
}

/* As smph_tally(), on a fast path: core < h->fast_cores, where the
 * platform's declaration holds, so the constant answers. */
static inline struct smph_tally smph_fast_tally(const struct smpheap *h, unsigned zone,
						unsigned core, unsigned slot)
{
	if (smph_likely(slot < smph_slots(h)))
		return (struct smph_tally){&h->tcache[slot].ctr[zone], true};
	return (struct smph_tally){smph_ctr(h, zone, core), SMPH_CORE_SINGLE_WRITER};
}

/* Adds v to a counter and returns the new value. */
static inline size_t smph_add(SMPH_ATOMIC(size_t) * c, size_t v, bool single)
{
	if (single) {
		size_t n = smph_load(c, smph_relaxed) + v;

		smph_store(c, n, smph_relaxed);
		return n;
	}
	return smph_fetch_add(c, v, smph_relaxed) + v;
}

/* Counts a successful allocation of `bytes` (0 for SYS, whose bytes are read
 * off the bump offsets). Returns p, so a fast path can end in it. */
void *smph_count_new_high(struct smpheap *h, unsigned zone, struct smph_counters *k, size_t net,
			  void *p);
/* The counts of a successful RUNTIME or BUFFER allocation of `bytes` in t;
 * returns `net` after it. */
static inline __attribute__((always_inline)) size_t smph_count_alloc_bytes(struct smph_tally t,
									   size_t bytes)
{
	smph_add(&t.k->allocs, 1, t.single);
	return smph_add(&t.k->net, bytes, t.single);
}

/* Whether `net` passed t's high, which the caller then records
 * (smph_count_new_high(), or a fast path's token for it). */
static inline __attribute__((always_inline)) bool smph_count_rose(struct smph_tally t, size_t net)
{
	return smph_unlikely((intptr_t)net > (intptr_t)smph_load(&t.k->hwm, smph_relaxed));
}

static inline void *smph_count_alloc(struct smpheap *h, unsigned zone, struct smph_tally t,
				     size_t bytes, void *p)
{
	size_t net;

	if (zone == SMPHEAP_ZONE_SYS) {
		smph_add(&t.k->allocs, 1, t.single);
		return p;
	}
	net = smph_count_alloc_bytes(t, bytes);
	if (smph_count_rose(t, net))
		return smph_count_new_high(h, zone, t.k, net, p);
	return p;
}

/* Counts a successful free of `bytes`; returns 0 so a fast path can end in
 * it. The first free after a new high samples the zone's peak, out of line
 * (a tail call keeps the inline path free of saved registers). */
int smph_count_free_at_max(struct smpheap *h, unsigned zone, struct smph_tally t, size_t bytes);
/* The counts of a successful free of `bytes` in t, once its `rising` was
 * seen clear. */
static inline __attribute__((always_inline)) void smph_count_free_counts(struct smph_tally t,
									 size_t bytes)
{
	smph_add(&t.k->frees, 1, t.single);
	smph_add(&t.k->net, (size_t)0 - bytes, t.single);
}

static inline int smph_count_free(struct smpheap *h, unsigned zone, struct smph_tally t,
				  size_t bytes)
{
	if (smph_unlikely(smph_load(&t.k->rising, smph_relaxed)))
		return smph_count_free_at_max(h, zone, t, bytes);
	smph_count_free_counts(t, bytes);
	return 0;
}
void smph_count_resize(struct smpheap *h, unsigned zone, struct smph_tally t, size_t old_bytes,
		       size_t new_bytes);
void smph_count_failure(struct smpheap *h, unsigned zone);
void smph_sample_peak(struct smpheap *h, unsigned zone);
int smph_count_bad_free(struct smpheap *h, unsigned zone, int err);
/* n runtime frees of `block_size` bytes that returned 0 were double frees,
 * found later (tcache.h): counts them as bad and gives their bytes back to
 * `used`. */
void smph_count_late_double_frees(struct smpheap *h, unsigned n, size_t block_size);

/* Moves system heap s's offset from *cur to end: true if it did, else
 * false with *cur the offset seen. `single`: the offset has one writer
 * (smph_core_single()). */
static inline bool smph_sys_advance(struct smph_sys *s, size_t *cur, size_t end, bool single)
{
	if (single) {
		/* A relaxed store, no CAS: the offset's one writer is its
		 * core's one context, and core_down's reset runs only while
		 * that core is parked (its contract: no allocation as the core
		 * meanwhile), which orders this store before the reset's
		 * exchange. */
		smph_store(&s->state, end, smph_relaxed);
		return true;
	}
	/* Relaxed on both sides: system memory is fresh (never handed out
	 * before in this up-period), so there is no previous owner whose
	 * writes we must see; the CAS only decides who gets which bytes. */
	return smph_cas_weak(&s->state, cur, end, smph_relaxed, smph_relaxed);
}

/* Pool pages [lo, hi) that may have come free: a search after a reclaim
 * looks only where a run could include one of them. */
struct smph_window {
	uint32_t lo, hi;
};

/* Zones. Each returns NULL (or an error) without counting; alloc.c counts. */
void *smph_sys_alloc(struct smpheap *h, unsigned core, size_t size, size_t align);
/* core_down's reset of a system heap: offset 0 and DOWN, in one exchange
 * that makes every racing allocation's CAS fail. Returns the offset the
 * heap had (every allocation that succeeded ends at or below it). */
size_t smph_sys_reset(struct smph_sys *s);
/* core_up's restart: offset 0, serving again. */
void smph_sys_restart(struct smph_sys *s);
size_t smph_runtime_block_size(const struct smpheap *h, uintptr_t p, bool *live);
/* A run of pages (overlapping w, if not NULL: smph_pool_claim()). */
void *smph_buffer_alloc(struct smpheap *h, uint32_t caps, size_t size, size_t align,
			const struct smph_window *w, size_t *bytes);
/* Frees the run starting at pool page i: 0, -EINVAL, -EALREADY. */
int smph_buffer_free(struct smpheap *h, uint32_t i, size_t *bytes);
size_t smph_buffer_run_bytes(const struct smpheap *h, uint32_t i);
/* Resizes the live run at pool page i in place: 0, -ENOMEM (the pages after
 * it are taken), -EINVAL (not a run start) or -EALREADY (a free page). */
int smph_buffer_resize(struct smpheap *h, uint32_t i, size_t size, size_t *old_bytes,
		       size_t *new_bytes);

/* ---- the pool (pool.c) ---- */

/* Lists, for each zone, the regions it may draw from in the order a claim
 * tries them (zone_region), and each region's words of the bitmap; once,
 * after the regions are set. */
void smph_pool_order(struct smpheap *h);

/* Claims n free pages starting at a multiple of align_pages in a region
 * that `zone` may draw from and that has `caps`, within the zone's quota,
 * and (w not NULL) overlapping w; returns the first page or SMPH_NO_BIT.
 * The pages are the caller's. */
uint32_t smph_pool_claim(struct smpheap *h, unsigned zone, uint32_t caps, uint32_t n,
			 uint32_t align_pages, const struct smph_window *w);
/* Gives the caller's pages [i, i+n) back to the pool (release). Their page
 * table entries must be NONE already. */
void smph_pool_release(struct smpheap *h, unsigned zone, uint32_t i, uint32_t n);
/* Charges / refunds `bytes` against the zone's quota: false if over. */
bool smph_pool_charge(struct smpheap *h, unsigned zone, size_t bytes);
void smph_pool_refund(struct smpheap *h, unsigned zone, size_t bytes);
/* Powers every fully free bank of the pool off, after a grace period;
 * returns how many. */
int smph_pool_sweep(struct smpheap *h);
/* Powers every bank the sweep took back on and returns its pages to the
 * pool; true if there was one. Called before the pool reports exhaustion. */
bool smph_pool_wake(struct smpheap *h);

/* Where a pointer lies. */
enum smph_where {
	SMPH_AT_FOREIGN, /* outside the zones */
	SMPH_AT_SYS,	 /* in a system heap */
	SMPH_AT_GAP,	 /* in a system heap's bank but past the heap (padding) */
	SMPH_AT_POOL,	 /* in a region's pages: the page table says more */
};

/* Where p lies, from the bank table; *index gets the core or region. */
static inline enum smph_where smph_locate(const struct smpheap *h, uintptr_t p, unsigned *index)
{
	uint16_t owner;
	unsigned c;

	if (smph_unlikely(p < h->zones_base || p >= h->end))
		return SMPH_AT_FOREIGN;
	owner = h->bank_owner[(p - h->zones_base) >> h->bank_shift];
	*index = owner & SMPH_OWNER_INDEX;
	if (owner & SMPH_OWNER_REGION)
		return SMPH_AT_POOL;
	c = *index;
	if (p - h->sys[c].base < h->sys[c].size)
		return SMPH_AT_SYS;
	return SMPH_AT_GAP;
}

/* Index of granule gi's words in slabw[], cached[] and remote[]: granules
 * next to each other (slabs cut one after another, often for different
 * cores) land a line and a word apart, so that cores claiming and freeing in
 * their own current slabs do not share a line of slab words. The arrays
 * have gmask + 1 words, a power of two; an odd stride is a bijection
 * modulo that. */
#define SMPH_LINE_WORDS (SMPH_CACHE_LINE / (unsigned)sizeof(smph_word_t))
static inline uint32_t smph_gidx(const struct smpheap *h, uint32_t gi)
{
	return (gi * (SMPH_LINE_WORDS + 1)) & h->gmask;
}

/* Pool page of p, or SMPH_NO_BIT if p is not in the pool's page space. */
static inline uint32_t smph_pool_page(const struct smpheap *h, uintptr_t p)
{
	uintptr_t off = p - h->pool_base;

	return smph_likely(off < h->pool_bytes) ? (uint32_t)(off >> h->page_shift) : SMPH_NO_BIT;
}

static inline uintptr_t smph_page_addr(const struct smpheap *h, uint32_t page)
{
	return h->pool_base + ((uintptr_t)page << h->page_shift);
}

/* The slab start page for page table entry e at page `page` (a SLAB or
 * SLAB_IN entry), and its entry in *start_entry. Relaxed: for a live block
 * the entries were written before the block was handed out (and the hand-out
 * to whoever frees it synchronises); for anything else the answer is
 * checked against the slab word. */
static inline uint32_t smph_slab_start(const struct smpheap *h, uint32_t page, uint32_t e,
				       uint32_t *start_entry)
{
	if (SMPH_PT_KIND(e) == SMPH_PT_SLAB_IN) {
		page -= SMPH_PT_DATA(e);
		e = smph_load(&h->pt[page], smph_relaxed);
	}
	*start_entry = e;
	return page;
}

/* q / odd for q = i * odd, i < 64, given magic = ceil(2^16 / odd): a 32-bit
 * product (q < 2^16: a slab's blocks span at most 1 MiB, in units of 16
 * bytes or more), so no 64-bit multiply, which is a library call on cores
 * without a high-half multiply (lx106). Exact: q * magic = i * 2^16 + i * e
 * with e = magic * odd - 2^16 < odd <= 15, and i * e < 2^16. */
static inline uint32_t smph_div_odd(uint32_t q, uint32_t magic)
{
	return (q * magic) >> 16;
}

/* A slab start's page table entry: its class's tag, and in the data bits
 * the index of its block word in slabw[] (smph_gidx() of its granule), so
 * that a free that has the entry finds the word with no arithmetic. */
static inline uint32_t smph_slab_entry(const struct smpheap *h, const struct smph_class_geom *g,
				       uint32_t s)
{
	return g->tag | smph_gidx(h, s >> h->gshift) << 8;
}

/* Whether page table entry e is the start of a slab of class g. */
static inline bool smph_slab_entry_is(uint32_t e, const struct smph_class_geom *g)
{
	return (e & 0xffu) == g->tag;
}

/* rel / block_size if `rel` is a multiple of class g's block size, else
 * SMPH_NO_BIT. */
static inline uint32_t smph_block_div(const struct smph_class_geom *g, uintptr_t rel)
{
	uint32_t q = (uint32_t)(rel >> g->shift), idx;

	if (smph_unlikely(rel & g->shift_mask))
		return SMPH_NO_BIT;
	/* q / odd by multiplication; exact for every block start (proved for
	 * the layout by smpheap_init()). The product check rejects the rest. */
	if (!g->magic)
		return q;
	idx = smph_div_odd(q, g->magic);
	if (smph_unlikely(idx * (g->block_size >> g->shift) != q))
		return SMPH_NO_BIT;
	return idx;
}

/* Block index of offset `rel` into a slab of class `g`, or SMPH_NO_BIT if
 * `rel` is not the start of one of its blocks. */
static inline uint32_t smph_block_index(const struct smph_class_geom *g, uintptr_t rel)
{
	if (smph_unlikely(rel >= g->span))
		return SMPH_NO_BIT;
	return smph_block_div(g, rel);
}

/* A token of a fast path (alloc.c) holds a slab's granule from this bit
 * up: smpheap_init() refuses a pool with more granules than that. */
#define SMPH_TOKEN_GRANULE_SHIFT 11

/* Poisoning (SMPHEAP_POISON builds): the fast paths leave every operation
 * to the paths that poison and check. */
#ifdef SMPHEAP_POISON
#define SMPH_POISONING 1
#else
#define SMPH_POISONING 0
#endif
/* Poisoning (SMPHEAP_POISON builds). */
#ifdef SMPHEAP_POISON
#define SMPH_POISON_BYTE 0xdb
void smph_poison(void *p, size_t n);
bool smph_poison_intact(const void *p, size_t n);
#endif

#endif /* SMPH_INTERNAL_H */
