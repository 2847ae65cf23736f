/* test_bitmap_threads.c - the bitmap primitive under many threads (more than
 * cores): every claimed bit has exactly one owner, no bit is lost, and the
 * summary invariant holds at the end.
 *
 * Three shapes: all threads on ONE leaf word and one summary bit (maximum CAS
 * contention, leaf emptied and refilled constantly: the summary race), many
 * leaves under one summary word, and flat runs claimed and rolled back. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bitmap.h"
#include "check.h"

#define THREADS 12
#define BIG (64 * SMPH_WORD_BITS)

static struct smph_bitmap2 bm;
static smph_aword_t storage[BIG / 32 + 64];
static _Atomic int owner[BIG];
static atomic_int errors;
static unsigned iterations;

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Each thread holds up to `hold` bits at once, releasing in random order. */
static void *claim_release(void *arg)
{
	int id = (int)(intptr_t)arg + 1;
	uint32_t held[8], n = 0, seed = (uint32_t)id * 2654435761u;
	unsigned hold = 1 + (unsigned)id % 8;

	for (unsigned it = 0; it < iterations; it++) {
		if (n < hold) {
			uint32_t b = smph_bitmap2_claim(&bm);

			if (b != SMPH_NO_BIT) {
				int prev = 0;

				if (b >= bm.bits ||
				    !atomic_compare_exchange_strong(&owner[b], &prev, id))
					atomic_fetch_add(&errors, 1); /* handed out twice */
				held[n++] = b;
				continue;
			}
		}
		if (n) {
			uint32_t k = rnd(&seed) % n, b = held[k];
			int me = id;

			held[k] = held[--n];
			if (!atomic_compare_exchange_strong(&owner[b], &me, 0))
				atomic_fetch_add(&errors, 1);
			if (smph_bitmap2_release(&bm, b) != 0)
				atomic_fetch_add(&errors, 1);
		}
	}
	while (n) {
		uint32_t b = held[--n];

		atomic_store(&owner[b], 0);
		smph_bitmap2_release(&bm, b);
	}
	return NULL;
}

/* Double releases racing: exactly one of two wins. */
static _Atomic int wins;
static void *double_release(void *arg)
{
	(void)arg;
	for (uint32_t b = 0; b < bm.bits; b++)
		if (smph_bitmap2_release(&bm, b) == 0)
			atomic_fetch_add(&wins, 1);
	return NULL;
}

static void run(void *(*fn)(void *), unsigned threads)
{
	pthread_t t[THREADS];

	for (unsigned i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i);
	for (unsigned i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
}

static void test_two_level(uint32_t bits)
{
	memset(owner, 0, sizeof(owner));
	smph_bitmap2_init(&bm, storage, bits);
	run(claim_release, THREADS);
	CHECK_EQ(atomic_load(&errors), 0);
	CHECK_EQ(smph_bitmap2_count_free(&bm), bits);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	/* Every bit still reachable by claim. */
	for (uint32_t i = 0; i < bits; i++)
		CHECK(smph_bitmap2_claim(&bm) != SMPH_NO_BIT);
	CHECK_EQ(smph_bitmap2_claim(&bm), SMPH_NO_BIT);
	atomic_store(&wins, 0);
	run(double_release, THREADS);
	CHECK_EQ(atomic_load(&wins), bits);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
}

/* Flat runs: threads claim random runs, stamp ownership, release. */
#define PAGES (8 * SMPH_WORD_BITS)
static smph_aword_t pages[PAGES / 32 + 1];
static _Atomic int page_owner[PAGES];

static void *runs(void *arg)
{
	int id = (int)(intptr_t)arg + 1;
	uint32_t seed = (uint32_t)id * 40503u;

	for (unsigned it = 0; it < iterations / 4; it++) {
		uint32_t n = 1 + rnd(&seed) % (2 * SMPH_WORD_BITS), align = 1u << (rnd(&seed) % 4);
		uint32_t from = 0, i;

		for (;;) {
			i = smph_bits_find_run(pages, PAGES, from, n, align);
			if (i == SMPH_NO_BIT)
				break;
			from = smph_bits_claim_run(pages, i, n);
			if (from == SMPH_NO_BIT)
				break;
		}
		if (i == SMPH_NO_BIT)
			continue;
		if (i % align)
			atomic_fetch_add(&errors, 1);
		for (uint32_t p = i; p < i + n; p++) {
			int prev = 0;

			if (!atomic_compare_exchange_strong(&page_owner[p], &prev, id))
				atomic_fetch_add(&errors, 1);
		}
		for (uint32_t p = i; p < i + n; p++)
			atomic_store(&page_owner[p], 0);
		smph_bits_set_run(pages, i, n);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	iterations = argc > 1 ? (unsigned)atoi(argv[1]) : 200000;
	for (int round = 0; round < 5; round++)
		test_two_level(8);	/* one leaf, emptied and refilled all the time */
	test_two_level(SMPH_WORD_BITS); /* one leaf, one summary bit */
	test_two_level(BIG);		/* 64 leaves under one summary word */
	test_two_level(BIG - 3);	/* a ragged last leaf */
	smph_bits_set_run(pages, 0, PAGES);
	run(runs, THREADS);
	CHECK_EQ(atomic_load(&errors), 0);
	CHECK_EQ(smph_bits_count(pages, 0, PAGES), PAGES);
	return check_report("test_bitmap_threads");
}
