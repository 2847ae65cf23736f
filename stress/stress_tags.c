/* stress_tags.c - the tags the stress driver writes over every block, and
 * their check.
 * Portable C11: see stress_core.h for what a driver supplies. */
#include "stress_internal.h"

/* ---- tags ----------------------------------------------------------------
 * Word i of a block (64-bit, i >= 1) is owner:16 | seq:24 | i:24, word 0 has
 * the length in place of the index, trailing bytes a byte hash. A word found
 * in the wrong place names the block that wrote it. */

/* A tag word as it lies in a block: a block is only as aligned as its
 * allocator makes it, which on a 32-bit core may be 4 bytes (TLSF's word
 * alignment, as ESP-IDF documents for its heap), so there the type says so
 * (GCC and Clang let a typedef lower an alignment). */
#if UINTPTR_MAX == 0xffffffffu
typedef uint64_t tag64_t __attribute__((aligned(4)));
#else
typedef uint64_t tag64_t;
#endif

static inline uint64_t tag_word(unsigned owner, uint32_t seq, uint64_t i)
{
	return ((uint64_t)(owner & 0xffffu) << 48) | ((uint64_t)(seq & 0xffffffu) << 24) |
	       (i & 0xffffffu);
}

static inline uint8_t tag_byte(unsigned owner, uint32_t seq, size_t j)
{
	return (uint8_t)(owner * 31u + seq * 7u + (unsigned)j * 13u + 0x5au);
}

void stress_tag_fill(void *p, size_t len, unsigned owner, uint32_t seq)
{
	tag64_t *w = p;
	size_t n = len / 8;
	for (size_t i = 0; i < n; i++)
		w[i] = tag_word(owner, seq, i ? i : len);
	uint8_t *b = p;
	for (size_t j = n * 8; j < len; j++)
		b[j] = tag_byte(owner, seq, j);
}

size_t stress_tag_check(const void *p, size_t len, unsigned owner, uint32_t seq, size_t limit)
{
	const tag64_t *w = p;
	size_t n = len / 8;
	size_t full = limit / 8 < n ? limit / 8 : n; /* words wholly below limit */
	for (size_t i = 0; i < full; i++)
		if (w[i] != tag_word(owner, seq, i ? i : len))
			return i * 8;
	const uint8_t *b = p;
	for (size_t j = n * 8; j < limit; j++)
		if (b[j] != tag_byte(owner, seq, j))
			return j;
	return limit;
}

/* Checks a whole block; on damage records the failure and returns false. */
bool stress_check_block(struct stress *s, int worker, uint64_t op, const struct stress_block *b,
			const char *what)
{
	size_t off = stress_tag_check(b->ptr, b->len, b->owner, b->seq, b->len);
	if (off == b->len)
		return true;
	const uint8_t *p = b->ptr;
	uint64_t got, expected;
	if (off < (size_t)b->len / 8 * 8) {
		got = ((const tag64_t *)b->ptr)[off / 8];
		expected = tag_word(b->owner, b->seq, off ? off / 8 : b->len);
	} else {
		got = p[off];
		expected = tag_byte(b->owner, b->seq, off);
	}
	stress_fail(s, worker, op, what, b->ptr, b->len, off, expected, got);
	return false;
}
