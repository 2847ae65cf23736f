/* alloc.c - the public entry points: argument checks, zone dispatch, counting.
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
	return smph_runtime_alloc(h, core, size, align, bytes);
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
	slot = smph_platform_thread_slot();
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
			p = smph_runtime_alloc(h, core, size, align, &bytes);
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
	smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), bytes);
	return p;
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

void *smpheap_alloc(struct smpheap *h, enum smpheap_zone zone, uint32_t caps, size_t size)
{
	unsigned core, slot;
	size_t bytes;
	void *p;

	if (smph_unlikely(!heap_ok(h) || size - 1 >= h->fast_max[zone & 3] ||
			  (caps & ~h->zone_caps[zone & 3])))
		return smpheap_alloc_aligned(h, zone, caps, size, 1);
	core = smph_core(h);
	slot = smph_platform_thread_slot();
	if (smph_likely(zone == SMPHEAP_ZONE_RUNTIME)) {
		p = smph_runtime_alloc_fast(h, core, slot, size, &bytes);
		if (smph_unlikely(!p))
			p = runtime_last_try(h, core, slot, size, SMPH_MIN_ALIGN, &bytes);
		if (smph_likely(p != NULL)) {
#ifdef SMPHEAP_POISON
			check_poison(h, zone, core, p, bytes);
#endif
			smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), bytes);
			return p;
		}
	} else {
		p = sys_alloc_fast(h, core, size);
		if (smph_likely(p != NULL)) {
			smph_count_alloc(h, zone, smph_tally(h, zone, core, slot), 0);
			return p;
		}
	}
	smph_count_failure(h, zone);
	return NULL;
}

int smpheap_free(struct smpheap *h, void *ptr)
{
	uintptr_t p = (uintptr_t)ptr;
	unsigned index, slot;
	size_t bytes = 0;
	int rc;

	if (!ptr)
		return 0;
	if (smph_unlikely(!heap_ok(h)))
		return -EFAULT;
	switch (smph_locate(h, p, &index)) {
	case SMPH_AT_SHARD:
		slot = smph_platform_thread_slot();
		rc = smph_runtime_free(h, index, slot, p, &bytes);
		if (smph_unlikely(rc))
			return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, rc);
		smph_count_free(h, SMPHEAP_ZONE_RUNTIME,
				caller_tally(h, SMPHEAP_ZONE_RUNTIME, slot), bytes);
		return 0;
	case SMPH_AT_REGION:
		rc = smph_buffer_free(h, index, p, &bytes);
		if (rc)
			return smph_count_bad_free(h, SMPHEAP_ZONE_BUFFER, rc);
		smph_count_free(h, SMPHEAP_ZONE_BUFFER,
				caller_tally(h, SMPHEAP_ZONE_BUFFER, smph_platform_thread_slot()),
				bytes);
		return 0;
	case SMPH_AT_SYS:
		return smph_count_bad_free(h, SMPHEAP_ZONE_SYS, -EPERM);
	case SMPH_AT_GAP:
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EINVAL);
	case SMPH_AT_FOREIGN:
	default:
		return smph_count_bad_free(h, SMPHEAP_ZONE_RUNTIME, -EFAULT);
	}
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
			smph_count_resize(h, SMPHEAP_ZONE_BUFFER, smph_core(h), old_bytes,
					  new_bytes);
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
