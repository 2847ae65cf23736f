/* test_hist.c - the histogram's bucket and percentile arithmetic. */
#include "check.h"
#include "hist.h"

static struct hist a, b, c;

int main(void)
{
	uint64_t lo, hi, prev = 0;

	/* every value lies in its bucket's range; buckets grow with values;
	 * a bucket is never wider than 1/64 of its values */
	for (uint64_t v = 0; v < ((uint64_t)1 << 41); v = v < 4096 ? v + 1 : v + v / 7 + 1) {
		unsigned i = hist_bucket(v);

		CHECK(i < HIST_BUCKETS);
		CHECK(i >= prev);
		prev = i;
		if (v >> HIST_MAX_BITS)
			continue;
		hist_bucket_range(i, &lo, &hi);
		CHECK(lo <= v && v <= hi);
		CHECK((hi - lo) * HIST_SUB <= lo);
	}
	CHECK_EQ(hist_bucket(127), 127);
	CHECK_EQ(hist_bucket(128), 128);
	CHECK_EQ(hist_bucket(255), 191);
	CHECK_EQ(hist_bucket(256), 192);
	CHECK_EQ(hist_bucket((uint64_t)1 << 50), HIST_BUCKETS - 1);

	/* exact below 128 */
	hist_reset(&a);
	CHECK_EQ(hist_percentile(&a, 500000), 0);
	for (uint64_t v = 1; v <= 100; v++)
		hist_record(&a, v);
	CHECK_EQ(hist_percentile(&a, 500000), 50);
	CHECK_EQ(hist_percentile(&a, 900000), 90);
	CHECK_EQ(hist_percentile(&a, 990000), 99);
	CHECK_EQ(hist_percentile(&a, 999000), 100); /* rank ceil(99.9) = 100 */
	CHECK_EQ(hist_percentile(&a, 1), 1);
	CHECK_EQ(hist_percentile(&a, 1000000), 100);
	CHECK_EQ(a.count, 100);
	CHECK_EQ(a.sum, 5050);
	CHECK_EQ(a.min, 1);
	CHECK_EQ(a.max, 100);

	/* trimmed mean: exact below 128; 1..100 without the top 10 % is 45.5 */
	CHECK_EQ(hist_trimmed_mean_milli(&a, 900000), 45500);
	CHECK_EQ(hist_trimmed_mean_milli(&a, 1000000), 50500);

	/* 1..100000: within 1/64 above the exact rank value, never below */
	hist_reset(&b);
	for (uint64_t v = 1; v <= 100000; v++)
		hist_record(&b, v);
	{
		static const uint32_t ppm[] = {500000, 900000, 990000, 999000, 999900};
		static const uint64_t exact[] = {50000, 90000, 99000, 99900, 99990};

		for (unsigned i = 0; i < 5; i++) {
			uint64_t p = hist_percentile(&b, ppm[i]);

			CHECK(p >= exact[i]);
			CHECK(p - exact[i] <= exact[i] / 64);
		}
	}
	CHECK_EQ(hist_percentile(&b, 1000000), 100000);

	/* a long tail: 9990 fast values and 10 slow ones */
	hist_reset(&c);
	for (int i = 0; i < 9990; i++)
		hist_record(&c, 40);
	for (int i = 0; i < 10; i++)
		hist_record(&c, 100000 + (uint64_t)i);
	CHECK_EQ(hist_percentile(&c, 999000), 40);    /* rank 9990 */
	CHECK(hist_percentile(&c, 999100) >= 100000); /* rank 9991 */
	CHECK_EQ(hist_percentile(&c, 1000000), 100009);
	CHECK_EQ(hist_trimmed_mean_milli(&c, 999000), 40000); /* the slow tail left out */
	CHECK(hist_trimmed_mean_milli(&c, 1000000) > 139000); /* and in: (9990*40+10*1e5)/1e4 */

	/* merging equals recording everything in one */
	hist_merge(&a, &c);
	CHECK_EQ(a.count, 10100);
	CHECK_EQ(a.max, 100009);
	CHECK_EQ(a.min, 1);
	CHECK_EQ(hist_percentile(&a, 500000), 40);

	/* values past the range are clamped into the last bucket, max exact */
	hist_reset(&c);
	hist_record(&c, (uint64_t)1 << 50);
	CHECK_EQ(hist_percentile(&c, 500000), (uint64_t)1 << 50);
	return check_report("bench_hist");
}
