/* pool.c - the page pool: every region's pages in one flat atomic bitmap
 * (1 = free), from which the runtime zone cuts slabs and the buffer zone
 * cuts runs, lock-free (CAS, rolled back on conflict; bitmap.c).
 *
 * A claim looks only in regions the zone may draw from (the layout's
 * `zones`), with the caps asked, within the zone's quota. A search that
 * failed only because other threads held pages tentatively is retried, a
 * bounded number of times, before the pool reports exhaustion; before it
 * does, banks the sweep powered off are powered on again.
 *
 * Banks: smph_pool_sweep() takes every bank whose pages are all free out
 * of the pool (a claim like any other, so nobody can be handed its pages),
 * waits a grace period, then powers it off. Whichever core used it.
 */
#include <errno.h>

#include "internal.h"

#define CLAIM_PASSES 4 /* full searches before a conflicted search gives up */

/* Bits of word w that lie in [lo, hi). */
static inline smph_word_t range_mask(uint32_t w, uint32_t lo, uint32_t hi)
{
	uint32_t a = w << SMPH_WORD_SHIFT, b = a + SMPH_WORD_BITS;
	smph_word_t m = SMPH_WORD_ONES;

	if (lo > a)
		m &= SMPH_WORD_ONES << (lo - a);
	if (hi < b)
		m &= smph_bit(hi - a) - 1;
	return m;
}

/* A run that fits in one word, claimed with one CAS (bitmap.c): the common
 * case (audio periods, slabs). Word by word from the region's start (first
 * fit among one-word placements); SMPH_NO_BIT sends the caller to the
 * general search, which also finds runs that straddle words. */
static uint32_t claim_in_word(struct smpheap *h, const struct smph_region *rg, uint32_t n,
			      uint32_t align_pages)
{
	/* Bits at multiples of align_pages (a power of two): 1 + 2^a + 2^2a + ...,
	 * e.g. 0x5555... for a = 2, built by doubling (a word-wide division is a
	 * library call of some 150 instructions on cores without a divider, and
	 * every slab cut pays it). */
	smph_word_t aligned = SMPH_WORD_ONES, in = rg->first_mask;

	if (align_pages >= SMPH_WORD_BITS) {
		aligned = 1;
	} else if (align_pages > 1) {
		aligned = 1;
		for (uint32_t step = align_pages; step < SMPH_WORD_BITS; step <<= 1)
			aligned |= aligned << step;
	}
	for (uint32_t w = rg->first_word;; w++) {
		uint32_t bit;

		if (w == rg->last_word)
			in &= rg->last_mask;
		bit = smph_bits_claim_in_word(&h->pfree[w], in, n, aligned);
		if (bit != SMPH_NO_BIT)
			return (w << SMPH_WORD_SHIFT) + bit;
		if (w == rg->last_word)
			return SMPH_NO_BIT;
		in = SMPH_WORD_ONES;
	}
}

/* After claim_in_word() found no run of n <= W pages: where one may
 * straddle two words (a run of n <= W pages spans at most two), in a
 * relaxed snapshot: the first page of the free pages at the top of a word
 * that, with the next word's at its bottom, are n or more together;
 * SMPH_NO_BIT if there is none. The general search then starts there, and
 * a failing allocation is spared it: it scans the pool once with this
 * cheap test instead of twice. Out of line, as claim_in(): the usual
 * claim, a one-word placement, then keeps nothing across a call. */
static __attribute__((noinline)) uint32_t straddle_from(const struct smpheap *h,
							const struct smph_region *rg, uint32_t n)
{
	uint32_t lo = rg->first, hi = rg->first + rg->pages, top = 0;

	for (uint32_t w = lo >> SMPH_WORD_SHIFT; w <= (hi - 1) >> SMPH_WORD_SHIFT; w++) {
		/* Relaxed: a snapshot, as the search's own. */
		smph_word_t gaps = ~(smph_load(&h->pfree[w], smph_relaxed) & range_mask(w, lo, hi));

		if (!gaps || top + smph_ctz(gaps) >= n) {
			uint32_t from = (w << SMPH_WORD_SHIFT) - top;

			return from > lo ? from : lo;
		}
		top = smph_clz(gaps); /* free pages at the top of this word */
	}
	return SMPH_NO_BIT;
}

/* The general search, from page `start` of the region on. */
static __attribute__((noinline)) uint32_t claim_in(struct smpheap *h, const struct smph_region *rg,
						   uint32_t n, uint32_t align_pages, uint32_t start)
{
	uint32_t hi = rg->first + rg->pages;

	for (int pass = 0; pass < CLAIM_PASSES; pass++) {
		bool conflict = false;
		uint32_t from = start;

		for (;;) {
			uint32_t i = smph_bits_find_run(h->pfree, hi, from, n, align_pages);
			uint32_t busy;

			if (i == SMPH_NO_BIT)
				break;
			busy = smph_bits_claim_run(h->pfree, i, n);
			if (busy == SMPH_NO_BIT)
				return i;
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

bool smph_pool_charge(struct smpheap *h, unsigned zone, size_t bytes)
{
	if (!h->quota[zone])
		return true;
	/* Relaxed: a count; the pages themselves are claimed by CAS. */
	if (smph_fetch_add(&h->held[zone], bytes, smph_relaxed) + bytes <= h->quota[zone])
		return true;
	smph_fetch_sub(&h->held[zone], bytes, smph_relaxed);
	return false;
}

void smph_pool_refund(struct smpheap *h, unsigned zone, size_t bytes)
{
	if (h->quota[zone])
		smph_fetch_sub(&h->held[zone], bytes, smph_relaxed);
}

/* A region's words of the free-page bitmap and its bits of the first and
 * the last (its pages set). */
static void region_words(struct smph_region *rg)
{
	uint32_t last = rg->first + rg->pages - 1;

	rg->first_word = rg->first >> SMPH_WORD_SHIFT;
	rg->last_word = last >> SMPH_WORD_SHIFT;
	rg->first_mask = SMPH_WORD_ONES << (rg->first & (SMPH_WORD_BITS - 1));
	rg->last_mask = SMPH_WORD_ONES >> ((SMPH_WORD_BITS - 1) - (last & (SMPH_WORD_BITS - 1)));
}

void smph_pool_order(struct smpheap *h)
{
	for (unsigned r = 0; r < h->region_count; r++)
		region_words(&h->regions[r]);
	for (unsigned z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		h->zone_regions[z] = 0;
		for (unsigned shared = 0; shared < 2; shared++)
			for (unsigned r = 0; r < h->region_count; r++)
				if ((h->regions[r].zones & (1u << z)) &&
				    (h->regions[r].zones != (1u << z)) == shared)
					h->zone_region[z][h->zone_regions[z]++] = (uint8_t)r;
	}
}

/* The part of region rg where a run of n pages overlapping w can lie (the
 * window widened by n - 1 pages each side), as a region of its own in
 * *clip; false if it cannot hold n pages. */
static bool clip_region(const struct smph_region *rg, const struct smph_window *w, uint32_t n,
			struct smph_region *clip)
{
	uint32_t lo = w->lo > n - 1 ? w->lo - (n - 1) : 0, hi = w->hi + (n - 1);

	if (lo < rg->first)
		lo = rg->first;
	if (hi > rg->first + rg->pages)
		hi = rg->first + rg->pages;
	if (hi <= lo || hi - lo < n)
		return false;
	*clip = *rg;
	clip->first = lo;
	clip->pages = hi - lo;
	region_words(clip);
	return true;
}

static uint32_t claim_once(struct smpheap *h, unsigned zone, uint32_t caps, uint32_t n,
			   uint32_t align_pages, const struct smph_window *w)
{
	/* Regions only this zone may use first, then shared ones (the order
	 * init.c lists): a shared page this zone takes is one the other zone
	 * can no longer have. */
	for (unsigned j = 0; j < h->zone_regions[zone]; j++) {
		const struct smph_region *rg = &h->regions[h->zone_region[zone][j]];
		struct smph_region clip;
		uint32_t i = SMPH_NO_BIT, from;

		if ((rg->caps & caps) != caps || n > rg->pages)
			continue;
		if (w) {
			if (!clip_region(rg, w, n, &clip))
				continue;
			rg = &clip;
		}
		from = rg->first;
		if (n <= SMPH_WORD_BITS && align_pages <= SMPH_WORD_BITS) {
			i = claim_in_word(h, rg, n, align_pages);
			if (i != SMPH_NO_BIT)
				return i;
			from = straddle_from(h, rg, n);
			if (from == SMPH_NO_BIT)
				continue;
		}
		i = claim_in(h, rg, n, align_pages, from);
		if (i != SMPH_NO_BIT)
			return i;
	}
	return SMPH_NO_BIT;
}

uint32_t smph_pool_claim(struct smpheap *h, unsigned zone, uint32_t caps, uint32_t n,
			 uint32_t align_pages, const struct smph_window *w)
{
	uint32_t i;

	if (!smph_pool_charge(h, zone, (size_t)n << h->page_shift))
		return SMPH_NO_BIT;
	i = claim_once(h, zone, caps, n, align_pages, w);
	/* Banks powered on again: anywhere in the pool. */
	if (smph_unlikely(i == SMPH_NO_BIT) && smph_pool_wake(h))
		i = claim_once(h, zone, caps, n, align_pages, NULL);
	if (i == SMPH_NO_BIT)
		smph_pool_refund(h, zone, (size_t)n << h->page_shift);
	return i;
}

void smph_pool_release(struct smpheap *h, unsigned zone, uint32_t i, uint32_t n)
{
	/* Release (inside): whoever claims these pages next sees our writes,
	 * the page table entries we reset among them. */
	smph_bits_set_run(h->pfree, i, n);
	smph_pool_refund(h, zone, (size_t)n << h->page_shift);
}

/* The pool pages of bank b, [*lo, *hi), clipped to its region; false if the
 * bank holds none. */
static bool bank_pages(const struct smpheap *h, uint32_t b, uint32_t *lo, uint32_t *hi)
{
	uintptr_t a = h->zones_base + ((uintptr_t)b << h->bank_shift);
	unsigned r = h->bank_owner[b] & SMPH_OWNER_INDEX;
	const struct smph_region *rg = &h->regions[r];
	uint32_t first, last;

	if (!(h->bank_owner[b] & SMPH_OWNER_REGION) || a < h->pool_base)
		return false;
	first = (uint32_t)((a - h->pool_base) >> h->page_shift);
	last = first + (uint32_t)(((uintptr_t)1 << h->bank_shift) >> h->page_shift);
	if (first < rg->first)
		first = rg->first;
	if (last > rg->first + rg->pages)
		last = rg->first + rg->pages;
	*lo = first;
	*hi = last;
	return first < last;
}

int smph_pool_sweep(struct smpheap *h)
{
	uint32_t taken[64], count = 0;
	int released = 0;
	bool more = true;

	/* In rounds of up to 64 banks: take, wait, power off. */
	for (uint32_t b = 0; more;) {
		more = false;
		count = 0;
		for (; b < h->banks; b++) {
			uint32_t lo, hi;

			if (count == 64) {
				more = true;
				break;
			}
			/* Relaxed: only the sweep and wake change it, by exchange. */
			if (!bank_pages(h, b, &lo, &hi) || smph_load(&h->bank_off[b], smph_relaxed))
				continue;
			if (smph_bits_count(h->pfree, lo, hi - lo) != hi - lo)
				continue;
			/* Claimed like any run: from now on nobody is handed
			 * these pages. */
			if (smph_bits_claim_run(h->pfree, lo, hi - lo) == SMPH_NO_BIT)
				taken[count++] = b;
		}
		if (!count)
			break;
		/* The grace period: a thread that found these pages free before
		 * our claim and was about to touch them (a poisoning or zeroing
		 * platform hook, a non-coherent cache's write-back) is done. */
		smph_platform_synchronize();
		for (uint32_t i = 0; i < count; i++) {
			uintptr_t a = h->zones_base + ((uintptr_t)taken[i] << h->bank_shift);

			smph_platform_bank_power((void *)a, (size_t)1 << h->bank_shift, false);
			/* Relaxed: the pages stay claimed; wake exchanges it back. */
			smph_store(&h->bank_off[taken[i]], 1, smph_relaxed);
			smph_fetch_add(&h->banks_off, 1, smph_relaxed);
			smph_fetch_add(&h->bank_release_count, 1, smph_relaxed);
			released++;
		}
	}
	return released;
}

bool smph_pool_wake(struct smpheap *h)
{
	bool woke = false;

	/* Relaxed: a count, read to skip the scan when nothing is off. */
	if (!smph_load(&h->banks_off, smph_relaxed))
		return false;
	for (uint32_t b = 0; b < h->banks; b++) {
		uint32_t lo, hi;

		if (!bank_pages(h, b, &lo, &hi) || !smph_load(&h->bank_off[b], smph_relaxed))
			continue;
		/* Exactly one waker takes the bank back. Relaxed: the pages'
		 * release below publishes the powered-on memory. */
		if (!smph_exchange(&h->bank_off[b], 0, smph_relaxed))
			continue;
		smph_platform_bank_power((void *)(h->zones_base + ((uintptr_t)b << h->bank_shift)),
					 (size_t)1 << h->bank_shift, true);
#ifdef SMPHEAP_POISON
		/* Power-off lost the poison; every page here is free. */
		smph_poison((void *)smph_page_addr(h, lo), (size_t)(hi - lo) << h->page_shift);
#endif
		smph_fetch_sub(&h->banks_off, 1, smph_relaxed);
		smph_bits_set_run(h->pfree, lo, hi - lo);
		woke = true;
	}
	return woke;
}
