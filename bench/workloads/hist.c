/* hist.c - see hist.h. */
#include "hist.h"

void hist_reset(struct hist *h)
{
	h->count = 0;
	h->sum = 0;
	h->min = UINT64_MAX;
	h->max = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		h->b[i] = 0;
}

/* floor(log2(v)) for v > 0, without builtins (some bare-metal libgcc lack
 * the count-leading-zeros helpers) */
static unsigned log2_floor(uint64_t v)
{
	unsigned r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r;
}

unsigned hist_bucket(uint64_t v)
{
	unsigned shift;

	if (v < 2 * HIST_SUB)
		return (unsigned)v;
	if (v >> HIST_MAX_BITS)
		return HIST_BUCKETS - 1;
	/* v in [2^m, 2^(m+1)): keep its top HIST_SUB_BITS+1 bits */
	shift = log2_floor(v) - HIST_SUB_BITS;
	return shift * HIST_SUB + (unsigned)(v >> shift);
}

void hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi)
{
	unsigned shift;

	if (i < 2 * HIST_SUB) {
		*lo = *hi = i;
		return;
	}
	shift = i / HIST_SUB - 1;
	*lo = (uint64_t)(i - shift * HIST_SUB) << shift;
	*hi = *lo + ((uint64_t)1 << shift) - 1;
}

void hist_record(struct hist *h, uint64_t v)
{
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->b[hist_bucket(v)]++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
	into->count += from->count;
	into->sum += from->sum;
	if (from->min < into->min)
		into->min = from->min;
	if (from->max > into->max)
		into->max = from->max;
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		into->b[i] += from->b[i];
}

uint64_t hist_percentile(const struct hist *h, uint32_t ppm)
{
	uint64_t rank, seen = 0, lo, hi;

	if (!h->count)
		return 0;
	if (ppm >= 1000000)
		return h->max;
	/* the smallest value with at least ppm/1e6 of the values at or below
	 * it: rank = ceil(count * ppm / 1e6), at least 1 */
	rank = (h->count / 1000000) * ppm + ((h->count % 1000000) * ppm + 999999) / 1000000;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			hist_bucket_range(i, &lo, &hi);
			if (hi > h->max)
				hi = h->max;
			if (hi < h->min)
				hi = h->min;
			return hi;
		}
	}
	return h->max;
}

uint64_t hist_trimmed_mean_milli(const struct hist *h, uint32_t ppm)
{
	uint64_t keep, seen = 0, sum_milli = 0, lo, hi;

	if (!h->count)
		return 0;
	keep = (h->count / 1000000) * ppm + ((h->count % 1000000) * ppm + 999999) / 1000000;
	if (keep == 0)
		keep = 1;
	for (unsigned i = 0; i < HIST_BUCKETS && seen < keep; i++) {
		uint64_t n = h->b[i];

		if (!n)
			continue;
		if (n > keep - seen)
			n = keep - seen;
		hist_bucket_range(i, &lo, &hi);
		/* the midpoint, in thousandths */
		sum_milli += n * ((lo + hi) * 500);
		seen += n;
	}
	return sum_milli / seen;
}
