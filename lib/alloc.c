/* alloc.c - the public entry points: argument checks, zone dispatch, counting.
 *
 * Each entry point starts with a short path for the common case and ends in
 * a tail call to a longer one when it cannot finish, so the short paths
 * save no state and the long ones are out of line:
 *
 *   smpheap_alloc  RUNTIME  alloc_runtime: the thread's held word, no atomic RMW
 *                           -> alloc_runtime_claim: one CAS in the core's current slab
 *                           -> alloc_slow: a new word, refill (runtime.c), the last try
 *                  SYS      alloc_sys: one CAS on the core's bump offset
 *                  BUFFER   alloc_buffer: a run of pages (buffer.c)
 *                  any      -> smpheap_alloc_aligned: every check, every zone
 *   smpheap_free            the held word the thread used last, by address
 *                           -> free_located: the page table entry of its page:
 *                              a slab's block: the held word of that class,
 *                              else the slab's word (one OR); a buffer run
 *                           -> free_rejected: NULL and pointers in no shard or
 *                              region, classified
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
	bool more = smph_runtime_reclaim(h);

	if (slot < smph_slots(h) &&
	    smph_load(&h->tcache[slot].core, smph_relaxed) != SMPH_NO_CORE) {
		smph_tcache_flush(h, &h->tcache[slot]);
		more = true;
	}
	return more ? smph_buffer_alloc(h, caps, size, align, bytes) : NULL;
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
		p = smph_buffer_alloc(h, caps, size, align, &bytes);
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

/* The system zone's fast path: default alignment, so no rounding of the
 * start (offsets are always multiples of 16). */
static inline void *sys_alloc_fast(struct smpheap *h, unsigned core, size_t size)
{
	struct smph_sys *s = &h->sys[core];
	size_t need = smph_align_up(size, SMPH_MIN_ALIGN);
	/* Relaxed: as in smph_sys_alloc(). */
	size_t cur = smph_load(&s->state, smph_relaxed);

	while (smph_likely(cur + need <= s->size)) /* false when DOWN is set */
		if (smph_likely(smph_sys_advance(s, &cur, cur + need, smph_core_single(h))))
			return (void *)(s->base + cur);
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
		p = sys_alloc_fast(h, core, size);
		if (smph_likely(p != NULL))
			return smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), 0, p);
	}
	smph_count_failure(h, zone);
	return NULL;
}

/* The system zone inline: one CAS on the core's bump offset (a store with
 * one context per core), one count. Anything else (a full heap, a down
 * core, a lost race, caps, a thread whose core or slot the platform has not
 * settled yet) goes through alloc_slow(). */
static inline __attribute__((always_inline)) void *alloc_sys(struct smpheap *h, uint32_t caps,
							     size_t size)
{
	unsigned core = smph_core_ready(), slot = smph_slot_ready();
	struct smph_sys *s;
	size_t cur, end;

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->fast_max[SMPHEAP_ZONE_SYS] || caps ||
			  core >= h->fast_cores || slot == SMPHEAP_SELF_UNSET))
		return alloc_slow(h, SMPHEAP_ZONE_SYS, caps, size);
	s = &h->sys[core];
	/* Relaxed: as in smph_sys_alloc(). */
	cur = smph_load(&s->state, smph_relaxed);
	end = cur + smph_align_up(size, SMPH_MIN_ALIGN);
	/* size <= fast_max, so no wrap; false when DOWN is set */
	if (smph_unlikely(end > s->size ||
			  !smph_sys_advance(s, &cur, end, SMPH_CORE_SINGLE_WRITER)))
		return alloc_slow(h, SMPHEAP_ZONE_SYS, caps, size);
	return smph_count_alloc(h, SMPHEAP_ZONE_SYS,
				smph_fast_tally(h, SMPHEAP_ZONE_SYS, core, slot), 0,
				(void *)(s->base + cur));
}

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

/* Where threads have slots (the host), the word-claim cache's path is the
 * one to keep short: it is inline in smpheap_alloc(), and the pure path's
 * claim is a function of its own, reached by a tail call (a jump), so that
 * its registers are not saved on the cache's path. Without slots (bare
 * metal) the pure path is the only one: inline in the runtime path, which
 * is a function of its own so that the system zone's path in the
 * dispatcher saves nothing (a call in the call0 ABI of Xtensa is a call,
 * never a jump). */
#ifdef SMPHEAP_PLATFORM_NO_THREAD_SLOTS
#define SMPH_PURE_PATH inline __attribute__((always_inline))
#define SMPH_RUNTIME_PATH __attribute__((noinline))
#else
#define SMPH_PURE_PATH __attribute__((noinline))
#define SMPH_RUNTIME_PATH inline __attribute__((always_inline))
#endif

/* The pure path's claim: one CAS on the calling core's current
 * slab of class k, counted in t. Every other outcome (an empty or dead
 * word, a lost race, a stale slab, its last block) is a tail call, so the
 * path keeps nothing across a call but the CAS itself. */
static SMPH_PURE_PATH void *alloc_claim(struct smpheap *h, unsigned core, unsigned k, size_t size,
					struct smph_tally t)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t s = smph_runtime_current(h, core, k);
	smph_word_t left;
	uint32_t idx = smph_slab_claim_once(smph_runtime_word(h, s), g->live, &left);
	void *p;

	if (smph_unlikely(idx == SMPH_NO_BIT))
		return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
	if (!smph_runtime_claim_usual(h, g, s, left))
		return alloc_claimed(h, k, s, idx, left, size);
	p = smph_runtime_block(h, g, s, idx);
#ifdef SMPHEAP_POISON
	check_poison(h, SMPHEAP_ZONE_RUNTIME, core, p, g->block_size);
#endif
	return smph_count_alloc(h, SMPHEAP_ZONE_RUNTIME, t, g->block_size, p);
}

/* The runtime zone inline, with one test for everything unusual and one
 * tail call to alloc_slow() for it: a block from the calling thread's held
 * word with no atomic read-modify-write (the word-claim cache), else one
 * claim (a CAS) in the calling core's current slab (the pure lock-free path:
 * threads without a slot, every core on bare metal, classes without the
 * cache). A held word that has run dry, a current slab that has, and a
 * thread new to the platform go on to alloc_slow(). */
static SMPH_RUNTIME_PATH void *alloc_runtime(struct smpheap *h, size_t size)
{
	unsigned slot = smph_slot_ready(), core = smph_core_ready(), k;
	const struct smph_class_geom *g;
	struct smph_tally t;

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->max_block))
		return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
	k = h->size_class[(size + 15) >> 4];
	g = &h->geom[k];
	if (smph_likely(slot < smph_slots(h))) {
		struct smph_tcache *tc = &h->tcache[slot];

		if (smph_likely(g->cache_max != 0)) {
			struct smph_tcache_class *c = &tc->cls[k];
			smph_word_t bits = c->bits;
			void *p;

			/* A double free found: refill. */
			if (smph_unlikely(bits == 0) || smph_tcache_doubled(c, bits))
				return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
			p = smph_tcache_take_checked(c, bits, g->block_size);
			tc->last = c;
			t = (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true};
#ifdef SMPHEAP_POISON
			check_poison(h, SMPHEAP_ZONE_RUNTIME, smph_core(h), p, g->block_size);
#endif
			return smph_count_alloc(h, SMPHEAP_ZONE_RUNTIME, t, g->block_size, p);
		}
		if (smph_unlikely(core >= h->fast_cores))
			return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
		t = (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true};
	} else {
		if (smph_unlikely(core >= h->fast_cores || slot == SMPHEAP_SELF_UNSET))
			return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
		t = (struct smph_tally){smph_ctr(h, SMPHEAP_ZONE_RUNTIME, core),
					SMPH_CORE_SINGLE_WRITER};
	}
	return alloc_claim(h, core, k, size, t);
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
		p = smph_buffer_alloc(h, caps, size, 1, &bytes);
		if (smph_likely(p != NULL)) {
#ifdef SMPHEAP_POISON
			check_poison(h, SMPHEAP_ZONE_BUFFER, smph_core(h), p, bytes);
#endif
			return smph_count_alloc(h, SMPHEAP_ZONE_BUFFER,
						caller_tally(h, SMPHEAP_ZONE_BUFFER, slot), bytes,
						p);
		}
	}
	/* Exhaustion, bad arguments, a thread new to the platform: the
	 * general path answers and counts. */
	return smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, caps, size, 1);
}

/* A dispatcher: the runtime zone's path out of line (a tail call), so that
 * the registers it needs are not saved on the system zone's path, which is
 * inline and calls nothing but its fallback. */
void *smpheap_alloc(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size)
{
	if (smph_likely(zone == SMPHEAP_ZONE_RUNTIME)) {
		if (smph_likely(caps == 0))
			return alloc_runtime(h, size);
	} else if (zone == SMPHEAP_ZONE_SYS) {
		return alloc_sys(h, caps, size);
	} else if (zone == SMPHEAP_ZONE_BUFFER) {
		return alloc_buffer(h, caps, size);
	}
	return alloc_slow(h, zone, caps, size);
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

/* A free whose OR was not the usual one (runtime.h): a double free, a
 * slab that was empty or is all free now; answered and counted here. */
static __attribute__((noinline)) int free_freed(struct smpheap *h, unsigned k, uint32_t s,
						smph_word_t b, smph_word_t old)
{
	int rc = smph_runtime_freed(h, k, s, b, old);

	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
	return smph_count_free(h, SMPHEAP_ZONE_RUNTIME,
			       caller_tally(h, SMPHEAP_ZONE_RUNTIME, smph_slot()),
			       h->geom[k].block_size);
}

/* The fast path, one test per step and every other case one call away:
 * a runtime block of the word the calling thread used last goes back into
 * that word with plain stores; any other block of a slab's first page
 * range is classified by the page table in a few loads (its page's entry,
 * the slab start's, the block index by multiplication) and goes back to
 * its slab's word with one OR (smph_runtime_free(), which also answers a
 * double free). The rest goes to free_located(). */
int smpheap_free(struct smpheap *h, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned slot = smph_slot_ready();
	const struct smph_class_geom *g;
	struct smph_tally t;
	uint32_t page, e, s, idx;
	smph_word_t b, old;
	unsigned k;

	if (smph_unlikely(!heap_ok(h)))
		return free_rejected(h, ptr);
	if (smph_likely(slot < smph_slots(h))) {
		struct smph_tcache *tc = &h->tcache[slot];

		/* Most frees are of a block of the word this thread used
		 * last. */
		if (smph_likely(smph_tcache_push(tc->last, p)))
			return smph_count_free(
			    h, SMPHEAP_ZONE_RUNTIME,
			    (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true},
			    tc->last->geom->block_size);
		t = (struct smph_tally){&tc->ctr[SMPHEAP_ZONE_RUNTIME], true};
	} else {
		unsigned core = smph_core_ready();

		if (smph_unlikely(core >= h->fast_cores))
			return free_located(h, slot, ptr);
		t = (struct smph_tally){smph_ctr(h, SMPHEAP_ZONE_RUNTIME, core),
					SMPH_CORE_SINGLE_WRITER};
	}
	page = smph_pool_page(h, p);
	if (smph_unlikely(page == SMPH_NO_BIT))
		return free_rejected(h, ptr);
	/* Relaxed: see smph_slab_start(). */
	e = smph_load(&h->pt[page], smph_relaxed);
	if (smph_unlikely(SMPH_PT_KIND(e) < SMPH_PT_SLAB)) {
		/* A buffer run's start goes straight to the buffer zone (which
		 * reads the entry again, with acquire); the rest is classified
		 * in free_located(). */
		if (SMPH_PT_KIND(e) == SMPH_PT_RUN &&
		    !((p - h->pool_base) & (((uintptr_t)1 << h->page_shift) - 1)))
			return free_run(h, page);
		return free_located(h, slot, ptr);
	}
	/* With the cache on anywhere, a free may go into the thread's word of
	 * its class and also looks at the caches' words: free_located(). */
	if (smph_cache_on(h))
		return free_located(h, slot, ptr);
	s = smph_slab_start(h, page, e, &e);
	k = SMPH_PT_CLASS(e);
	g = &h->geom[k];
	/* A retired slab's start reads NONE (kind 0): its class is not
	 * trusted, free_located() answers. */
	if (smph_unlikely(SMPH_PT_KIND(e) != SMPH_PT_SLAB))
		return free_located(h, slot, ptr);
	idx = smph_block_index(g, p - smph_page_addr(h, s));
	if (smph_unlikely(idx == SMPH_NO_BIT))
		return free_located(h, slot, ptr);
#ifdef SMPHEAP_POISON
	{
		/* Poisoning checks the block is live first (runtime.h). */
		int rc = smph_runtime_free(h, k, s, idx, p);

		if (smph_unlikely(rc))
			return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
		return smph_count_free(h, SMPHEAP_ZONE_RUNTIME, t, g->block_size);
	}
#endif
	b = smph_bit(idx);
	old = smph_slab_release(smph_runtime_word(h, s), b);
	if (smph_runtime_free_unusual(g, b, old))
		return free_freed(h, k, s, b, old);
	return smph_count_free(h, SMPHEAP_ZONE_RUNTIME, t, g->block_size);
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
