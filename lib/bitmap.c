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

/* The geometry both initialisers share: leaves, then their summaries. */
static void bitmap2_place(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits)
{
	bm->bits = bits;
	bm->leaves = smph_words_for(bits);
	bm->summaries = smph_words_for(bm->leaves);
	bm->leaf = storage;
	bm->summary = storage + bm->leaves;
}

void smph_bitmap2_init(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits)
{
	bitmap2_place(bm, storage, bits);
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

void smph_bitmap2_init_empty(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits)
{
	bitmap2_place(bm, storage, bits);
	for (uint32_t i = 0; i < bm->leaves + bm->summaries; i++)
		/* Relaxed: init runs before the heap is shared with anyone. */
		smph_store(&storage[i], 0, smph_relaxed);
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

/* A run's words: the partial first one, the whole ones, the partial last
 * one, so the loops over whole words do no mask arithmetic (a buffer run's
 * cost is then one RMW per word with little else: issue 11). */
struct word_span {
	uint32_t w0, w1;    /* first and last word index */
	smph_word_t m0, m1; /* masks of the run's bits in them (w0 == w1: m0 only) */
};

static struct word_span word_span(uint32_t first, uint32_t n)
{
	uint32_t last = first + n - 1;
	struct word_span sp = {first >> SMPH_WORD_SHIFT, last >> SMPH_WORD_SHIFT, 0, 0};
	unsigned lo = first & (SMPH_WORD_BITS - 1), hi = last & (SMPH_WORD_BITS - 1);

	if (sp.w0 == sp.w1) {
		sp.m0 = smph_mask(lo, hi - lo + 1);
	} else {
		sp.m0 = SMPH_WORD_ONES << lo;
		sp.m1 = smph_mask(0, hi + 1);
	}
	return sp;
}

void smph_bits_set_run_slow(smph_aword_t *map, uint32_t first, uint32_t n)
{
	struct word_span sp;

	if (!n)
		return;
	sp = word_span(first, n);
	/* Release throughout: see the declaration. */
	smph_fetch_or(&map[sp.w0], sp.m0, smph_release);
	if (sp.w0 == sp.w1)
		return;
	for (uint32_t w = sp.w0 + 1; w < sp.w1; w++)
		smph_fetch_or(&map[w], SMPH_WORD_ONES, smph_release);
	smph_fetch_or(&map[sp.w1], sp.m1, smph_release);
}

/* Clears the bits `m` of *word, which must all be 1, with a CAS; false if
 * one is 0 (someone holds it). */
static bool claim_bits(smph_aword_t *word, smph_word_t m)
{
	smph_word_t cur = smph_load(word, smph_relaxed);

	do {
		if ((cur & m) != m)
			return false;
		/* Acquire on success: as smph_bitmap2_claim()
		 * (tests/model/relacy_buffer.cpp weakens it). */
	} while (!smph_cas_weak(word, &cur, cur & ~m,
				SMPH_ORDER(claim_run, smph_acquire, smph_relaxed), smph_relaxed));
	return true;
}

uint32_t smph_bits_claim_run(smph_aword_t *map, uint32_t first, uint32_t n)
{
	struct word_span sp = word_span(first, n);
	uint32_t w = sp.w0;

	if (!claim_bits(&map[w], sp.m0))
		return first;
	if (sp.w0 == sp.w1)
		return SMPH_NO_BIT;
	for (w = sp.w0 + 1; w < sp.w1; w++)
		if (!claim_bits(&map[w], SMPH_WORD_ONES))
			goto busy;
	if (claim_bits(&map[w], sp.m1))
		return SMPH_NO_BIT;
busy:
	/* Someone holds part of the run: give back the words we took so they
	 * can have them. */
	smph_bits_set_run(map, first, (w << SMPH_WORD_SHIFT) - first);
	return w << SMPH_WORD_SHIFT;
}

/* Bit i of the result is set iff bits i..i+n-1 of x are all set (1 <= n <= W):
 * runs of 1, 2, 4, ... by doubling while that stays within n, then one
 * overlapping step for the rest (after the doubling, bit i stands for
 * [i, i+have), so x & x >> (n - have) stands for [i, i+n)). */
static inline smph_word_t run_starts(smph_word_t x, uint32_t n)
{
	uint32_t have = 1;

	for (; 2 * have <= n && x; have *= 2)
		x &= x >> have;
	if (have < n)
		x &= x >> (n - have);
	return x;
}

uint32_t smph_bits_claim_in_word(smph_aword_t *word, smph_word_t in, uint32_t n,
				 smph_word_t starts_ok)
{
	/* Relaxed: a snapshot; the CAS decides. */
	smph_word_t cur = smph_load(word, smph_relaxed);

	for (;;) {
		smph_word_t starts = run_starts(cur & in, n) & starts_ok;
		unsigned bit;

		if (!starts)
			return SMPH_NO_BIT;
		bit = smph_ctz(starts);
		/* Acquire on success: as every claim (bitmap.h). */
		if (smph_cas_weak(word, &cur, cur & ~smph_mask(bit, n), smph_acquire, smph_relaxed))
			return bit;
	}
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

/* Last 0 bit in [lo, hi), or SMPH_NO_BIT: the window's words from its end. */
static uint32_t find_clear_last(const smph_aword_t *map, uint32_t lo, uint32_t hi)
{
	struct word_span sp = word_span(lo, hi - lo);
	/* Relaxed throughout: a search snapshot; the claim re-checks with CAS. */
	smph_word_t z = ~smph_load(&map[sp.w1], smph_relaxed) & (sp.w0 == sp.w1 ? sp.m0 : sp.m1);
	uint32_t w = sp.w1;

	if (!z && sp.w0 != sp.w1) {
		while (--w > sp.w0)
			if ((z = ~smph_load(&map[w], smph_relaxed)) != 0)
				break;
		if (w == sp.w0)
			z = ~smph_load(&map[w], smph_relaxed) & sp.m0;
	}
	return z ? (w << SMPH_WORD_SHIFT) + (SMPH_WORD_BITS - 1 - smph_clz(z)) : SMPH_NO_BIT;
}

uint32_t smph_bits_find_run(const smph_aword_t *map, uint32_t bits, uint32_t from, uint32_t n,
			    uint32_t align)
{
	uint32_t i = align_up32(from, align);

	while (i < bits && n <= bits - i) {
		/* The window's last taken bit: no run starting at or before it
		 * can avoid it, so the next start to try is the first free bit
		 * past it (a skip of up to n and the taken bits after, where
		 * the window's first taken bit could give a skip of one). */
		uint32_t zero = find_clear_last(map, i, i + n), next;

		if (zero == SMPH_NO_BIT)
			return i;
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

void smph_hint_clear(const struct smph_bitmap2 *bm, uint32_t i)
{
	uint32_t li = i >> SMPH_WORD_SHIFT;
	smph_word_t b = smph_bit(i);
	/* acq_rel: if a free's smph_hint_set() came first in this leaf's
	 * modification order, we synchronise with it and the caller's re-read
	 * sees the word that free made non-empty; if it came after, it sets
	 * the bit itself (tests/model/slab.pml). */
	smph_word_t old = smph_fetch_and(&bm->leaf[li], (smph_word_t)~b, smph_acq_rel);

	if ((old & ~b) == 0 && (old & b))
		smph_bitmap2_summary_clear(bm, li);
}

uint32_t smph_hint_next(const struct smph_bitmap2 *bm, uint32_t from)
{
	uint32_t li = from >> SMPH_WORD_SHIFT;

	if (from >= bm->bits)
		return SMPH_NO_BIT;
	{
		/* Relaxed: a snapshot; the caller checks what it finds. */
		smph_word_t w = smph_load(&bm->leaf[li], smph_relaxed) &
				(SMPH_WORD_ONES << (from & (SMPH_WORD_BITS - 1)));

		if (w)
			return (li << SMPH_WORD_SHIFT) + smph_ctz(w);
	}
	for (uint32_t s = (li + 1) >> SMPH_WORD_SHIFT; s < bm->summaries; s++) {
		smph_word_t sum = smph_load(&bm->summary[s], smph_relaxed);

		if (s == (li + 1) >> SMPH_WORD_SHIFT)
			sum &= SMPH_WORD_ONES << ((li + 1) & (SMPH_WORD_BITS - 1));
		while (sum) {
			uint32_t l = (s << SMPH_WORD_SHIFT) + smph_ctz(sum);
			smph_word_t w = smph_load(&bm->leaf[l], smph_relaxed);

			sum &= sum - 1;
			if (w)
				return (l << SMPH_WORD_SHIFT) + smph_ctz(w);
		}
	}
	return SMPH_NO_BIT;
}

smph_word_t smph_slab_take(smph_aword_t *word, smph_word_t live, uint32_t max, smph_word_t *left)
{
	smph_word_t w = smph_load(word, smph_relaxed), take;

	do {
		smph_word_t m = w & (live - 1);

		if (!(w & live) || !m) {
			*left = 0;
			return 0;
		}
		take = m;
		if (smph_popcount(m) > max) {
			smph_word_t x = m;

			take = 0;
			for (uint32_t n = 0; n < max; n++) {
				take |= x & (~x + 1);
				x &= x - 1;
			}
		}
		/* Acquire on success: as every claim (the model test's
		 * "new_holder" site, with the mark's below). */
	} while (!smph_cas_weak(word, &w, w & ~take,
				SMPH_ORDER(new_holder, smph_acquire, smph_relaxed), smph_relaxed));
	*left = (w & (live - 1)) & ~take;
	return take;
}

bool smph_slab_retire(smph_aword_t *word, smph_word_t all)
{
	smph_word_t w = all;

	/* acq_rel: acquire, so the last frees' writes (poison) are behind the
	 * pages we now own; release, as the word's new value. */
	return smph_cas_strong(word, &w, 0, SMPH_ORDER(slab_retire, smph_acq_rel, smph_relaxed),
			       smph_relaxed);
}

void smph_slab_unstray(smph_aword_t *word, smph_word_t live, smph_word_t bit)
{
	smph_word_t w = smph_load(word, smph_relaxed);

	/* Relaxed: a dead word carries nothing; a live one we leave alone. */
	while (!(w & live) && (w & bit) &&
	       !smph_cas_weak(word, &w, w & ~bit, smph_relaxed, smph_relaxed))
		;
}

bool smph_slab_mark(smph_aword_t *word, smph_word_t live, smph_word_t mark)
{
	smph_word_t w = smph_load(word, smph_relaxed);

	while ((w & live) && !(w & mark))
		/* Acquire: see the declaration ("new_holder" in
		 * tests/model/relacy_tcache.cpp, with the take's above). */
		if (smph_cas_weak(word, &w, w | mark,
				  SMPH_ORDER(new_holder, smph_acquire, smph_relaxed), smph_relaxed))
			return true;
	return false;
}
