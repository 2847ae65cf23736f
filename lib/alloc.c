/* alloc.c - the public entry points: argument checks, zone dispatch, counting.
 *
 * smpheap_alloc() and smpheap_free() are each a fast path that calls
 * nothing (so it has no stack frame) and a finish for whatever it leaves,
 * with a token that says what it did (below); on Xtensa smpheap.h inlines
 * the pair into each caller:
 *
 *   smpheap_runtime_fast  the thread's held word (no atomic RMW), else one
 *                         CAS in the core's current slab
 *   smpheap_sys_fast      one CAS (a store, one context per core) on the
 *                         core's bump offset
 *   smpheap_free_fast     the held word the thread used last, else the page
 *                         table entry of the block's page and one OR
 *   smpheap_alloc_finish  alloc_slow: a new word, refill (runtime.c), the
 *                         last try; alloc_claimed: a stale slab, a last block
 *   smpheap_free_finish   free_located: any pointer, classified (the held
 *                         word of its class, a buffer run, a retired slab,
 *                         free_rejected for the rest); free_freed: an
 *                         unusual OR (double free, empty or all-free slab)
 *   the buffer zone       alloc_buffer: a run of pages (buffer.c)
 *   anything else         smpheap_alloc_aligned: every check, every zone
 *
 * Every rejected request is counted in the zone's stats and answered with
 * NULL or an error code; nothing here touches a block's memory except
 * realloc's copy and the optional poisoning.
 */
#include <errno.h>

#include "runtime.h"

static bool heap_ok(const struct smpheap *h)
{
	return h && h->magic == SMPH_MAGIC;
}

#ifdef SMPHEAP_POISON
void smph_poison(void *p, size_t n)
{
	__builtin_memset(p, SMPH_POISON_BYTE, n);
}

bool smph_poison_intact(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != SMPH_POISON_BYTE)
			return false;
	return true;
}

/* A block fresh from the free pool should still hold the poison written when
 * it was freed; anything else is a write after free. Counted, not fatal. */
static void check_poison(struct smpheap *h, unsigned zone, unsigned core, const void *p, size_t n)
{
	if (!smph_poison_intact(p, n))
		atomic_fetch_add_explicit(&smph_ctr(h, zone, core)->poison_errors, 1,
					  memory_order_relaxed);
}
#endif

unsigned smph_core_slow(const struct smpheap *h)
{
	return smph_platform_core_id() % h->cores;
}

/* The counters the caller updates (its slot's, else its core's). */
static inline struct smph_tally caller_tally(struct smpheap *h, unsigned zone, unsigned slot)
{
	if (smph_likely(slot < smph_slots(h)))
		return (struct smph_tally){&h->tcache[slot].ctr[zone], true};
	return (struct smph_tally){smph_ctr(h, zone, smph_core(h)), smph_core_single(h)};
}

/* Before a runtime allocation fails, the caller gives back its own cached
 * blocks (they may be the only free ones) and tries once more. */
static void *runtime_last_try(struct smpheap *h, unsigned core, unsigned slot, size_t size,
			      size_t align, size_t *bytes)
{
	if (slot >= smph_slots(h) ||
	    atomic_load_explicit(&h->tcache[slot].core, memory_order_relaxed) == SMPH_NO_CORE)
		return NULL;
	smph_tcache_flush(h, &h->tcache[slot]);
	return smph_runtime_alloc(h, core, slot, size, align, bytes);
}

/* Before a buffer allocation fails: the runtime zone's empty current slabs
 * and the caller's own cached words may be what holds the shared pool's
 * pages; they go back, and the claim is tried once more. */
static void *buffer_last_try(struct smpheap *h, unsigned slot, uint32_t caps, size_t size,
			     size_t align, size_t *bytes)
{
	struct smph_window back;
	bool more = smph_runtime_reclaim(h, &back);

	/* A run there now must take pages the reclaim gave back; a flushed
	 * cache may give back slabs anywhere. */
	if (slot < smph_slots(h) &&
	    smph_load(&h->tcache[slot].core, smph_relaxed) != SMPH_NO_CORE) {
		smph_tcache_flush(h, &h->tcache[slot]);
		return smph_buffer_alloc(h, caps, size, align, NULL, bytes);
	}
	return more ? smph_buffer_alloc(h, caps, size, align, &back, bytes) : NULL;
}

void *smpheap_alloc_aligned(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size,
			    size_t align)
{
	unsigned core, slot;
	size_t bytes = 0;
	void *p = NULL;

	if (!heap_ok(h))
		return NULL;
	core = smph_core(h);
	slot = smph_slot();
	if ((unsigned)zone >= SMPHEAP_ZONE_COUNT) {
		/* No zone to blame: requests naming none count as runtime. */
		smph_count_failure(h, SMPHEAP_ZONE_RUNTIME);
		return NULL;
	}
	if (smph_unlikely(size == 0 || !smph_is_pow2(align) || size > SIZE_MAX - align ||
			  (caps & ~h->zone_caps[zone]) || align > h->layout->bank_size))
		goto fail;
	if (align < SMPH_MIN_ALIGN)
		align = SMPH_MIN_ALIGN;
	switch (zone) {
	case SMPHEAP_ZONE_SYS:
		p = smph_sys_alloc(h, core, size, align);
		bytes = smph_align_up(size, SMPH_MIN_ALIGN);
		break;
	case SMPHEAP_ZONE_RUNTIME:
		if (size <= h->max_block) {
			p = smph_runtime_alloc(h, core, slot, size, align, &bytes);
			if (!p)
				p = runtime_last_try(h, core, slot, size, align, &bytes);
		}
		break;
	case SMPHEAP_ZONE_BUFFER:
		p = smph_buffer_alloc(h, caps, size, align, NULL, &bytes);
		if (!p)
			p = buffer_last_try(h, slot, caps, size, align, &bytes);
		break;
	}
	if (smph_unlikely(!p))
		goto fail;
#ifdef SMPHEAP_POISON
	if (zone != SMPHEAP_ZONE_SYS)
		check_poison(h, zone, core, p, bytes);
#endif
	return smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), bytes, p);
fail:
	smph_count_failure(h, zone);
	return NULL;
}

/* Everything smpheap_alloc() does not finish inline: a new word for the
 * thread's cache, a current slab that has run dry (refill), stealing, the
 * system zone's CAS retries, a thread new to the platform and every unusual
 * request. */
static __attribute__((noinline)) void *alloc_slow(struct smpheap *h, enum smpheap_zone zone,
						  uint32_t caps, size_t size)
{
	unsigned core, slot;
	size_t bytes;
	void *p;

	if (smph_unlikely(!heap_ok(h) || zone > SMPHEAP_ZONE_RUNTIME ||
			  size - 1 >= h->fast_max[zone] || (caps & ~h->zone_caps[zone])))
		return smpheap_alloc_aligned(h, zone, caps, size, 1);
	core = smph_core(h);
	slot = smph_slot();
	if (smph_likely(zone == SMPHEAP_ZONE_RUNTIME)) {
		unsigned k = h->size_class[(size + 15) >> 4];

		p = NULL;
		if (slot < smph_slots(h) && h->geom[k].cache_max)
			p = smph_tcache_refill(h, &h->tcache[slot], core, k, &bytes);
		if (!p)
			p = smph_runtime_alloc(h, core, slot, size, SMPH_MIN_ALIGN, &bytes);
		if (smph_unlikely(!p))
			p = runtime_last_try(h, core, slot, size, SMPH_MIN_ALIGN, &bytes);
		if (smph_likely(p != NULL)) {
#ifdef SMPHEAP_POISON
			check_poison(h, zone, core, p, bytes);
#endif
			return smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), bytes, p);
		}
	} else {
		p = smph_sys_alloc(h, core, size, SMPH_MIN_ALIGN);
		if (smph_likely(p != NULL))
			return smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), 0, p);
	}
	smph_count_failure(h, zone);
	return NULL;
}

/* ---- The fast paths ----
 *
 * Each is written once and made twice: as a leaf (smpheap_runtime_fast()
 * and the others, which smpheap.h inlines into each caller on Xtensa),
 * and as the body of the function. The leaf calls nothing, so that it
 * needs no stack frame and saves no register, and answers everything
 * unusual with one test and a token instead of a call; the finish
 * functions below take the token:
 *
 *   SMPH_TODO                        nothing was done: the finish does all
 *   block | SMPH_TOKEN_HIGH          the block is handed out and counted,
 *                                    and its count is a new high for the
 *                                    counter set (the finish records it)
 *   SMPH_TOKEN_CLAIM(gi, idx, left)  the claim took block idx of the slab
 *                                    at granule gi, and it was not the usual
 *                                    one (the finish gives the block back or
 *                                    fixes the hint, then counts)
 *   SMPH_TOKEN_FREED(gi, k, verdict) the free's OR is done and was not the
 *                                    usual one (runtime.h's verdict), or the
 *                                    counter set has just passed a high (its
 *                                    peak is sampled): the finish answers
 *                                    and counts
 *   SMPH_TOKEN_RUN(page)             a free of the buffer run starting at
 *                                    the pool page: nothing done yet
 *
 * Blocks are 16-aligned, so a token (odd) is never a block. A fast path
 * tests everything that could send it to a finish before its one atomic
 * step, except what only that step can tell (a lost race, a stale slab, a
 * last block, an unusual OR), and then hands the finish exactly what it
 * needs to carry on. smpheap_init() keeps the granule count within what a
 * token holds. */
#define SMPH_TODO ((uintptr_t)1)
#define SMPH_TOKEN_HIGH ((uintptr_t)3)
#define SMPH_TOKEN_CLAIM(gi, idx, left)                                                            \
	((uintptr_t)(gi) << SMPH_TOKEN_GRANULE_SHIFT | (uintptr_t)(idx) << 4 |                     \
	 (uintptr_t)((left) != 0) << 3 | 5u)
#define SMPH_TOKEN_FREED(gi, k, verdict)                                                           \
	((uintptr_t)(gi) << SMPH_TOKEN_GRANULE_SHIFT | (uintptr_t)(k) << 6 |                       \
	 (uintptr_t)(verdict) << 2 | 3u)
#define SMPH_TOKEN_RUN(page) ((uintptr_t)(page) << 3 | 5u)
_Static_assert(SMPHEAP_MAX_CLASSES <= 32 && SMPH_SLAB_MAX_BLOCKS <= 64,
	       "a token holds a class in 5 bits and a block index in 6");

/* How a path leaves: with its token (`leaf`, for the caller's finish) or,
 * in the function, through the finish (a tail call where the ABI has
 * them). */
static inline __attribute__((always_inline)) void *
alloc_leave(struct smpheap *h, enum smpheap_zone zone, size_t size, uintptr_t token, bool leaf)
{
	return leaf ? (void *)token : smpheap_alloc_finish(h, zone, size, (void *)token);
}

static inline __attribute__((always_inline)) intptr_t free_leave(struct smpheap *h, void *ptr,
								 uintptr_t token, bool leaf)
{
	return leaf ? (intptr_t)token : smpheap_free_finish(h, ptr, token);
}

/* What smpheap_free_finish() does with the two tokens that carry on a
 * free (below), which the function calls without a token. */
static int free_run(struct smpheap *h, uint32_t i);
static int free_freed(struct smpheap *h, unsigned k, uint32_t s, smph_word_t b, unsigned verdict);

/* Counts an allocation of `bytes` on a fast path: the block, unless `net`
 * passed the counter set's high (SMPH_TOKEN_HIGH). */
static inline __attribute__((always_inline)) void *count_alloc_fast(struct smpheap *h,
								    enum smpheap_zone zone,
								    bool leaf, struct smph_tally t,
								    size_t bytes, void *p)
{
	size_t net = smph_count_alloc_bytes(t, bytes);

	if (smph_count_rose(t, net))
		/* The function records the high itself: what the finish would
		 * do, without keeping `size` for it. */
		return leaf ? (void *)((uintptr_t)p | SMPH_TOKEN_HIGH)
			    : smph_count_new_high(h, zone, t.k, net, p);
	return p;
}

/* The runtime zone: a block from the calling thread's held word with no
 * atomic read-modify-write (the word-claim cache), else one claim (a CAS)
 * in the calling core's current slab (the pure lock-free path: threads
 * without a slot, every core on bare metal, classes without the cache). */
/* The pure path's claim: one try (one CAS) in the calling core's current
 * slab of class k, counted in t; any other end (no free block, a lost
 * race, a stale slab, its last block) goes to the finish. */
static inline __attribute__((always_inline)) void *claim_current(struct smpheap *h, size_t size,
								 bool leaf, unsigned core,
								 unsigned k, struct smph_tally t)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t s = smph_runtime_current(h, core, k), idx;
	smph_word_t left;

	if (smph_unlikely(smph_slab_try_claim(smph_runtime_word(h, s), g->live, &idx, &left) !=
			  SMPH_SLAB_TOOK))
		return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size, SMPH_TODO, leaf);
	if (smph_unlikely(!smph_runtime_claim_usual(h, g, s, left)))
		return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size,
				   SMPH_TOKEN_CLAIM(s >> h->gshift, idx, left), leaf);
	return count_alloc_fast(h, SMPHEAP_ZONE_RUNTIME, leaf, t, g->block_size,
				smph_runtime_block(h, g, s, idx));
}

/* The claim as the function takes it where threads have slots (the host):
 * out of line, reached by a tail call, so that its registers are not saved
 * on the word-claim cache's path. */
static __attribute__((noinline)) void *alloc_claim(struct smpheap *h, size_t size, unsigned core,
						   unsigned k, struct smph_tally t)
{
	return claim_current(h, size, false, core, k, t);
}

/* The runtime zone: a block from the calling thread's held word with no
 * atomic read-modify-write (the word-claim cache), else one claim (a CAS)
 * in the calling core's current slab (the pure lock-free path: threads
 * without a slot, every core on bare metal, classes without the cache). */
static inline __attribute__((always_inline)) void *runtime_path(struct smpheap *h, size_t size,
								bool leaf)
{
	unsigned slot = smph_slot_ready(), core = smph_core_ready(), k;
	const struct smph_class_geom *g;
	struct smph_tally t;

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->max_block || SMPH_POISONING))
		return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size, SMPH_TODO, leaf);
	k = h->size_class[(size + 15) >> 4];
	g = &h->geom[k];
	if (smph_likely(slot < smph_slots(h))) {
		struct smph_tcache *tc = &h->tcache[slot];

		t = (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true};
		if (smph_likely(g->cache_max != 0)) {
			struct smph_tcache_class *c = &tc->cls[k];
			smph_word_t bits = c->bits;
			void *p;

			/* An empty word, or a double free found: refill. */
			if (smph_unlikely(bits == 0) || smph_tcache_doubled(c, bits))
				return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size, SMPH_TODO, leaf);
			p = smph_tcache_take_checked(c, bits, g->block_size);
			tc->last = c;
			return count_alloc_fast(h, SMPHEAP_ZONE_RUNTIME, leaf, t, g->block_size, p);
		}
		if (smph_unlikely(core >= h->fast_cores))
			return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size, SMPH_TODO, leaf);
		if (!leaf)
			return alloc_claim(h, size, core, k, t);
	} else {
		if (smph_unlikely(core >= h->fast_cores || slot == SMPHEAP_SELF_UNSET))
			return alloc_leave(h, SMPHEAP_ZONE_RUNTIME, size, SMPH_TODO, leaf);
		t = (struct smph_tally){smph_ctr(h, SMPHEAP_ZONE_RUNTIME, core),
					SMPH_CORE_SINGLE_WRITER};
	}
	return claim_current(h, size, leaf, core, k, t);
}

/* The system zone: one CAS on the core's bump offset (a store with one
 * context per core), one count. A full heap, a down core, a lost race and
 * a thread whose core or slot the platform has not settled yet go to the
 * finish. */
static inline __attribute__((always_inline)) void *sys_path(struct smpheap *h, size_t size,
							    bool leaf)
{
	unsigned core = smph_core_ready(), slot = smph_slot_ready();
	struct smph_tally t;
	struct smph_sys *s;
	size_t cur, end;

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->fast_max[SMPHEAP_ZONE_SYS] ||
			  core >= h->fast_cores || slot == SMPHEAP_SELF_UNSET))
		return alloc_leave(h, SMPHEAP_ZONE_SYS, size, SMPH_TODO, leaf);
	s = &h->sys[core];
	/* Before the bump's store, which the compiler cannot tell from a
	 * store to the heap's arrays. */
	t = smph_fast_tally(h, SMPHEAP_ZONE_SYS, core, slot);
	/* Relaxed: as in smph_sys_alloc(). */
	cur = smph_load(&s->state, smph_relaxed);
	end = cur + smph_align_up(size, SMPH_MIN_ALIGN);
	/* size <= fast_max, so no wrap; false when DOWN is set */
	if (smph_unlikely(end > s->size ||
			  !smph_sys_advance(s, &cur, end, SMPH_CORE_SINGLE_WRITER)))
		return alloc_leave(h, SMPHEAP_ZONE_SYS, size, SMPH_TODO, leaf);
	smph_add(&t.k->allocs, 1, t.single);
	return (void *)(s->base + cur);
}

/* A free: a runtime block of the word the calling thread used last goes
 * back into that word with plain stores; any other block of a live slab is
 * classified by the page table in a few loads (its page's entry, the slab
 * start's, the block index by multiplication) and goes back to its slab's
 * word with one OR. Everything else (NULL, foreign pointers, buffer runs,
 * the cache's other words, retired slabs, interior pointers) goes to the
 * finish untouched. */
static inline __attribute__((always_inline)) intptr_t free_path(struct smpheap *h, void *ptr,
								bool leaf)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned slot = smph_slot_ready();
	const struct smph_class_geom *g;
	struct smph_tally t;
	uint32_t page, e, s, idx;
	smph_word_t b, old;
	unsigned k;

	if (smph_unlikely(!heap_ok(h) || SMPH_POISONING))
		return free_leave(h, ptr, SMPH_TODO, leaf);
	if (smph_likely(slot < smph_slots(h))) {
		struct smph_tcache *tc = &h->tcache[slot];

		t = (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true};
		if (smph_unlikely(smph_load(&t.k->rising, smph_relaxed)))
			return free_leave(h, ptr, SMPH_TODO, leaf);
		/* Most frees are of a block of the word this thread used
		 * last. */
		if (smph_likely(smph_tcache_push(tc->last, p))) {
			smph_count_free_counts(t, tc->last->geom->block_size);
			return 0;
		}
	} else {
		unsigned core = smph_core_ready();

		if (smph_unlikely(core >= h->fast_cores))
			return free_leave(h, ptr, SMPH_TODO, leaf);
		t = (struct smph_tally){smph_ctr(h, SMPHEAP_ZONE_RUNTIME, core),
					SMPH_CORE_SINGLE_WRITER};
	}
	page = smph_pool_page(h, p);
	if (smph_unlikely(page == SMPH_NO_BIT))
		return free_leave(h, ptr, SMPH_TODO, leaf);
	/* Relaxed: see smph_slab_start(). */
	e = smph_load(&h->pt[page], smph_relaxed);
	if (smph_unlikely(SMPH_PT_KIND(e) < SMPH_PT_SLAB)) {
		/* A buffer run's start goes straight to the buffer zone (which
		 * reads the entry again, with acquire). */
		if (SMPH_PT_KIND(e) == SMPH_PT_RUN &&
		    !((p - h->pool_base) & (((uintptr_t)1 << h->page_shift) - 1)))
			return leaf ? (intptr_t)SMPH_TOKEN_RUN(page) : free_run(h, page);
		return free_leave(h, ptr, SMPH_TODO, leaf);
	}
	/* With the cache on anywhere, a free may go into the thread's word of
	 * its class and also looks at the caches' words: the finish. */
	if (smph_cache_on(h))
		return free_leave(h, ptr, SMPH_TODO, leaf);
	s = smph_slab_start(h, page, e, &e);
	k = SMPH_PT_CLASS(e);
	g = &h->geom[k];
	/* A retired slab's start reads NONE (kind 0): its class is not
	 * trusted, the finish answers. */
	if (smph_unlikely(SMPH_PT_KIND(e) != SMPH_PT_SLAB))
		return free_leave(h, ptr, SMPH_TODO, leaf);
	idx = smph_block_index(g, p - smph_page_addr(h, s));
	if (smph_unlikely(idx == SMPH_NO_BIT))
		return free_leave(h, ptr, SMPH_TODO, leaf);
	b = smph_bit(idx);
	old = smph_slab_release(&h->slabw[SMPH_PT_DATA(e)], b);
	if (smph_runtime_free_unusual(g, b, old) ||
	    smph_unlikely(smph_load(&t.k->rising, smph_relaxed)))
		return leaf ? (intptr_t)SMPH_TOKEN_FREED(s >> h->gshift, k,
							 smph_freed_verdict(g, b, old))
			    : free_freed(h, k, s, b, smph_freed_verdict(g, b, old));
	smph_count_free_counts(t, g->block_size);
	return 0;
}

/* ---- What the fast paths leave, and the functions themselves ---- */

/* A claim in the current slab that was not the usual one (the slab is
 * another class's now, or the claim took its last free block): the block
 * given back or the hint fixed (runtime.c), then counted, or the slow path
 * if the block was not ours to keep. */
static __attribute__((noinline)) void *alloc_claimed(struct smpheap *h, unsigned k, uint32_t s,
						     uint32_t idx, smph_word_t left, size_t size)
{
	void *p = smph_runtime_claimed(h, k, s, idx, left);
	unsigned core = smph_core(h);

	if (!p)
		return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
#ifdef SMPHEAP_POISON
	check_poison(h, SMPHEAP_ZONE_RUNTIME, core, p, h->geom[k].block_size);
#endif
	return smph_count_alloc(h, SMPHEAP_ZONE_RUNTIME,
				smph_tally(h, SMPHEAP_ZONE_RUNTIME, core, smph_slot()),
				h->geom[k].block_size, p);
}

/* The buffer zone: a run of pages, found and claimed in buffer.c. */
static __attribute__((noinline)) void *alloc_buffer(struct smpheap *h, uint32_t caps, size_t size)
{
	unsigned slot = smph_slot_ready();
	size_t bytes;
	void *p;

	if (smph_likely(heap_ok(h) && size - 1 < h->fast_max[SMPHEAP_ZONE_BUFFER] &&
			!(caps & ~h->zone_caps[SMPHEAP_ZONE_BUFFER]) &&
			slot != SMPHEAP_SELF_UNSET)) {
		p = smph_buffer_alloc(h, caps, size, 1, NULL, &bytes);
		/* Exhaustion: the last try here, not the general path, which
		 * would search the whole pool once more first. */
		if (smph_unlikely(!p))
			p = buffer_last_try(h, slot, caps, size, 1, &bytes);
		if (smph_unlikely(!p)) {
			smph_count_failure(h, SMPHEAP_ZONE_BUFFER);
			return NULL;
		}
#ifdef SMPHEAP_POISON
		check_poison(h, SMPHEAP_ZONE_BUFFER, smph_core(h), p, bytes);
#endif
		return smph_count_alloc(h, SMPHEAP_ZONE_BUFFER,
					caller_tally(h, SMPHEAP_ZONE_BUFFER, slot), bytes, p);
	}
	/* Bad arguments, a thread new to the platform: the general path
	 * answers and counts. */
	return smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, caps, size, 1);
}

/* A runtime block (block idx of the class-k slab at pool page s, at p)
 * back to its slab's word: one atomic OR. */
static inline int free_block(struct smpheap *h, unsigned k, uint32_t s, uint32_t idx, uintptr_t p)
{
	int rc;

	if (smph_unlikely(idx == SMPH_NO_BIT))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EINVAL);
	rc = smph_runtime_free(h, k, s, idx, p);
	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
	return smph_count_free(h, SMPHEAP_ZONE_RUNTIME,
			       caller_tally(h, SMPHEAP_ZONE_RUNTIME, smph_slot()),
			       h->geom[k].block_size);
}

/* A buffer run (at pool page i) back to the pool; anything else at a page
 * that is no slab's is answered there. */
static __attribute__((noinline)) int free_run(struct smpheap *h, uint32_t i)
{
	size_t bytes = 0;
	int rc = smph_buffer_free(h, i, &bytes);

	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, rc);
	return smph_count_free(h, SMPHEAP_ZONE_BUFFER,
			       caller_tally(h, SMPHEAP_ZONE_BUFFER, smph_slot()), bytes);
}

/* NULL, and every pointer that free_located() found outside the pool: in
 * a system heap, in the padding after one, or outside the zones (also any pointer given with a heap
 * that is not one). Classified and counted; nothing changes. */
static __attribute__((noinline)) int free_rejected(struct smpheap *h, void *ptr)
{
	unsigned index;

	if (!ptr)
		return 0;
	if (smph_unlikely(!heap_ok(h)))
		return -EFAULT;
	switch (smph_locate(h, (uintptr_t)ptr, &index)) {
	case SMPH_AT_SYS:
		return smph_count_bad_free(h, SMPHEAP_ZONE_SYS, -EPERM);
	case SMPH_AT_GAP:
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EINVAL);
	case SMPH_AT_POOL: /* free_located() takes these */
		smph_assert(0);
		/* fall through */
	case SMPH_AT_FOREIGN:
	default:
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EFAULT);
	}
}

/* A free into a page a retired slab left (its entry NONE_WAS_SLAB): a
 * block of a slab gone back to the pool, or going back (the entries are
 * reset before the pages are released), is free already; but a run may
 * have taken the page since, without rewriting its inner entries, and a
 * pointer inside a live run is not a block. The run's start is the first
 * RUN entry at or before the page with no free page or slab between:
 * a walk back, on this path of bad frees only. */
static __attribute__((noinline)) int free_was_slab(struct smpheap *h, uint32_t page)
{
	for (uint32_t j = page + 1; j-- > 0;) {
		/* Relaxed: a snapshot, to classify a bad free. */
		uint32_t e = smph_load(&h->pt[j], smph_relaxed);

		if (SMPH_PT_KIND(e) == SMPH_PT_RUN) {
			if (page < j + SMPH_PT_DATA(e))
				return smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, -EINVAL);
			break;
		}
		if (SMPH_PT_KIND(e) != SMPH_PT_NONE || smph_bit_test(h->pfree, j))
			break;
	}
	return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EALREADY);
}

/* A free that is not of the word the thread used last (or by a thread with
 * no slot): the page table entry of its page says what it is. A slab's
 * block goes into the thread's held word of that class if it belongs there,
 * else back to the slab's word; a page that is no slab's goes to the buffer
 * zone to be answered; anything outside the pool to free_rejected(). */
static __attribute__((noinline)) int free_located(struct smpheap *h, unsigned slot, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	uint32_t page = smph_pool_page(h, p);

	if (smph_likely(page != SMPH_NO_BIT)) {
		/* Relaxed: see smph_slab_start(). */
		uint32_t e = smph_load(&h->pt[page], smph_relaxed), s;

		if (smph_likely(SMPH_PT_KIND(e) >= SMPH_PT_SLAB)) {
			unsigned k;
			const struct smph_class_geom *g;
			uint32_t idx;

			s = smph_slab_start(h, page, e, &e);
			if (smph_unlikely(SMPH_PT_KIND(e) != SMPH_PT_SLAB))
				/* The slab was retired while we looked: its
				 * blocks were all free. */
				return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EALREADY);
			k = SMPH_PT_CLASS(e);
			g = &h->geom[k];
			idx = smph_block_index(g, p - smph_page_addr(h, s));
			if (slot < smph_slots(h) && smph_likely(idx != SMPH_NO_BIT) &&
			    smph_tcache_push(&h->tcache[slot].cls[k], p)) {
				struct smph_tcache *t = &h->tcache[slot];

				t->last = &t->cls[k];
				return smph_count_free(
				    h, SMPHEAP_ZONE_RUNTIME,
				    (struct smph_tally){&t->ctr[SMPHEAP_ZONE_RUNTIME], true},
				    g->block_size);
			}
			return free_block(h, k, s, idx, p);
		}
		if (e == SMPH_PT_NONE_WAS_SLAB)
			return free_was_slab(h, page);
		if (((p - h->pool_base) & (((uintptr_t)1 << h->page_shift) - 1)) == 0)
			return free_run(h, page);
		return smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, -EINVAL);
	}
	return free_rejected(h, ptr);
}

/* A free whose OR was not the usual one (runtime.h's verdict on it): a
 * double free, a slab that was empty or is all free now; answered and
 * counted here. */
static __attribute__((noinline)) int free_freed(struct smpheap *h, unsigned k, uint32_t s,
						smph_word_t b, unsigned verdict)
{
	int rc = smph_runtime_freed(h, k, s, b, verdict);

	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
	return smph_count_free(h, SMPHEAP_ZONE_RUNTIME,
			       caller_tally(h, SMPHEAP_ZONE_RUNTIME, smph_slot()),
			       h->geom[k].block_size);
}

void *smpheap_alloc_finish(struct smpheap *h, enum smpheap_zone zone, size_t size, void *token)
{
	uintptr_t t = (uintptr_t)token;

	if (t & 2) {
		/* Handed out and counted: record the new high, as
		 * smph_count_alloc() does, in the set the fast path counted
		 * in (the same thread, so the same slot or core). */
		struct smph_counters *k =
		    smph_fast_tally(h, zone, smph_core_ready(), smph_slot_ready()).k;

		return smph_count_new_high(h, zone, k, smph_load(&k->net, smph_relaxed),
					   (void *)(t & ~SMPH_TOKEN_HIGH));
	}
	if (t & 4)
		return alloc_claimed(h, h->size_class[(size + 15) >> 4],
				     (uint32_t)(t >> SMPH_TOKEN_GRANULE_SHIFT) << h->gshift,
				     (uint32_t)(t >> 4) & 63, (t >> 3) & 1, size);
	return alloc_slow(h, zone, 0, size);
}

int smpheap_free_finish(struct smpheap *h, void *ptr, uintptr_t token)
{
	unsigned k;
	uint32_t s;

	if (token == SMPH_TODO) {
		if (smph_unlikely(!heap_ok(h)))
			return free_rejected(h, ptr);
		return free_located(h, smph_slot(), ptr);
	}
	if ((token & 7) == 5)
		return free_run(h, (uint32_t)(token >> 3));
	k = (unsigned)(token >> 6) & 31;
	s = (uint32_t)(token >> SMPH_TOKEN_GRANULE_SHIFT) << h->gshift;
	return free_freed(
	    h, k, s, smph_bit(smph_block_index(&h->geom[k], (uintptr_t)ptr - smph_page_addr(h, s))),
	    (unsigned)(token >> 2) & 15);
}

/* The functions: a dispatcher, and each zone's path a function of its own
 * so that the dispatcher saves nothing on any of its paths (a call in
 * Xtensa's call0 ABI is a call, never a jump). */
static __attribute__((noinline)) void *alloc_runtime(struct smpheap *h, size_t size)
{
	return runtime_path(h, size, false);
}

static __attribute__((noinline)) void *alloc_sys(struct smpheap *h, size_t size)
{
	return sys_path(h, size, false);
}

void *(smpheap_alloc)(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size)
{
	if (smph_likely(zone == SMPHEAP_ZONE_RUNTIME)) {
		if (smph_likely(caps == 0))
			return alloc_runtime(h, size);
	} else if (zone == SMPHEAP_ZONE_SYS) {
		if (caps == 0)
			return alloc_sys(h, size);
	} else if (zone == SMPHEAP_ZONE_BUFFER) {
		return alloc_buffer(h, caps, size);
	}
	return alloc_slow(h, zone, caps, size);
}

int(smpheap_free)(struct smpheap *h, void *ptr)
{
	return (int)free_path(h, ptr, false);
}

/* The fast paths as functions of their own, for the header's inline calls:
 * each is a leaf, with no frame. */
void *smpheap_runtime_fast(struct smpheap *h, size_t size)
{
	return runtime_path(h, size, true);
}

void *smpheap_sys_fast(struct smpheap *h, size_t size)
{
	return sys_path(h, size, true);
}

uintptr_t smpheap_free_fast(struct smpheap *h, void *ptr)
{
	return (uintptr_t)free_path(h, ptr, true);
}

/* Moves a live block to a new one of `size` bytes from `zone`/`caps`. */
static void *move_block(struct smpheap *h, void *ptr, size_t old_bytes, enum smpheap_zone zone,
			uint32_t caps, size_t size, size_t align)
{
	void *q = smpheap_alloc_aligned(h, zone, caps, size, align);

	if (!q)
		return NULL;
	__builtin_memcpy(q, ptr, old_bytes < size ? old_bytes : size);
	smpheap_free(h, ptr);
	return q;
}

/* What the pool pointer p is: a runtime block (RUNTIME), a page of the
 * buffer zone's (BUFFER), or neither (-1: inside a page, not its start). */
static int pool_kind(const struct smpheap *h, uintptr_t p, uint32_t *page)
{
	uint32_t e;

	*page = smph_pool_page(h, p);
	if (*page == SMPH_NO_BIT)
		return -1;
	/* Relaxed: a snapshot, as the entry points using it promise. */
	e = smph_load(&h->pt[*page], smph_relaxed);
	if (SMPH_PT_KIND(e) >= SMPH_PT_SLAB)
		return SMPHEAP_ZONE_RUNTIME;
	return (p & (((uintptr_t)1 << h->page_shift) - 1)) ? -1 : SMPHEAP_ZONE_BUFFER;
}

void *smpheap_realloc(struct smpheap *h, void *ptr, size_t size)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned index;
	uint32_t page;
	size_t old_bytes = 0, new_bytes = 0;
	bool live;
	int rc;

	if (!ptr)
		return smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, size);
	if (!heap_ok(h))
		return NULL;
	if (size == 0) {
		smpheap_free(h, ptr);
		return NULL;
	}
	switch (smph_locate(h, p, &index)) {
	case SMPH_AT_POOL:
		switch (pool_kind(h, p, &page)) {
		case SMPHEAP_ZONE_RUNTIME:
			old_bytes = smph_runtime_block_size(h, p, &live);
			if (!old_bytes || !live) {
				smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME,
						    old_bytes ? -EALREADY : -EINVAL);
				return NULL;
			}
			if (size <= old_bytes)
				return ptr; /* the block already holds it */
			return move_block(h, ptr, old_bytes, SMPHEAP_ZONE_RUNTIME, 0, size, 1);
		case SMPHEAP_ZONE_BUFFER:
			rc = smph_buffer_resize(h, page, size, &old_bytes, &new_bytes);
			if (rc == 0) {
				smph_count_resize(h, SMPHEAP_ZONE_BUFFER,
						  caller_tally(h, SMPHEAP_ZONE_BUFFER, smph_slot()),
						  old_bytes, new_bytes);
				return ptr;
			}
			if (rc == -ENOMEM)
				return move_block(h, ptr, old_bytes, SMPHEAP_ZONE_BUFFER,
						  h->regions[index].caps, size, 1);
			smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, rc);
			return NULL;
		default:
			smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, -EINVAL);
			return NULL;
		}
	case SMPH_AT_SYS:
		smph_count_bad_free(h, SMPHEAP_ZONE_SYS, -EPERM);
		return NULL;
	case SMPH_AT_GAP:
		smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EINVAL);
		return NULL;
	case SMPH_AT_FOREIGN:
	default:
		smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EFAULT);
		return NULL;
	}
}

size_t smpheap_usable_size(const struct smpheap *h, const void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned index;
	uint32_t page;
	size_t bytes;
	bool live;

	if (!heap_ok(h) || !ptr || smph_locate(h, p, &index) != SMPH_AT_POOL)
		return 0;
	switch (pool_kind(h, p, &page)) {
	case SMPHEAP_ZONE_RUNTIME:
		bytes = smph_runtime_block_size(h, p, &live);
		return live ? bytes : 0;
	case SMPHEAP_ZONE_BUFFER:
		return smph_buffer_run_bytes(h, page);
	default:
		return 0;
	}
}

int smpheap_zone_of(const struct smpheap *h, const void *ptr)
{
	unsigned index;
	uint32_t page;

	if (!heap_ok(h))
		return -EFAULT;
	switch (smph_locate(h, (uintptr_t)ptr, &index)) {
	case SMPH_AT_SYS:
		return SMPHEAP_ZONE_SYS;
	case SMPH_AT_GAP:
		return SMPHEAP_ZONE_RUNTIME;
	case SMPH_AT_POOL:
		return pool_kind(h, (uintptr_t)ptr, &page) == SMPHEAP_ZONE_RUNTIME
			   ? SMPHEAP_ZONE_RUNTIME
			   : SMPHEAP_ZONE_BUFFER;
	default:
		return -EFAULT;
	}
}
