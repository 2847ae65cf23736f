/* alloc.c - the public entry points: argument checks, zone dispatch, counting.
 *
 * Each entry point starts with a short path for the common case and ends in
 * a tail call to a longer one when it cannot finish, so the short paths
 * save no state and the long ones are out of line:
 *
 *   smpheap_alloc  RUNTIME  alloc_runtime: the thread's held word, no atomic RMW
 *                           -> alloc_runtime_claim: one CAS in the own shard
 *                           -> alloc_slow: a new word, stealing, the last try
 *                  SYS      alloc_sys: one CAS on the core's bump offset
 *                  BUFFER   alloc_buffer: a run of pages (buffer.c)
 *                  any      -> smpheap_alloc_aligned: every check, every zone
 *   smpheap_free            the held word the thread used last, by address
 *                           -> free_located: the block's class from its address;
 *                              the held word of that class, else the shard's
 *                              bitmap (one OR), or a buffer run
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
	if (smph_likely(slot < h->tcache_slots))
		return (struct smph_tally){&h->tcache[slot].ctr[zone], true};
	return (struct smph_tally){smph_ctr(h, zone, smph_core(h)), false};
}

/* Before a runtime allocation fails, the caller gives back its own cached
 * blocks (they may be the only free ones) and tries once more. */
static void *runtime_last_try(struct smpheap *h, unsigned core, unsigned slot, size_t size,
			      size_t align, size_t *bytes)
{
	if (slot >= h->tcache_slots ||
	    atomic_load_explicit(&h->tcache[slot].core, memory_order_relaxed) == SMPH_NO_CORE)
		return NULL;
	smph_tcache_flush(h, &h->tcache[slot]);
	return smph_runtime_alloc(h, core, slot, size, align, bytes);
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
	size_t cur = atomic_load_explicit(&s->state, memory_order_relaxed);

	while (smph_likely(cur + need <= s->size)) { /* false when DOWN is set */
		if (atomic_compare_exchange_weak_explicit(
			&s->state, &cur, cur + need, memory_order_relaxed, memory_order_relaxed))
			return (void *)(s->base + cur);
	}
	return NULL;
}

/* Everything smpheap_alloc() does not finish inline: a new word for the
 * thread's cache, the pure lock-free claim, stealing, the system zone's CAS
 * retries and every unusual request. */
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
		p = smph_runtime_alloc_fast(h, core, slot, size, &bytes);
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

/* The system zone: one CAS on the core's bump offset. A thread whose core
 * or slot the platform has not settled yet goes through alloc_slow() once. */
static __attribute__((noinline)) void *alloc_sys(struct smpheap *h, uint32_t caps, size_t size)
{
	unsigned core = smph_core_ready(), slot = smph_slot_ready();

	if (smph_likely(heap_ok(h) && size - 1 < h->fast_max[SMPHEAP_ZONE_SYS] &&
			!(caps & ~h->zone_caps[SMPHEAP_ZONE_SYS]) && core < h->cores &&
			slot != SMPHEAP_SELF_UNSET)) {
		void *p = sys_alloc_fast(h, core, size);

		if (smph_likely(p != NULL))
			return smph_count_alloc(h, SMPHEAP_ZONE_SYS,
						smph_tally(h, SMPHEAP_ZONE_SYS, core, slot), 0, p);
	}
	return alloc_slow(h, SMPHEAP_ZONE_SYS, caps, size);
}

/* The pure lock-free path, for threads without a slot (every core on bare
 * metal) and classes without the cache: one claim (a CAS) in the calling
 * core's own shard. A thread whose cache needs a new word, an empty shard,
 * and a thread new to the platform go on to alloc_slow(). */
static __attribute__((noinline)) void *alloc_runtime_claim(struct smpheap *h, size_t size)
{
	unsigned core = smph_core_ready(), slot = smph_slot_ready();
	unsigned k = h->size_class[(size + 15) >> 4];
	const struct smph_class_geom *g = &h->geom[k];
	struct smph_shard *s;
	uint32_t idx;

	if (smph_unlikely(core >= h->cores || slot == SMPHEAP_SELF_UNSET ||
			  (slot < h->tcache_slots && g->cache_max)))
		return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
	s = &h->shards[core];
	/* Relaxed: a core's own shard cannot go down under it (the core_down
	 * contract: no thread acts as a core while it goes down). */
	if (smph_likely(atomic_load_explicit(&s->online, memory_order_relaxed))) {
		idx = smph_bitmap2_claim_fast(&s->bm[k]);
		if (smph_likely(idx != SMPH_NO_BIT)) {
			void *p = (void *)(s->base + g->offset + (uintptr_t)idx * g->block_size);

#ifdef SMPHEAP_POISON
			check_poison(h, SMPHEAP_ZONE_RUNTIME, core, p, g->block_size);
#endif
			return smph_count_alloc(h, SMPHEAP_ZONE_RUNTIME,
						smph_tally(h, SMPHEAP_ZONE_RUNTIME, core, slot),
						g->block_size, p);
		}
	}
	return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
}

/* The fast path: a runtime block from the calling thread's held word, with
 * no atomic read-modify-write at all. Everything else is one tail call away
 * (a thread that has no slot yet gets one in alloc_slow()). Only `h` and
 * `size` stay live for the fallback, so the path needs no saved registers. */
static inline __attribute__((always_inline)) void *alloc_runtime(struct smpheap *h, size_t size)
{
	unsigned slot = smph_slot_ready();

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->max_block))
		return alloc_slow(h, SMPHEAP_ZONE_RUNTIME, 0, size);
	if (smph_likely(slot < h->tcache_slots)) {
		struct smph_tcache *t = &h->tcache[slot];
		unsigned k = h->size_class[(size + 15) >> 4];
		struct smph_tcache_class *c = &t->cls[k];
		smph_word_t bits = c->bits;

		if (smph_likely(bits != 0)) {
			uint32_t block = h->geom[k].block_size;
			void *p = smph_tcache_take(c, bits, block);

			if (smph_unlikely(!p)) /* a double free found: refill */
				return alloc_runtime_claim(h, size);
			t->last = c;
#ifdef SMPHEAP_POISON
			check_poison(h, SMPHEAP_ZONE_RUNTIME, smph_core(h), p, block);
#endif
			return smph_count_alloc(
			    h, SMPHEAP_ZONE_RUNTIME,
			    (struct smph_tally){&t->ctr[SMPHEAP_ZONE_RUNTIME], true}, block, p);
		}
	}
	return alloc_runtime_claim(h, size);
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
			struct smph_tally t =
			    slot < h->tcache_slots
				? (struct smph_tally){&h->tcache[slot].ctr[SMPHEAP_ZONE_BUFFER],
						      true}
				: (struct smph_tally){
				      smph_ctr(h, SMPHEAP_ZONE_BUFFER, smph_core(h)), false};

#ifdef SMPHEAP_POISON
			check_poison(h, SMPHEAP_ZONE_BUFFER, smph_core(h), p, bytes);
#endif
			return smph_count_alloc(h, SMPHEAP_ZONE_BUFFER, t, bytes, p);
		}
	}
	/* Exhaustion, bad arguments, a thread new to the platform: the
	 * general path answers and counts. */
	return smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, caps, size, 1);
}

void *smpheap_alloc(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size)
{
	if (smph_likely(zone == SMPHEAP_ZONE_RUNTIME && caps == 0))
		return alloc_runtime(h, size);
	if (zone == SMPHEAP_ZONE_SYS)
		return alloc_sys(h, caps, size);
	if (zone == SMPHEAP_ZONE_BUFFER)
		return alloc_buffer(h, caps, size);
	return alloc_slow(h, zone, caps, size);
}

/* A runtime block (block idx of class k in `core`'s shard, at p) back to its
 * shard's bitmap: one atomic OR. */
static inline int free_block(struct smpheap *h, unsigned core, unsigned k, uint32_t idx,
			     uintptr_t p)
{
	int rc;

	if (smph_unlikely(idx == SMPH_NO_BIT))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EINVAL);
	rc = smph_runtime_free(h, core, k, idx, p);
	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
	return smph_count_free(h, SMPHEAP_ZONE_RUNTIME,
			       caller_tally(h, SMPHEAP_ZONE_RUNTIME, smph_slot()),
			       h->geom[k].block_size);
}

/* A buffer run (at p in region r) back to its region. */
static __attribute__((noinline)) int free_run(struct smpheap *h, unsigned r, uintptr_t p)
{
	size_t bytes = 0;
	int rc = smph_buffer_free(h, r, p, &bytes);

	if (smph_unlikely(rc))
		return smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, rc);
	return smph_count_free(h, SMPHEAP_ZONE_BUFFER,
			       caller_tally(h, SMPHEAP_ZONE_BUFFER, smph_slot()), bytes);
}

/* NULL, and every pointer that free_located() found in no runtime shard
 * and no buffer region: in a system heap, in the padding of a core group,
 * or outside the zones (also any pointer given with a heap that is not
 * one). Classified and counted; nothing changes. */
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
	case SMPH_AT_SHARD:  /* free_located() takes these */
	case SMPH_AT_REGION: /* and these */
		smph_assert(0);
		/* fall through */
	case SMPH_AT_FOREIGN:
	default:
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EFAULT);
	}
}

/* A free that is not of the word the thread used last (or by a thread with
 * no slot): find the block's shard and class from its address, then put it
 * in the thread's held word of that class if it belongs there, else back to
 * the shard's bitmap. Buffer runs go to their region; anything else goes
 * to free_rejected() to be classified. */
static __attribute__((noinline)) int free_located(struct smpheap *h, unsigned slot, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;

	/* Unsigned wrap: NULL and pointers below the zones fail the range
	 * test too, and go to free_rejected() to be answered. */
	if (smph_likely(p - h->zones_base < h->end - h->zones_base)) {
		unsigned owner = h->bank_owner[(p - h->zones_base) >> h->bank_shift];
		const struct smph_shard *s = &h->shards[owner & SMPH_OWNER_INDEX];
		uintptr_t off = p - s->base;

		if (smph_likely(!(owner & SMPH_OWNER_REGION) && off < h->shard_bytes)) {
			unsigned k = smph_class_at(h, off);
			const struct smph_class_geom *g = &h->geom[k];
			uint32_t idx = smph_block_index(g, off - g->offset);
			struct smph_tcache *t = &h->tcache[slot];

			if (slot < h->tcache_slots && smph_likely(idx != SMPH_NO_BIT) &&
			    smph_tcache_push(&t->cls[k], p)) {
				t->last = &t->cls[k];
				return smph_count_free(
				    h, SMPHEAP_ZONE_RUNTIME,
				    (struct smph_tally){&t->ctr[SMPHEAP_ZONE_RUNTIME], true},
				    g->block_size);
			}
			return free_block(h, owner, k, idx, p);
		}
		if (owner & SMPH_OWNER_REGION)
			return free_run(h, owner & SMPH_OWNER_INDEX, p);
	}
	return free_rejected(h, ptr);
}

/* The fast path: a runtime block of the word the calling thread used last
 * goes back into that word with plain stores. */
int smpheap_free(struct smpheap *h, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned slot = smph_slot_ready();

	if (smph_likely(heap_ok(h))) {
		if (smph_likely(slot < h->tcache_slots)) {
			struct smph_tcache *t = &h->tcache[slot];

			/* Most frees are of a block of the word this thread
			 * used last. */
			if (smph_likely(smph_tcache_push(t->last, p)))
				return smph_count_free(
				    h, SMPHEAP_ZONE_RUNTIME,
				    (struct smph_tally){&t->ctr[SMPHEAP_ZONE_RUNTIME], true},
				    t->last->geom->block_size);
		}
		return free_located(h, slot, ptr);
	}
	return free_rejected(h, ptr);
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

void *smpheap_realloc(struct smpheap *h, void *ptr, size_t size)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned index;
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
	case SMPH_AT_SHARD:
		old_bytes = smph_runtime_block_size(h, p, &live);
		if (!old_bytes || !live) {
			smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME,
					    old_bytes ? -EALREADY : -EINVAL);
			return NULL;
		}
		if (size <= old_bytes)
			return ptr; /* the block already holds it */
		return move_block(h, ptr, old_bytes, SMPHEAP_ZONE_RUNTIME, 0, size, 1);
	case SMPH_AT_REGION:
		rc = smph_buffer_resize(h, p, size, &old_bytes, &new_bytes);
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
	size_t bytes;
	bool live;

	if (!heap_ok(h) || !ptr)
		return 0;
	switch (smph_locate(h, p, &index)) {
	case SMPH_AT_SHARD:
		bytes = smph_runtime_block_size(h, p, &live);
		return live ? bytes : 0;
	case SMPH_AT_REGION:
		return smph_buffer_run_bytes(h, p);
	default:
		return 0;
	}
}

int smpheap_zone_of(const struct smpheap *h, const void *ptr)
{
	unsigned index;

	if (!heap_ok(h))
		return -EFAULT;
	switch (smph_locate(h, (uintptr_t)ptr, &index)) {
	case SMPH_AT_SYS:
		return SMPHEAP_ZONE_SYS;
	case SMPH_AT_SHARD:
	case SMPH_AT_GAP:
		return SMPHEAP_ZONE_RUNTIME;
	case SMPH_AT_REGION:
		return SMPHEAP_ZONE_BUFFER;
	default:
		return -EFAULT;
	}
}
