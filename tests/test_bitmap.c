/* test_bitmap.c - the atomic bitmap primitive, one thread at a time. */
#include <errno.h>
#include <string.h>

#include "bitmap.h"
#include "check.h"

#define BITS 1000
static smph_aword_t storage[2 * (BITS / 32 + 2)];
static unsigned char taken[BITS];

static void test_two_level(void)
{
	struct smph_bitmap2 bm;
	uint32_t i, first = 0;
	smph_word_t word;

	CHECK(smph_bitmap2_words(BITS) <= sizeof(storage) / sizeof(storage[0]));
	smph_bitmap2_init(&bm, storage, BITS);
	CHECK_EQ(smph_bitmap2_count_free(&bm), BITS);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);

	/* Claims come lowest first and never repeat. */
	for (i = 0; i < BITS; i++) {
		uint32_t got = smph_bitmap2_claim(&bm);

		CHECK_EQ(got, i);
		if (got < BITS)
			taken[got]++;
	}
	CHECK_EQ(smph_bitmap2_claim(&bm), SMPH_NO_BIT);
	CHECK_EQ(smph_bitmap2_count_free(&bm), 0);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	for (i = 0; i < BITS; i++)
		CHECK_EQ(taken[i], 1);

	/* Release, double release, and reuse of exactly the released bits. */
	CHECK_EQ(smph_bitmap2_release(&bm, 7), 0);
	CHECK_EQ(smph_bitmap2_release(&bm, 7), -EALREADY);
	CHECK_EQ(smph_bitmap2_release(&bm, BITS - 1), 0);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	CHECK_EQ(smph_bitmap2_count_free(&bm), 2);
	CHECK_EQ(smph_bitmap2_claim(&bm), 7);
	CHECK_EQ(smph_bitmap2_claim(&bm), BITS - 1);
	CHECK_EQ(smph_bitmap2_claim(&bm), SMPH_NO_BIT);

	/* A whole leaf freed and re-taken: its summary bit must come back. */
	for (i = SMPH_WORD_BITS; i < 2 * SMPH_WORD_BITS; i++)
		CHECK_EQ(smph_bitmap2_release(&bm, i), 0);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	word = smph_bitmap2_claim_word(&bm, &first);
	CHECK_EQ(first, SMPH_WORD_BITS);
	CHECK(word == SMPH_WORD_ONES);
	CHECK_EQ(smph_bitmap2_claim(&bm), SMPH_NO_BIT);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	/* Give back part of it, then the rest; overlap is reported. */
	CHECK(smph_bitmap2_release_word(&bm, first, 0x5) == 0);
	CHECK(smph_bitmap2_release_word(&bm, first, 0x7) == 0x5);
	CHECK_EQ(smph_bitmap2_check(&bm), 0);
	CHECK_EQ(smph_bitmap2_count_free(&bm), 3);
	CHECK_EQ(smph_bitmap2_claim(&bm), SMPH_WORD_BITS);

	/* A corrupted summary is caught by the checker. */
	atomic_store(&bm.summary[0], 0);
	CHECK_EQ(smph_bitmap2_check(&bm), -EUCLEAN);
}

#define PAGES 300
static smph_aword_t map[PAGES / 32 + 1];

static void test_runs(void)
{
	uint32_t i;

	memset(map, 0, sizeof(map));
	smph_bits_set_run(map, 0, PAGES);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, PAGES, 1), 0);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, PAGES + 1, 1), SMPH_NO_BIT);

	/* A run across word boundaries. */
	CHECK_EQ(smph_bits_claim_run(map, 30, 100), SMPH_NO_BIT);
	CHECK_EQ(smph_bits_count(map, 30, 100), 0);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES - 100);
	/* First fit skips the hole; alignment moves the start. */
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, 10, 1), 0);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, 40, 1), 130);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, 40, 64), 192);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 1, 10, 8), 8);
	CHECK_EQ(smph_bits_find_run(map, PAGES, 0, 31, 1), 130);

	/* A claim over a held bit fails and gives back what it took. */
	CHECK_EQ(smph_bits_claim_run(map, 0, 50) != SMPH_NO_BIT, 1);
	CHECK_EQ(smph_bits_count(map, 0, 30), 30);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES - 100);

	smph_bits_set_run(map, 30, 100);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES);

	/* A conflict in a later word: the words claimed before it (bits 10 to
	 * 63 of 64-bit words, 10 to 95 of 32-bit ones) are given back. */
	CHECK_EQ(smph_bits_claim_run(map, 100, 1), SMPH_NO_BIT);
	CHECK(smph_bits_claim_run(map, 10, 100) != SMPH_NO_BIT);
	CHECK_EQ(smph_bits_count(map, 10, 90), 90);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES - 1);
	smph_bits_set_run(map, 100, 1);
	CHECK_EQ(smph_bits_count(map, 0, PAGES), PAGES);

	/* Single bits and searching. */
	CHECK_EQ(smph_bit_test_and_clear(map, 77, memory_order_relaxed), 1);
	CHECK_EQ(smph_bit_test_and_clear(map, 77, memory_order_relaxed), 0);
	CHECK_EQ(smph_bit_test(map, 77), 0);
	CHECK_EQ(smph_bit_test_and_set(map, 77, memory_order_relaxed), 0);
	CHECK_EQ(smph_bit_test_and_set(map, 77, memory_order_relaxed), 1);
	memset(map, 0, sizeof(map));
	CHECK_EQ(smph_bits_find_set(map, PAGES, 0), SMPH_NO_BIT);
	smph_bit_test_and_set(map, 250, memory_order_relaxed);
	CHECK_EQ(smph_bits_find_set(map, PAGES, 0), 250);
	CHECK_EQ(smph_bits_find_set(map, PAGES, 250), 250);
	CHECK_EQ(smph_bits_find_set(map, PAGES, 251), SMPH_NO_BIT);
	for (i = 0; i < PAGES; i++)
		CHECK_EQ(smph_bit_test(map, i), i == 250);
}

int main(void)
{
	test_two_level();
	test_runs();
	return check_report("test_bitmap");
}
