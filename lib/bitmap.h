/* bitmap.h - the one lock-free primitive: atomic bitmaps where 1 means free.
 *
 * Two shapes share the word operations:
 *
 * - a two-level bitmap (runtime zone): leaf words hold one bit per block; a
 *   summary word holds one bit per leaf meaning "this leaf may have a free
 *   bit". Claim takes one bit with a CAS; release sets it with one OR.
 * - a flat bitmap (buffer zone): runs of consecutive bits are claimed word by
 *   word with CAS, in ascending order, and rolled back on conflict.
 *
 * The invariant that matters (two-level): once the operations touching a leaf
 * are done, a leaf with a free bit has its summary bit set. The converse is
 * only a hint: a summary bit over an empty leaf costs one skip and is cleared
 * by the next claimer that sees it.
 *
 * Memory orders: a claim is an acquire (the block's previous owner's writes,
 * published by its release, are visible to the new owner); a release is a
 * release. Every other order is commented where it is used.
 *
 * Word size follows the machine (32 bits on Xtensa, 64 on x86-64); define
 * SMPHEAP_WORD_BITS=32 to force 32-bit words anywhere (the `word32` preset).
 */
#ifndef SMPH_BITMAP_H
#define SMPH_BITMAP_H

#include <errno.h>
#include "atomics.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes a minimal libc may lack (values as on Linux). */
#ifndef EUCLEAN
#define EUCLEAN 117
#endif
#ifndef EALREADY
#define EALREADY 114
#endif
#ifndef EOVERFLOW
#define EOVERFLOW 75
#endif

#ifndef SMPHEAP_WORD_BITS
#if UINTPTR_MAX > 0xffffffffu
#define SMPHEAP_WORD_BITS 64
#else
#define SMPHEAP_WORD_BITS 32
#endif
#endif

#if SMPHEAP_WORD_BITS == 64
typedef uint64_t smph_word_t;
#define SMPH_WORD_SHIFT 6
#define smph_ctz(w) ((unsigned)__builtin_ctzll(w))
#define smph_clz(w) ((unsigned)__builtin_clzll(w))
#define smph_popcount(w) ((unsigned)__builtin_popcountll(w))
#elif SMPHEAP_WORD_BITS == 32
typedef uint32_t smph_word_t;
#define SMPH_WORD_SHIFT 5
#define smph_ctz(w) ((unsigned)__builtin_ctz(w))
#define smph_clz(w) ((unsigned)__builtin_clz(w))
#define smph_popcount(w) ((unsigned)__builtin_popcount(w))
#else
#error "SMPHEAP_WORD_BITS must be 32 or 64"
#endif

#define SMPH_WORD_BITS ((unsigned)SMPHEAP_WORD_BITS)
#define SMPH_WORD_ONES ((smph_word_t) ~(smph_word_t)0)
#define SMPH_NO_BIT UINT32_MAX

/* The index of the one bit of `bit`: ctz, by the leading-zero count (one
 * NSAU on Xtensa, one BSR on x86, where ctz takes a negate-and-mask on a
 * core without a trailing-zero count). */
#define smph_bit_index(bit) (SMPH_WORD_BITS - 1 - smph_clz(bit))

typedef SMPH_ATOMIC(smph_word_t) smph_aword_t;

static inline smph_word_t smph_bit(uint32_t i)
{
	return (smph_word_t)1 << (i & (SMPH_WORD_BITS - 1));
}

/* Bits [lo, lo+n) of one word, 0 <= lo < W, 1 <= n <= W - lo. */
static inline smph_word_t smph_mask(unsigned lo, unsigned n)
{
	smph_word_t m = n >= SMPH_WORD_BITS ? SMPH_WORD_ONES : (smph_bit(n) - 1);
	return m << lo;
}

static inline uint32_t smph_words_for(uint32_t bits)
{
	return (bits + SMPH_WORD_BITS - 1) >> SMPH_WORD_SHIFT;
}

/* A two-level bitmap over `bits` blocks. The arrays live in the heap's
 * metadata area; the struct itself is immutable after init. */
struct smph_bitmap2 {
	smph_aword_t *leaf;    /* one bit per block, 1 = free */
	smph_aword_t *summary; /* one bit per leaf word, 1 = leaf may hold a free bit */
	uint32_t bits;	       /* number of blocks */
	uint32_t leaves;       /* words in leaf[] */
	uint32_t summaries;    /* words in summary[] */
};

/* Words of storage a two-level bitmap over `bits` blocks needs (leaf + summary). */
uint32_t smph_bitmap2_words(uint32_t bits);

/* Lays out `bm` over storage[0..smph_bitmap2_words(bits)) with every bit free.
 * Not concurrent: init time only. */
void smph_bitmap2_init(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits);

/* As smph_bitmap2_init(), with every bit clear (a set that starts empty). */
void smph_bitmap2_init_empty(struct smph_bitmap2 *bm, smph_aword_t *storage, uint32_t bits);

/* Claims one free bit (the lowest it finds). Returns its index, or
 * SMPH_NO_BIT if none was free when looked at. Lock-free. */
uint32_t smph_bitmap2_claim(const struct smph_bitmap2 *bm);

/* Called by a claimer that emptied leaf `li` (or found it empty): clears the
 * leaf's summary bit without hiding a concurrent release (see bitmap.c). */
void smph_bitmap2_summary_clear(const struct smph_bitmap2 *bm, uint32_t li);

/* The claim fast path: one try at the first leaf the summary points to, the
 * full search out of line when that fails. Same contract as
 * smph_bitmap2_claim(). */
static inline uint32_t smph_bitmap2_claim_fast(const struct smph_bitmap2 *bm)
{
	/* Relaxed: the summary is a hint; the leaf CAS takes ownership. */
	smph_word_t sum = smph_load(&bm->summary[0], smph_relaxed);

	if (__builtin_expect(sum != 0, 1)) {
		uint32_t li = smph_ctz(sum);
		smph_aword_t *leaf = &bm->leaf[li];
		smph_word_t w = smph_load(leaf, smph_relaxed);
		smph_word_t low = w & (~w + 1);

		/* Acquire on success: see smph_bitmap2_claim(). */
		if (__builtin_expect(w != 0, 1) &&
		    smph_cas_weak(leaf, &w, w & ~low, smph_acquire, smph_relaxed)) {
			if (__builtin_expect((w & ~low) == 0, 0))
				smph_bitmap2_summary_clear(bm, li);
			return (li << SMPH_WORD_SHIFT) + smph_ctz(low);
		}
	}
	return smph_bitmap2_claim(bm);
}

/* Frees bit `i`. 0, or -EALREADY if it was free already (nothing changes:
 * of two racing releases of one bit exactly one gets 0). Lock-free. */
static inline int smph_bitmap2_release(const struct smph_bitmap2 *bm, uint32_t i)
{
	uint32_t li = i >> SMPH_WORD_SHIFT;
	smph_word_t b = smph_bit(i);
	/* Release: the owner's writes to the block happen before the next
	 * claimer's acquire CAS reads this word. */
	smph_word_t old = smph_fetch_or(&bm->leaf[li], b, smph_release);

	if (__builtin_expect((old & b) != 0, 0))
		return -EALREADY;
	/* The leaf was empty, so its summary bit may be clear: set it
	 * (release, pairing with summary_clear's acq_rel AND). */
	if (__builtin_expect(old == 0, 0))
		smph_fetch_or(&bm->summary[li >> SMPH_WORD_SHIFT], smph_bit(li), smph_release);
	return 0;
}

/* Claims every free bit of the leaf word that holds the lowest free bit, in
 * one atomic exchange, and returns them (0: none free); *first gets the index
 * of that word's bit 0. Used by the word-claim cache. Lock-free. */
smph_word_t smph_bitmap2_claim_word(const struct smph_bitmap2 *bm, uint32_t *first);

/* Frees every bit of `bits` in the leaf word that starts at index `first`
 * (a word returned by smph_bitmap2_claim_word, perhaps partly used).
 * Returns the bits that were free already (0 when all is well). */
smph_word_t smph_bitmap2_release_word(const struct smph_bitmap2 *bm, uint32_t first,
				      smph_word_t bits);

/* 1 if bit `i` is free now, else 0. */
static inline int smph_bitmap2_is_free(const struct smph_bitmap2 *bm, uint32_t i)
{
	/* Relaxed: a snapshot for diagnostics and error classification. */
	return (smph_load(&bm->leaf[i >> SMPH_WORD_SHIFT], smph_relaxed) & smph_bit(i)) != 0;
}

/* Free bits now (a snapshot). */
uint32_t smph_bitmap2_count_free(const struct smph_bitmap2 *bm);

/* 0 if every non-empty leaf has its summary bit set and no bit beyond `bits`
 * is set; else -EUCLEAN. Exact only when no operation is in flight. */
int smph_bitmap2_check(const struct smph_bitmap2 *bm);

/* ---- flat bitmaps: runs ---- */

/* Sets bits [first, first+n) of `map` to 1 (n may span words). Release order:
 * makes the previous owner's writes visible to the next claimer. A run in
 * one word is one atomic OR, inline; longer runs go out of line. */
void smph_bits_set_run_slow(smph_aword_t *map, uint32_t first, uint32_t n);
static inline void smph_bits_set_run(smph_aword_t *map, uint32_t first, uint32_t n)
{
	unsigned lo = first & (SMPH_WORD_BITS - 1);

	if (__builtin_expect(lo + n <= SMPH_WORD_BITS, 1))
		/* Release: see above. */
		smph_fetch_or(&map[first >> SMPH_WORD_SHIFT], smph_mask(lo, n), smph_release);
	else
		smph_bits_set_run_slow(map, first, n);
}

/* Clears bits [first, first+n), which must all be 1, with CAS word by word in
 * ascending order; on a conflict (a bit already 0) restores what it cleared
 * and returns the index of the conflicting word's first bit in the run, or
 * SMPH_NO_BIT on success. Acquire order on success. */
uint32_t smph_bits_claim_run(smph_aword_t *map, uint32_t first, uint32_t n);

/* Claims, with one CAS, the lowest run of `n` (1 <= n <= word bits) 1-bits
 * of *word that lies within `in` and starts at a bit of `starts_ok`. Its
 * first bit, or SMPH_NO_BIT if the word has none (in its latest value).
 * Acquire order on success. */
uint32_t smph_bits_claim_in_word(smph_aword_t *word, smph_word_t in, uint32_t n,
				 smph_word_t starts_ok);

/* Index of the first run of `n` 1-bits in map[0..bits) that starts at a
 * multiple of `align` (relative to bit 0) at or after `from`, in a relaxed
 * snapshot; SMPH_NO_BIT if none. */
uint32_t smph_bits_find_run(const smph_aword_t *map, uint32_t bits, uint32_t from, uint32_t n,
			    uint32_t align);

/* Index of the first 1 bit at or after `from` (below `bits`), or
 * SMPH_NO_BIT. Relaxed snapshot. The word holding `from` is looked at
 * inline; the search goes out of line past it. */
uint32_t smph_bits_find_set_slow(const smph_aword_t *map, uint32_t bits, uint32_t from);
static inline uint32_t smph_bits_find_set(const smph_aword_t *map, uint32_t bits, uint32_t from)
{
	smph_word_t w;

	if (__builtin_expect(from >= bits, 0))
		return SMPH_NO_BIT;
	/* Relaxed: a snapshot, as the declaration says. */
	w = smph_load(&map[from >> SMPH_WORD_SHIFT], smph_relaxed) &
	    (SMPH_WORD_ONES << (from & (SMPH_WORD_BITS - 1)));
	if (__builtin_expect(w != 0, 1)) {
		uint32_t i = (from & ~(SMPH_WORD_BITS - 1)) + smph_ctz(w);

		return i < bits ? i : SMPH_NO_BIT;
	}
	return smph_bits_find_set_slow(map, bits, from);
}

/* Atomically sets / clears bit i; returns 1 if it was set before, else 0.
 * `mo` is the caller's, and should be a constant. */
static inline int smph_bit_test_and_set(smph_aword_t *map, uint32_t i, smph_order mo)
{
	smph_word_t b = smph_bit(i);

	return (smph_fetch_or(&map[i >> SMPH_WORD_SHIFT], b, mo) & b) != 0;
}

static inline int smph_bit_test_and_clear(smph_aword_t *map, uint32_t i, smph_order mo)
{
	smph_word_t b = smph_bit(i);

	return (smph_fetch_and(&map[i >> SMPH_WORD_SHIFT], (smph_word_t)~b, mo) & b) != 0;
}

static inline int smph_bit_test(const smph_aword_t *map, uint32_t i)
{
	/* Relaxed: callers use this for snapshots and for bits only they change. */
	return (smph_load(&map[i >> SMPH_WORD_SHIFT], smph_relaxed) & smph_bit(i)) != 0;
}

/* ---- hints: a two-level bitmap used as a set of "may have a free block" ---- */

/* Adds i to the set (release: pairs with smph_hint_clear()'s acq_rel AND). */
static inline void smph_hint_set(const struct smph_bitmap2 *bm, uint32_t i)
{
	(void)smph_bitmap2_release(bm, i);
}

/* Takes i out of the set with an acq_rel AND (clearing the summary bit too
 * if the leaf emptied, by the summary protocol). The caller then looks again
 * at what bit i stands for and calls smph_hint_set() if it still holds: the
 * same re-read argument as smph_bitmap2_summary_clear(), one level down. */
void smph_hint_clear(const struct smph_bitmap2 *bm, uint32_t i);

/* First member of the set at or after `from`, or SMPH_NO_BIT. Relaxed
 * snapshot. */
uint32_t smph_hint_next(const struct smph_bitmap2 *bm, uint32_t from);

/* ---- slab words (runtime zone) ----
 *
 * A slab of n blocks has one word: its blocks in bits 0..n-1 (1 = free),
 * its LIVE bit at bit n (`live`; `full` = live - 1 is the mask of its
 * blocks), and two marks at the top: PIN while it is a core's current slab,
 * HELD while a thread cache holds it. LIVE sits just above a class's own
 * blocks so that "all free" (live | full) is a value no live slab of another
 * block count can have: a retirer delayed while the slab was retired and
 * cut again cannot mistake the new slab's word for its all-free one
 * (tests/model/slab.pml, -DSHARED_LIVE, shows the ABA a fixed LIVE bit
 * allows). A claim takes a bit only from a word live for its class; the
 * retire CAS turns an all-free word with no mark into 0; a free is one OR. */
#define SMPH_SLAB_PIN ((smph_word_t)1 << (SMPH_WORD_BITS - 1))
#define SMPH_SLAB_HELD ((smph_word_t)1 << (SMPH_WORD_BITS - 2))
#define SMPH_SLAB_MAX_BLOCKS (SMPH_WORD_BITS - 3)
/* In a slab's `remote` word (tcache.h): set while a thread cache holds the
 * slab, together with the blocks other threads freed into it. */
#define SMPH_REMOTE_HELD ((smph_word_t)1 << (SMPH_WORD_BITS - 1))

/* How one try of a claim in a slab word ended. */
enum smph_slab_try {
	SMPH_SLAB_TOOK,	 /* a block taken: *idx, and the word's free blocks after it in *left */
	SMPH_SLAB_EMPTY, /* nothing taken: the word is not live for the class, or has no free block
			  */
	SMPH_SLAB_RACED, /* nothing taken: the CAS lost to another claim or a free */
};

/* One try at the lowest free block of a word live for a class whose LIVE
 * bit is `live` (its free blocks: the bits below), with one CAS. Inline,
 * with a test and an exit for each way it ends, so that a fast path that
 * leaves on any of them builds no boolean (GCC did, for the combined
 * conditions, on Xtensa). */
static inline __attribute__((always_inline)) enum smph_slab_try
smph_slab_try_claim(smph_aword_t *word, smph_word_t live, uint32_t *idx, smph_word_t *left)
{
	/* Relaxed: the CAS decides. */
	smph_word_t w = smph_load(word, smph_relaxed), free, low;

	if (__builtin_expect(!(w & live), 0))
		return SMPH_SLAB_EMPTY;
	free = w & (live - 1);
	if (__builtin_expect(!free, 0))
		return SMPH_SLAB_EMPTY;
	low = free & (~free + 1);
	/* Acquire on success: the block's last owner released it with a
	 * release OR, and the slab's cutter published its page table entry
	 * with a release store; both are behind us. low is a bit of w, so
	 * w ^ low takes it. */
	if (__builtin_expect(!smph_cas_weak(word, &w, w ^ low, smph_acquire, smph_relaxed), 0))
		return SMPH_SLAB_RACED;
	*left = free ^ low;
	*idx = smph_bit_index(low);
	return SMPH_SLAB_TOOK;
}

/* Takes up to `max` free blocks of a live word with one CAS (acquire, as
 * every claim); returns them (0: none). *left as above. */
smph_word_t smph_slab_take(smph_aword_t *word, smph_word_t live, uint32_t max, smph_word_t *left);

/* Frees `bits` of a slab word with one OR (release: the owner's writes to
 * the blocks happen before the next claimer's acquire). Returns the old word. */
static inline smph_word_t smph_slab_release(smph_aword_t *word, smph_word_t bits)
{
	return smph_fetch_or(word, bits, smph_release);
}

/* The retire CAS: an all-free, unmarked word (live | full) to 0. True if it
 * won: from then on no claim can take a bit of the word. */
bool smph_slab_retire(smph_aword_t *word, smph_word_t all);

/* Sets `mark` (SMPH_SLAB_PIN or SMPH_SLAB_HELD) on a word live for `live`:
 * true if this call set it (false: dead, or marked already). Acquire: a
 * new holder sees the last holder's stores (published by the release
 * below). */
bool smph_slab_mark(smph_aword_t *word, smph_word_t live, smph_word_t mark);

/* Clears `mark` (one AND, release); returns the old word. */
static inline smph_word_t smph_slab_unmark(smph_aword_t *word, smph_word_t mark)
{
	return smph_fetch_and(word, (smph_word_t)~mark, smph_release);
}

/* Takes `bit` back out of a word that is not live for `live` (a free that
 * raced the slab's retire ORed it there); stops as soon as it is live. */
void smph_slab_unstray(smph_aword_t *word, smph_word_t live, smph_word_t bit);

/* Number of 1 bits in [first, first+n). Relaxed snapshot. */
uint32_t smph_bits_count(const smph_aword_t *map, uint32_t first, uint32_t n);

#endif /* SMPH_BITMAP_H */
