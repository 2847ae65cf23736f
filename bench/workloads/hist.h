/* hist.h - a log-linear histogram of cycle counts (HDR-style): exact below
 * 2 * HIST_SUB, then HIST_SUB buckets per power of two, so every recorded
 * value is known to within 1/HIST_SUB (1.6 %) of itself. Integer only (no
 * floating point: it runs on Xtensa too), no allocation, O(1) record. */
#ifndef BENCH_HIST_H
#define BENCH_HIST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HIST_SUB_BITS 6
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_BITS 40 /* values up to 2^40 cycles (minutes); larger ones clamp */
#define HIST_BUCKETS ((HIST_MAX_BITS - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;		  /* values recorded */
	uint64_t sum;		  /* their sum */
	uint64_t min, max;	  /* exact extremes */
	uint64_t b[HIST_BUCKETS]; /* counts per bucket */
};

void hist_reset(struct hist *h);
void hist_record(struct hist *h, uint64_t v);
void hist_merge(struct hist *into, const struct hist *from);
/* The value at `ppm` parts per million (500000 = median): the highest value
 * of the bucket holding that rank, clamped to the exact max. 0 if empty. */
uint64_t hist_percentile(const struct hist *h, uint32_t ppm);
/* Mean of the lowest `ppm` parts per million of the values, in thousandths
 * (bucket midpoints stand for bucketed values): a mean that preemptions and
 * interrupts in the top tail cannot drag. 0 if empty. */
uint64_t hist_trimmed_mean_milli(const struct hist *h, uint32_t ppm);
/* Bucket index of v, and the range [lo, hi] of values a bucket holds. */
unsigned hist_bucket(uint64_t v);
void hist_bucket_range(unsigned i, uint64_t *lo, uint64_t *hi);

#ifdef __cplusplus
}
#endif

#endif
