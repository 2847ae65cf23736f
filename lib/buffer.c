/* buffer.c - the buffer zone: contiguous runs of pages cut from the pool.
 *
 * A run is claimed from the pool (pool.c: found in a snapshot, claimed word
 * by word in ascending order with one CAS per word, rolled back on
 * conflict), then published by one release store of its page table entry
 * at its first page: SMPH_PT_RUN with its length. No header ever sits in
 * front of DMA data, and no per-page mark is written for the run's other
 * pages, so neither claim nor release walks the run page by page: both cost
 * one CAS or OR per word of pages, and free finds the length in O(1).
 *
 * Free takes the run with one CAS of its entry to NONE (of two racing frees
 * exactly one wins), then gives the pages back to the pool.
 */
#include <errno.h>

#include "internal.h"

void *smph_buffer_alloc(struct smpheap *h, uint32_t caps, size_t size, size_t align,
			const struct smph_window *w, size_t *bytes)
{
	size_t page = (size_t)1 << h->page_shift;
	uint32_t align_pages = align > page ? (uint32_t)(align >> h->page_shift) : 1;
	uint32_t n, i;

	if (size > ((size_t)h->pool_pages << h->page_shift))
		return NULL;
	n = (uint32_t)((size + page - 1) >> h->page_shift);
	i = smph_pool_claim(h, SMPHEAP_ZONE_BUFFER, caps, n, align_pages, w);
	if (i == SMPH_NO_BIT)
		return NULL;
	/* Release: publishes the run (its length) to a free that reads the
	 * entry with acquire. */
	smph_store(&h->pt[i], SMPH_PT_RUN_OF(n), smph_release);
	*bytes = (size_t)n << h->page_shift;
	return (void *)smph_page_addr(h, i);
}

/* What a free or resize of pool page i that is not a run start gets:
 * -EALREADY for a free page (in the pool, or in a bank the sweep powered
 * off: it was free then), -EINVAL for anything else. */
static int not_a_run(const struct smpheap *h, uint32_t i)
{
	uint32_t b = (uint32_t)((smph_page_addr(h, i) - h->zones_base) >> h->bank_shift);

	/* Relaxed: a snapshot, to classify a bad free. */
	return smph_bit_test(h->pfree, i) || smph_load(&h->bank_off[b], smph_relaxed) ? -EALREADY
										      : -EINVAL;
}

int smph_buffer_free(struct smpheap *h, uint32_t i, size_t *bytes)
{
	/* Acquire: pairs with the allocator's release store. */
	uint32_t e = smph_load(&h->pt[i], smph_acquire), n;

	if (SMPH_PT_KIND(e) != SMPH_PT_RUN)
		return not_a_run(h, i);
	/* Exactly one of two racing frees takes the entry. Relaxed: we own
	 * the pages now; their release to the pool publishes the entry. */
	if (!smph_cas_strong(&h->pt[i], &e, SMPH_PT_NONE, smph_relaxed, smph_relaxed))
		return -EALREADY;
	n = SMPH_PT_DATA(e);
	*bytes = (size_t)n << h->page_shift;
#ifdef SMPHEAP_POISON
	smph_poison((void *)smph_page_addr(h, i), *bytes);
#endif
	smph_pool_release(h, SMPHEAP_ZONE_BUFFER, i, n);
	return 0;
}

size_t smph_buffer_run_bytes(const struct smpheap *h, uint32_t i)
{
	/* Relaxed: a snapshot for usable_size. */
	uint32_t e = smph_load(&h->pt[i], smph_relaxed);

	return SMPH_PT_KIND(e) == SMPH_PT_RUN ? (size_t)SMPH_PT_DATA(e) << h->page_shift : 0;
}

/* The region holding pool page i. */
static const struct smph_region *region_at(const struct smpheap *h, uint32_t i)
{
	for (unsigned r = 0; r < h->region_count; r++)
		if (i - h->regions[r].first < h->regions[r].pages)
			return &h->regions[r];
	return NULL;
}

int smph_buffer_resize(struct smpheap *h, uint32_t i, size_t size, size_t *old_bytes,
		       size_t *new_bytes)
{
	/* Acquire: as smph_buffer_free(). */
	uint32_t e = smph_load(&h->pt[i], smph_acquire), n, n2;
	const struct smph_region *rg = region_at(h, i);

	if (SMPH_PT_KIND(e) != SMPH_PT_RUN || !rg)
		return not_a_run(h, i);
	n = SMPH_PT_DATA(e);
	*old_bytes = (size_t)n << h->page_shift;
	if (size > (size_t)(rg->first + rg->pages - i) << h->page_shift)
		return -ENOMEM;
	n2 = (uint32_t)((size + ((size_t)1 << h->page_shift) - 1) >> h->page_shift);
	*new_bytes = (size_t)n2 << h->page_shift;
	if (n2 == n)
		return 0;
	if (n2 > n) {
		if (!smph_pool_charge(h, SMPHEAP_ZONE_BUFFER, (size_t)(n2 - n) << h->page_shift))
			return -ENOMEM;
		if (smph_bits_claim_run(h->pfree, i + n, n2 - n) != SMPH_NO_BIT) {
			smph_pool_refund(h, SMPHEAP_ZONE_BUFFER, (size_t)(n2 - n) << h->page_shift);
			return -ENOMEM;
		}
	}
	/* Relaxed: the caller owns the run (realloc's contract). */
	smph_store(&h->pt[i], SMPH_PT_RUN_OF(n2), smph_relaxed);
	if (n2 < n) {
#ifdef SMPHEAP_POISON
		smph_poison((void *)smph_page_addr(h, i + n2), (size_t)(n - n2) << h->page_shift);
#endif
		smph_pool_release(h, SMPHEAP_ZONE_BUFFER, i + n2, n - n2);
	}
	return 0;
}
