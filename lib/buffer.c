/* buffer.c - the buffer zone: contiguous runs of pages, claimed lock-free.
 *
 * Each region has three flat bitmaps, all out of band (no header ever sits
 * in front of DMA data):
 *   free   1 = page free
 *   start  1 = a live run starts at this page
 *   end    1 = a live run ends at this page (its last page)
 *
 * Allocation finds a run of free pages in a snapshot, claims it word by word
 * in ascending order with CAS (rolling back on conflict, see bitmap.c), then
 * marks its end and, last, its start: the start bit is what publishes the run
 * to smpheap_free(). Free takes the start bit with one atomic AND (of two
 * racing frees exactly one wins), finds the end bit, clears it and gives the
 * pages back. A search that failed only because other threads held pages
 * tentatively is retried, a bounded number of times, before reporting
 * exhaustion.
 */
#include <errno.h>

#include "internal.h"

#define CLAIM_PASSES 4 /* full searches before a conflicted search gives up */

/* Marks the claimed run [i, i+n) as a live run: end first, then the start
 * bit, which publishes it. */
static void publish_run(struct smph_region *rg, uint32_t i, uint32_t n)
{
	/* Relaxed: only whoever takes the start bit (with acquire, after our
	 * release below) reads this end bit. */
	smph_bit_test_and_set(rg->end, i + n - 1, smph_relaxed);
	/* Release: publishes the end bit with the run. */
	smph_bit_test_and_set(rg->start, i, smph_release);
}

/* Bit i of the result is set iff bits i..i+n-1 of x are all set (1 <= n <= W). */
static inline smph_word_t run_starts(smph_word_t x, uint32_t n)
{
	for (uint32_t have = 1; have < n && x;) {
		uint32_t step = have < n - have ? have : n - have;

		x &= x >> step;
		have += step;
	}
	return x;
}

/* A run that fits in one word, claimed with one CAS: the common case for
 * audio periods. Word by word from the region start (first fit among
 * one-word placements); SMPH_NO_BIT sends the caller to the general search,
 * which also finds runs that straddle words. */
static uint32_t claim_in_word(struct smph_region *rg, uint32_t n, uint32_t align_pages)
{
	uint32_t words = smph_words_for(rg->pages);
	/* Bits at multiples of align_pages (a power of two): all ones / (2^a - 1)
	 * is 1 + 2^a + 2^2a + ..., e.g. 0x5555... for a = 2. */
	smph_word_t aligned = SMPH_WORD_ONES;

	if (align_pages >= SMPH_WORD_BITS)
		aligned = 1;
	else if (align_pages > 1)
		aligned = SMPH_WORD_ONES / (smph_bit(align_pages) - 1);
	for (uint32_t w = 0; w < words; w++) {
		smph_aword_t *word = &rg->free[w];
		/* Relaxed: a snapshot; the CAS decides. */
		smph_word_t cur = smph_load(word, smph_relaxed);

		for (;;) {
			smph_word_t starts = run_starts(cur, n) & aligned;
			unsigned bit;

			if (!starts)
				break;
			bit = smph_ctz(starts);
			/* Acquire on success: as every claim (bitmap.h). */
			if (smph_cas_weak(word, &cur, cur & ~smph_mask(bit, n), smph_acquire,
					  smph_relaxed)) {
				uint32_t i = (w << SMPH_WORD_SHIFT) + bit;

				publish_run(rg, i, n);
				return i;
			}
		}
	}
	return SMPH_NO_BIT;
}

static uint32_t claim_in(struct smph_region *rg, uint32_t n, uint32_t align_pages)
{
	for (int pass = 0; pass < CLAIM_PASSES; pass++) {
		bool conflict = false;
		uint32_t from = 0;

		for (;;) {
			uint32_t i = smph_bits_find_run(rg->free, rg->pages, from, n, align_pages);
			uint32_t busy;

			if (i == SMPH_NO_BIT)
				break;
			busy = smph_bits_claim_run(rg->free, i, n);
			if (busy == SMPH_NO_BIT) {
				publish_run(rg, i, n);
				return i;
			}
			/* Every start from i up to the busy page would cover
			 * it: resume the search there. */
			conflict = true;
			from = busy;
		}
		if (!conflict)
			break;
	}
	return SMPH_NO_BIT;
}

void *smph_buffer_alloc(struct smpheap *h, uint32_t caps, size_t size, size_t align, size_t *bytes)
{
	size_t page = (size_t)1 << h->page_shift;
	uint32_t align_pages = align > page ? (uint32_t)(align >> h->page_shift) : 1;

	for (unsigned r = 0; r < h->region_count; r++) {
		struct smph_region *rg = &h->regions[r];
		uint32_t n, i;

		if ((rg->caps & caps) != caps || size > (size_t)rg->pages << h->page_shift)
			continue;
		n = (uint32_t)((size + page - 1) >> h->page_shift);
		i = SMPH_NO_BIT;
		if (n <= SMPH_WORD_BITS && align_pages <= SMPH_WORD_BITS)
			i = claim_in_word(rg, n, align_pages);
		if (i == SMPH_NO_BIT)
			i = claim_in(rg, n, align_pages);
		if (i != SMPH_NO_BIT) {
			*bytes = (size_t)n << h->page_shift;
			return (void *)(rg->base + ((uintptr_t)i << h->page_shift));
		}
	}
	return NULL;
}

/* Page index of p in region r if p is page aligned and inside it, else
 * SMPH_NO_BIT. */
static uint32_t page_of(const struct smpheap *h, const struct smph_region *rg, uintptr_t p)
{
	uintptr_t off = p - rg->base;

	if (off & (((uintptr_t)1 << h->page_shift) - 1) || (off >> h->page_shift) >= rg->pages)
		return SMPH_NO_BIT;
	return (uint32_t)(off >> h->page_shift);
}

int smph_buffer_free(struct smpheap *h, unsigned r, uintptr_t p, size_t *bytes)
{
	struct smph_region *rg = &h->regions[r];
	uint32_t i = page_of(h, rg, p), e;

	if (i == SMPH_NO_BIT)
		return -EINVAL;
	/* Acquire: pairs with the allocator's release of the start bit, so
	 * the run's end bit is visible to us. */
	if (!smph_bit_test_and_clear(rg->start, i, smph_acquire))
		return smph_bit_test(rg->free, i) ? -EALREADY : -EINVAL;
	e = smph_bits_find_set(rg->end, rg->pages, i);
	smph_assert(e != SMPH_NO_BIT);
	if (e == SMPH_NO_BIT) /* cannot happen while the invariants hold */
		return -EUCLEAN;
	/* Relaxed: we own the run; the release below publishes this too. */
	smph_bit_test_and_clear(rg->end, e, smph_relaxed);
	*bytes = (size_t)(e - i + 1) << h->page_shift;
#ifdef SMPHEAP_POISON
	smph_poison((void *)p, *bytes);
#endif
	smph_bits_set_run(rg->free, i, e - i + 1);
	return 0;
}

/* Region index holding p, or -1. */
static int region_of(const struct smpheap *h, uintptr_t p)
{
	unsigned r;

	return smph_locate(h, p, &r) == SMPH_AT_REGION ? (int)r : -1;
}

size_t smph_buffer_run_bytes(const struct smpheap *h, uintptr_t p)
{
	int r = region_of(h, p);
	const struct smph_region *rg;
	uint32_t i, e;

	if (r < 0)
		return 0;
	rg = &h->regions[r];
	i = page_of(h, rg, p);
	if (i == SMPH_NO_BIT || !smph_bit_test(rg->start, i))
		return 0;
	e = smph_bits_find_set(rg->end, rg->pages, i);
	return e == SMPH_NO_BIT ? 0 : (size_t)(e - i + 1) << h->page_shift;
}

int smph_buffer_resize(struct smpheap *h, uintptr_t p, size_t size, size_t *old_bytes,
		       size_t *new_bytes)
{
	int r = region_of(h, p);
	struct smph_region *rg;
	uint32_t i, e, n, e2;

	if (r < 0)
		return -EINVAL;
	rg = &h->regions[r];
	i = page_of(h, rg, p);
	if (i == SMPH_NO_BIT)
		return -EINVAL;
	if (!smph_bit_test(rg->start, i))
		return smph_bit_test(rg->free, i) ? -EALREADY : -EINVAL;
	e = smph_bits_find_set(rg->end, rg->pages, i);
	if (e == SMPH_NO_BIT)
		return -EUCLEAN;
	*old_bytes = (size_t)(e - i + 1) << h->page_shift;
	if (size > (size_t)(rg->pages - i) << h->page_shift)
		return -ENOMEM;
	n = (uint32_t)((size + ((size_t)1 << h->page_shift) - 1) >> h->page_shift);
	e2 = i + n - 1;
	*new_bytes = (size_t)n << h->page_shift;
	if (e2 == e)
		return 0;
	if (e2 > e && smph_bits_claim_run(rg->free, e + 1, e2 - e) != SMPH_NO_BIT)
		return -ENOMEM;
	/* Mark the new end before clearing the old one, so a run always has
	 * an end to find; then give back any tail. Relaxed: we own the run. */
	smph_bit_test_and_set(rg->end, e2, smph_relaxed);
	smph_bit_test_and_clear(rg->end, e, smph_relaxed);
	if (e2 < e) {
#ifdef SMPHEAP_POISON
		smph_poison((void *)(rg->base + ((uintptr_t)(e2 + 1) << h->page_shift)),
			    (size_t)(e - e2) << h->page_shift);
#endif
		smph_bits_set_run(rg->free, e2 + 1, e - e2);
	}
	return 0;
}
