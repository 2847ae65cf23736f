/* internal.h - the heap's private state, shared by the files of lib/.
 *
 * Public names start with smpheap_, internal ones with smph_.
 *
 * Memory, as smpheap_init() lays it out (see plan.c-style comments in init.c):
 *
 *   base                                   zones_base (bank aligned)
 *   | struct smpheap | metadata arrays ... | core 0: sys | shard | core 1 ... | buffer regions |
 *
 * Each core's group (its system heap, then its runtime shard) starts on a bank
 * boundary, so that powering off a down core's banks touches no one else's
 * memory; each buffer region starts on a bank boundary too. All metadata
 * (bitmaps, counters) sits before zones_base, never inside a block.
 *
 * Invariants (smpheap_check() walks them):
 * - a system heap's offset never exceeds its size; a down core's is 0;
 * - in every runtime bitmap a leaf with a free bit has its summary bit set,
 *   and no bit is set past the last block;
 * - in a buffer region every page marked as a run start or end is in use, a
 *   run start is followed (at or after it) by its end before the next start,
 *   and every page in use belongs to exactly one run;
 * - per zone, the bytes the counters say are live equal the bytes the
 *   bitmaps say are in use (RUNTIME and BUFFER).
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
#define SMPH_MIN_ALIGN 16u   /* every block and system allocation */
#define SMPH_GRANULE_SHIFT 8 /* class areas in a shard start on 256-byte granules */

#ifndef NDEBUG
#define smph_assert(c) ((c) ? (void)0 : __builtin_trap())
#else
#define smph_assert(c) ((void)0)
#endif

#define smph_likely(x) __builtin_expect(!!(x), 1)
#define smph_unlikely(x) __builtin_expect(!!(x), 0)

/* Owner of a bank, in bank_owner[]: which part of the heap it holds. */
#define SMPH_OWNER_CORE 0x0000u	  /* | core index: a core group (system heap + shard) */
#define SMPH_OWNER_REGION 0x8000u /* | region index: a buffer region */
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
};

/* Geometry of one runtime class, the same in every shard. */
struct smph_class_geom {
	uint32_t offset;     /* start of the class's blocks within a shard */
	uint32_t block_size; /* bytes per block */
	uint32_t count;	     /* blocks per shard */
	uint32_t shift;	     /* block_size = odd << shift */
	uint32_t magic;	     /* ceil(2^32 / odd), 0 when odd == 1 */
	uint32_t align;	     /* natural alignment: 1 << shift, capped at 4096 */
	uint32_t cache_max;  /* word-claim cache cap (0: off) */
	uint32_t bytes;	     /* block_size * count: the class's span in a shard */
};

/* One core's runtime shard. Aligned to its (power-of-two) size so that
 * indexing the array is a shift. */
struct smph_shard {
	alignas(1024) SMPH_ATOMIC(unsigned) online;  /* 1 while it serves allocations */
	uintptr_t base;				     /* first block of class 0 */
	struct smph_bitmap2 bm[SMPHEAP_MAX_CLASSES]; /* free blocks per class */
	smph_aword_t *cached[SMPHEAP_MAX_CLASSES];   /* per leaf: blocks free in a thread cache */
	smph_aword_t *remote[SMPHEAP_MAX_CLASSES];   /* per leaf: blocks other threads freed
							into a held word (tcache.h) */
	smph_aword_t *holder[SMPHEAP_MAX_CLASSES];   /* per leaf, 1 bit: held by a thread cache */
};

/* The word-claim cache of one class in one thread slot. The slot's thread
 * holds at most one leaf word per class: it took that word's free blocks
 * with one atomic operation and hands them out (and takes back the ones it
 * frees) with plain instructions. Invariants: `bits` is what *cached says;
 * while it holds the word, its holder bit is set, so no other thread writes
 * *cached, and other threads free the word's blocks into *remote, which no
 * one claims from; the leaf gets bits of a held word only from its holder's
 * give-back; a block is never free in the leaf and in a cache or *remote;
 * only the slot's own thread touches its cache; the word is in the shard of
 * the core the slot's thread acts as (smph_tcache.core). */
struct smph_tcache_class {
	smph_word_t bits;		    /* free blocks held, 1 = free here */
	uintptr_t base;			    /* address of the held word's block 0; h->end if none */
	smph_aword_t *cached;		    /* &shard->cached[k][leaf]: `bits` as others see it */
	smph_aword_t *leafword;		    /* &shard->bm[k].leaf[leaf]: the word in the shard */
	smph_aword_t *remote;		    /* &shard->remote[k][leaf]: other threads' frees */
	const struct smph_class_geom *geom; /* the class's geometry (in the heap) */
	uint32_t span;			    /* bytes of the held word's blocks (0 if none) */
	uint32_t leaf;			    /* leaf word held, SMPH_NO_BIT if none */
	uint32_t held;			    /* popcount(bits) */
};

/* One thread slot of a heap: its counters and its caches. Written only by
 * the slot's thread; stats reads the counters. */
struct smph_tcache {
	alignas(1024) struct smph_counters ctr[SMPHEAP_ZONE_COUNT]; /* single-writer counters */
	SMPH_ATOMIC(unsigned) core; /* shard the held words are in (SMPH_NO_CORE: none) */
	struct smph_tcache_class
	    *last; /* the class this thread used last: free looks there first */
	struct smph_tcache_class cls[SMPHEAP_MAX_CLASSES]; /* one held word per class */
};
#define SMPH_NO_CORE 0xffffffffu

/* Real builds only: a model build's atomics (tests/model/) have other sizes,
 * and it never indexes shards or slots by address. */
#ifndef SMPH_MODEL
_Static_assert((sizeof(struct smph_shard) & (sizeof(struct smph_shard) - 1)) == 0,
	       "a shard indexes with a shift");
_Static_assert((sizeof(struct smph_tcache) & (sizeof(struct smph_tcache) - 1)) == 0,
	       "a slot indexes with a shift");
#endif

/* One buffer region. */
struct smph_region {
	uintptr_t base;	     /* first page (bank aligned) */
	uint32_t pages;	     /* pages */
	uint32_t caps;	     /* SMPHEAP_CAP_* */
	smph_aword_t *free;  /* 1 = page free */
	smph_aword_t *start; /* 1 = a run starts at this page */
	smph_aword_t *end;   /* 1 = a run ends at this page (its last page) */
};

struct smpheap {
	uint32_t magic;			     /* SMPH_MAGIC while the heap is usable */
	unsigned cores;			     /* layout->cores */
	const struct smpheap_layout *layout; /* as given to init; not owned */
	uintptr_t base;			     /* mem given to init */
	uintptr_t zones_base;		     /* first bank holding zone memory */
	uintptr_t end;			     /* one past the last zone byte */
	unsigned bank_shift;		     /* log2(bank size) */
	unsigned page_shift;		     /* log2(page size) */
	uint32_t banks;			     /* banks from zones_base to end */
	uint16_t *bank_owner;		     /* per bank: SMPH_OWNER_* | index */
	uint8_t *bank_off;		     /* per bank: 1 while powered off */
	uint32_t zone_caps[4];		     /* caps any region of the zone has; [3] stays 0 */
	size_t fast_max[4];		     /* sizes smpheap_alloc() serves inline, per zone */
	struct smph_sys *sys;		     /* [cores] */
	uintptr_t *group_end;		     /* [cores] end of each core group */
	struct smph_shard *shards;	     /* [cores] */
	unsigned class_count;		     /* runtime classes */
	struct smph_tcache *tcache;	     /* [tcache_slots] thread slots */
	unsigned tcache_slots;		     /* 0: no slots (not registered, or bare metal) */
	bool cache_on;			     /* some class has cache_max > 0 */
	unsigned registry_index;	     /* where smph_heaps[] lists this heap */
	uint32_t shard_bytes;		     /* bytes of blocks per shard */
	uint32_t max_block;		     /* largest runtime block size */
	uint8_t *size_class;		     /* [(max_block >> 4) + 1]: class by size */
	uint8_t *granule_class;		     /* [shard_bytes >> 8]: class by shard offset */
	struct smph_class_geom geom[SMPHEAP_MAX_CLASSES];	/* runtime classes */
	unsigned region_count;					/* buffer regions */
	struct smph_region regions[SMPHEAP_MAX_BUFFER_REGIONS]; /* buffer regions */
	struct smph_counters *counters;				/* [ZONE_COUNT * cores] */
	SMPH_ATOMIC(size_t) peak[SMPHEAP_ZONE_COUNT];		/* sampled high-water marks */
	SMPH_ATOMIC(size_t) banks_off;				/* banks powered off now */
	SMPH_ATOMIC(size_t) bank_release_count;			/* banks powered off since init */
};

/* ---- helpers shared by the zone files ---- */

static inline struct smph_counters *smph_ctr(const struct smpheap *h, unsigned zone, unsigned core)
{
	return &h->counters[zone * h->cores + core];
}

/* The calling core, reduced to the layout's core count; out of line when
 * the platform's thread-local does not hold it ready. */
unsigned smph_core_slow(const struct smpheap *h);
static inline unsigned smph_core(const struct smpheap *h)
{
#ifdef SMPHEAP_PLATFORM_SELF_TLS
	unsigned c = smph_platform_self.core;
#else
	unsigned c = smph_platform_core_id();
#endif

	return smph_likely(c < h->cores) ? c : smph_core_slow(h);
}

/* The calling core as the platform's thread-local holds it, with no call:
 * may be SMPHEAP_SELF_UNSET or beyond the layout's cores, which a fast path
 * leaves to a slow path that calls smph_core(). */
static inline unsigned smph_core_ready(void)
{
#ifdef SMPHEAP_PLATFORM_SELF_TLS
	return smph_platform_self.core;
#else
	return smph_platform_core_id();
#endif
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

static inline struct smph_tally smph_tally(const struct smpheap *h, unsigned zone, unsigned core,
					   unsigned slot)
{
	if (smph_likely(slot < h->tcache_slots))
		return (struct smph_tally){&h->tcache[slot].ctr[zone], true};
	return (struct smph_tally){smph_ctr(h, zone, core), false};
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
static inline void *smph_count_alloc(struct smpheap *h, unsigned zone, struct smph_tally t,
				     size_t bytes, void *p)
{
	size_t net;

	smph_add(&t.k->allocs, 1, t.single);
	if (zone == SMPHEAP_ZONE_SYS)
		return p;
	net = smph_add(&t.k->net, bytes, t.single);
	if (smph_unlikely((intptr_t)net > (intptr_t)smph_load(&t.k->hwm, smph_relaxed)))
		return smph_count_new_high(h, zone, t.k, net, p);
	return p;
}

/* Counts a successful free of `bytes`; returns 0 so a fast path can end in
 * it. The first free after a new high samples the zone's peak, out of line
 * (a tail call keeps the inline path free of saved registers). */
int smph_count_free_at_max(struct smpheap *h, unsigned zone, struct smph_tally t, size_t bytes);
static inline int smph_count_free(struct smpheap *h, unsigned zone, struct smph_tally t,
				  size_t bytes)
{
	if (smph_unlikely(smph_load(&t.k->rising, smph_relaxed)))
		return smph_count_free_at_max(h, zone, t, bytes);
	smph_add(&t.k->frees, 1, t.single);
	smph_add(&t.k->net, (size_t)0 - bytes, t.single);
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

/* Zones. Each returns NULL (or an error) without counting; alloc.c counts. */
void *smph_sys_alloc(struct smpheap *h, unsigned core, size_t size, size_t align);
/* core_down's reset of a system heap: offset 0 and DOWN, in one exchange
 * that makes every racing allocation's CAS fail. Returns the offset the
 * heap had (every allocation that succeeded ends at or below it). */
size_t smph_sys_reset(struct smph_sys *s);
/* core_up's restart: offset 0, serving again. */
void smph_sys_restart(struct smph_sys *s);
size_t smph_runtime_block_size(const struct smpheap *h, uintptr_t p, bool *live);
void *smph_buffer_alloc(struct smpheap *h, uint32_t caps, size_t size, size_t align, size_t *bytes);
int smph_buffer_free(struct smpheap *h, unsigned region, uintptr_t p, size_t *bytes);
size_t smph_buffer_run_bytes(const struct smpheap *h, uintptr_t p);
/* Resizes the live run at p in place: 0, -ENOMEM (the pages after it are
 * taken), -EINVAL (not a run start) or -EALREADY (a free page). */
int smph_buffer_resize(struct smpheap *h, uintptr_t p, size_t size, size_t *old_bytes,
		       size_t *new_bytes);

/* Where a pointer lies. */
enum smph_where {
	SMPH_AT_FOREIGN, /* outside the zones */
	SMPH_AT_SYS,	 /* in a system heap */
	SMPH_AT_SHARD,	 /* in a runtime shard's blocks */
	SMPH_AT_GAP,	 /* in a core group but in no heap (padding) */
	SMPH_AT_REGION,	 /* in a buffer region */
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
		return SMPH_AT_REGION;
	c = *index;
	if (smph_likely(p - h->shards[c].base < h->shard_bytes))
		return SMPH_AT_SHARD;
	if (p - h->sys[c].base < h->sys[c].size)
		return SMPH_AT_SYS;
	return SMPH_AT_GAP;
}

/* rel / block_size if `rel` is a multiple of class g's block size, else
 * SMPH_NO_BIT. */
static inline uint32_t smph_block_div(const struct smph_class_geom *g, uintptr_t rel)
{
	uint32_t q = (uint32_t)(rel >> g->shift), idx;

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

/* Block index of offset `rel` into class `g`'s blocks, or SMPH_NO_BIT if
 * `rel` is not the start of one of its blocks (an offset before the class's
 * first block wraps to a huge `rel` and is rejected too). */
static inline uint32_t smph_block_index(const struct smph_class_geom *g, uintptr_t rel)
{
	if (smph_unlikely(rel >= g->bytes))
		return SMPH_NO_BIT;
	return smph_block_div(g, rel);
}

/* Runtime shard geometry helpers for hotplug. */
bool smph_runtime_range_free(const struct smpheap *h, unsigned core, uintptr_t lo, uintptr_t hi);

/* Poisoning (SMPHEAP_POISON builds). */
#ifdef SMPHEAP_POISON
#define SMPH_POISON_BYTE 0xdb
void smph_poison(void *p, size_t n);
bool smph_poison_intact(const void *p, size_t n);
#endif

#endif /* SMPH_INTERNAL_H */
