/* bitmap.c - atomic bitmaps, 1 = free. See bitmap.h for the invariants.
 *
 * Every function here is lock-free: each loop retries only because another
 * thread's operation on the same word succeeded.
 */
#include <errno.h>

#include "bitmap.h"

uint32_t smph_bitmap2_words(uint32_t bits)
{
	uint32_t leaves = smph_words_for(bits);
	return leaves + smph_words_for(leaves);
}

void smph_bitmap2_init(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits)
{
	bm->bits = bits;
	bm->leaves = smph_words_for(bits);
	bm->summaries = smph_words_for(bm->leaves);
	bm->leaf = storage;
	bm->summary = storage + bm->leaves;
	for (uint32_t i = 0; i < bm->leaves; i++) {
		uint32_t left = bits - i * SMPH_WORD_BITS;
		smph_word_t w = left >= SMPH_WORD_BITS ? SMPH_WORD_ONES : smph_mask(0, left);
		/* Relaxed: init runs before the heap is shared with anyone. */
		smph_store(&bm->leaf[i], w, smph_relaxed);
	}
	for (uint32_t s = 0; s < bm->summaries; s++) {
		uint32_t left = bm->leaves - s * SMPH_WORD_BITS;
		smph_word_t w = left >= SMPH_WORD_BITS ? SMPH_WORD_ONES : smph_mask(0, left);
		smph_store(&bm->summary[s], w, smph_relaxed);
	}
}

/* Called by a claimer that saw leaf `li` empty (or emptied it). Clears the
 * leaf's summary bit, then looks at the leaf again: a release that refilled
 * it and set the summary bit before our AND would otherwise be hidden. The
 * AND is acq_rel and the release's summary OR is a release; both are RMWs on
 * one word, so if its OR came first in the word's modification order our AND
 * synchronises with it and the re-read sees its leaf OR. If its OR came
 * after our AND, its OR sets the bit itself. Either way the invariant holds. */
void smph_bitmap2_summary_clear(const struct smph_bitmap2 *bm, uint32_t li)
{
	smph_aword_t *sum = &bm->summary[li >> SMPH_WORD_SHIFT];
	smph_word_t b = smph_bit(li);

	/* acq_rel: see above (tests/model/relacy_bitmap2.cpp weakens it to
	 * release and shows the hidden free block). */
	smph_fetch_and(sum, (smph_word_t)~b, SMPH_ORDER(summary_clear, smph_acq_rel, smph_release));
	/* Relaxed is enough: the acquire half of the AND above orders it. */
	if (smph_load(&bm->leaf[li], smph_relaxed) != 0)
		smph_fetch_or(sum, b, smph_release);
}

uint32_t smph_bitmap2_claim(const struct smph_bitmap2 *bm)
{
	for (uint32_t s = 0; s < bm->summaries; s++) {
		/* Relaxed: the summary is only a hint of where to look; the
		 * leaf CAS below is what takes ownership (with acquire). */
		smph_word_t sum = smph_load(&bm->summary[s], smph_relaxed);
		while (sum) {
			uint32_t li = (s << SMPH_WORD_SHIFT) + smph_ctz(sum);
			smph_aword_t *leaf = &bm->leaf[li];
			smph_word_t w = smph_load(leaf, smph_relaxed);

			sum &= sum - 1;
			while (w) {
				smph_word_t low = w & (~w + 1);
				/* Acquire on success: the block's last owner
				 * released it with a release OR; its writes (and
				 * the zeroing by a bank power-on) happen before ours. */
				if (smph_cas_weak(leaf, &w, w & ~low, smph_acquire, smph_relaxed)) {
					if ((w & ~low) == 0)
						smph_bitmap2_summary_clear(bm, li);
					return (li << SMPH_WORD_SHIFT) + smph_ctz(low);
				}
			}
			smph_bitmap2_summary_clear(bm, li);
		}
	}
	return SMPH_NO_BIT;
}

smph_word_t smph_bitmap2_claim_word(const struct smph_bitmap2 *bm, uint32_t *first)
{
	for (uint32_t s = 0; s < bm->summaries; s++) {
		/* Relaxed: a hint, as in smph_bitmap2_claim(). */
		smph_word_t sum = smph_load(&bm->summary[s], smph_relaxed);
		while (sum) {
			uint32_t li = (s << SMPH_WORD_SHIFT) + smph_ctz(sum);
			/* Acquire: as a claim of each bit taken. */
			smph_word_t got = smph_exchange(&bm->leaf[li], 0, smph_acquire);

			sum &= sum - 1;
			smph_bitmap2_summary_clear(bm, li);
			if (got) {
				*first = li << SMPH_WORD_SHIFT;
				return got;
			}
		}
	}
	return 0;
}

smph_word_t smph_bitmap2_release_word(const struct smph_bitmap2 *bm, uint32_t first,
				      smph_word_t bits)
{
	uint32_t li = first >> SMPH_WORD_SHIFT;
	/* Release: as smph_bitmap2_release(). */
	smph_word_t old = smph_fetch_or(&bm->leaf[li], bits, smph_release);

	if (old == 0 && bits != 0)
		smph_fetch_or(&bm->summary[li >> SMPH_WORD_SHIFT], smph_bit(li), smph_release);
	return old & bits;
}

uint32_t smph_bitmap2_count_free(const struct smph_bitmap2 *bm)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < bm->leaves; i++)
		n += smph_popcount(smph_load(&bm->leaf[i], smph_relaxed));
	return n;
}

int smph_bitmap2_check(const struct smph_bitmap2 *bm)
{
	for (uint32_t i = 0; i < bm->leaves; i++) {
		smph_word_t w = smph_load(&bm->leaf[i], smph_relaxed);
		uint32_t left = bm->bits - i * SMPH_WORD_BITS;

		if (left < SMPH_WORD_BITS && (w & ~smph_mask(0, left)))
			return -EUCLEAN; /* a bit past the last block */
		if (w && !smph_bit_test(bm->summary, i))
			return -EUCLEAN; /* a free block the claimers cannot see */
	}
	for (uint32_t s = 0; s < bm->summaries; s++) {
		smph_word_t w = smph_load(&bm->summary[s], smph_relaxed);
		uint32_t left = bm->leaves - s * SMPH_WORD_BITS;

		if (left < SMPH_WORD_BITS && (w & ~smph_mask(0, left)))
			return -EUCLEAN;
	}
	return 0;
}

void smph_bits_set_run_slow(smph_aword_t *map, uint32_t first, uint32_t n)
{
	uint32_t pos = first, end = first + n;

	while (pos < end) {
		unsigned lo = pos & (SMPH_WORD_BITS - 1);
		unsigned cnt = SMPH_WORD_BITS - lo;

		if (cnt > end - pos)
			cnt = end - pos;
		/* Release: see the declaration. */
		smph_fetch_or(&map[pos >> SMPH_WORD_SHIFT], smph_mask(lo, cnt), smph_release);
		pos += cnt;
	}
}

uint32_t smph_bits_claim_run(smph_aword_t *map, uint32_t first, uint32_t n)
{
	uint32_t pos = first, end = first + n;

	while (pos < end) {
		unsigned lo = pos & (SMPH_WORD_BITS - 1);
		unsigned cnt = SMPH_WORD_BITS - lo;
		smph_aword_t *word = &map[pos >> SMPH_WORD_SHIFT];
		smph_word_t m, cur;

		if (cnt > end - pos)
			cnt = end - pos;
		m = smph_mask(lo, cnt);
		cur = smph_load(word, smph_relaxed);
		do {
			if ((cur & m) != m) {
				/* Someone holds part of the run: give back the
				 * words we took so they can have them. */
				smph_bits_set_run(map, first, pos - first);
				return pos;
			}
			/* Acquire on success: as smph_bitmap2_claim()
			 * (tests/model/relacy_buffer.cpp weakens it). */
		} while (!smph_cas_weak(word, &cur, cur & ~m,
					SMPH_ORDER(claim_run, smph_acquire, smph_relaxed),
					smph_relaxed));
		pos += cnt;
	}
	return SMPH_NO_BIT;
}

/* First 0 bit in [lo, hi), or SMPH_NO_BIT. */
static uint32_t find_clear(const smph_aword_t *map, uint32_t lo, uint32_t hi)
{
	uint32_t pos = lo;

	while (pos < hi) {
		unsigned off = pos & (SMPH_WORD_BITS - 1);
		unsigned cnt = SMPH_WORD_BITS - off;
		smph_word_t w;

		if (cnt > hi - pos)
			cnt = hi - pos;
		/* Relaxed: a search snapshot; the claim re-checks with CAS. */
		w = ~smph_load(&map[pos >> SMPH_WORD_SHIFT], smph_relaxed) & smph_mask(off, cnt);
		if (w)
			return (pos & ~(SMPH_WORD_BITS - 1)) + smph_ctz(w);
		pos += cnt;
	}
	return SMPH_NO_BIT;
}

uint32_t smph_bits_find_set_slow(const smph_aword_t *map, uint32_t bits, uint32_t from)
{
	uint32_t pos = from;

	while (pos < bits) {
		unsigned off = pos & (SMPH_WORD_BITS - 1);
		smph_word_t w =
		    smph_load(&map[pos >> SMPH_WORD_SHIFT], smph_relaxed) & (SMPH_WORD_ONES << off);

		if (w) {
			uint32_t i = (pos & ~(SMPH_WORD_BITS - 1)) + smph_ctz(w);
			return i < bits ? i : SMPH_NO_BIT;
		}
		pos = (pos & ~(SMPH_WORD_BITS - 1)) + SMPH_WORD_BITS;
	}
	return SMPH_NO_BIT;
}

static inline uint32_t align_up32(uint32_t x, uint32_t a)
{
	return (x + a - 1) / a * a;
}

uint32_t smph_bits_find_run(const smph_aword_t *map, uint32_t bits, uint32_t from, uint32_t n,
			    uint32_t align)
{
	uint32_t i = align_up32(from, align);

	while (i < bits && n <= bits - i) {
		uint32_t zero = find_clear(map, i, i + n);
		uint32_t next;

		if (zero == SMPH_NO_BIT)
			return i;
		/* The run cannot start at or before `zero`: resume at the next
		 * free bit after it. */
		next = smph_bits_find_set(map, bits, zero + 1);
		if (next == SMPH_NO_BIT)
			break;
		i = align_up32(next, align);
	}
	return SMPH_NO_BIT;
}

uint32_t smph_bits_count(const smph_aword_t *map, uint32_t first, uint32_t n)
{
	uint32_t pos = first, end = first + n, count = 0;

	while (pos < end) {
		unsigned lo = pos & (SMPH_WORD_BITS - 1);
		unsigned cnt = SMPH_WORD_BITS - lo;

		if (cnt > end - pos)
			cnt = end - pos;
		count += smph_popcount(smph_load(&map[pos >> SMPH_WORD_SHIFT], smph_relaxed) &
				       smph_mask(lo, cnt));
		pos += cnt;
	}
	return count;
}
