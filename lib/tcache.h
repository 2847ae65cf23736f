/* tcache.h - the word-claim cache (per thread slot, runtime zone).
 *
 * Why: one locked read-modify-write costs about as much as a whole
 * thread-cached malloc+free pair elsewhere, and the pure lock-free path needs
 * two per pair. A thread takes the free blocks of a slab's word (up to the
 * class's cache_max) with one CAS and then hands them out, and takes back
 * its own frees into that word, with plain instructions. A held slab (its
 * word's HELD mark) is never retired, so the held word stays the slab's.
 *
 * Other threads' frees of a held slab's blocks do not go to the slab's word,
 * which anyone may claim from, but into its `remote` word with one atomic
 * OR: only the holder's give-back moves them on, merged with its own free
 * blocks. So a block freed twice at once, once by the holder into its cache
 * and once by another thread into `remote`, is in two places no one else
 * can hand out: the holder finds it (in `remote` when it would hand it out,
 * or when it gives the word back), counts the second free as a bad free,
 * puts the bytes back into `used`, and hands the block out once.
 *
 * Double frees stay detected at once otherwise: cached[granule] (written
 * only by the word's one holder, with relaxed stores) says which blocks sit
 * free in a cache, and every free checks it, the word and `remote`. A double
 * free that races with the block's hand-out, to a caller or into a cache,
 * is, as always, undetectable.
 */
#ifndef SMPH_TCACHE_H
#define SMPH_TCACHE_H

#include "internal.h"

/* Takes a new word of class k's free blocks into slot t (the core's current
 * slab if no other thread holds it, else a partly free slab, else a new one)
 * and hands one out; NULL if none is to be had (the caller then takes the
 * pure path). Out of line: once per word. */
void *smph_tcache_refill(struct smpheap *h, struct smph_tcache *t, unsigned core, unsigned k,
			 size_t *block);

/* Gives every block slot t holds back to its slabs. Only t's own thread may
 * call it (nothing else ever touches a slot's cache). */
void smph_tcache_flush(struct smpheap *h, struct smph_tcache *t);

/* Frees block `idx` of the slab at page s, whose word some thread holds,
 * into the slab's `remote` (see above): 0 or -EALREADY. */
int smph_tcache_free_remote(struct smpheap *h, uint32_t s, unsigned k, uint32_t idx);

/* Registers a heap so threads can find it to flush; false if full. */
bool smph_registry_add(struct smpheap *h);

/* Whether the lowest block of `bits` (the held word's, not 0) was freed by
 * another thread too while it sat here: a double free, which the give-back
 * counts; it is never handed out (the caller goes to the slow path, whose
 * refill gives this word back). Relaxed: a free that returned before this
 * allocation began is visible through whatever ordered the two; one racing
 * the hand-out is undetectable. */
static inline bool smph_tcache_doubled(const struct smph_tcache_class *c, smph_word_t bits)
{
	return smph_unlikely(smph_load(c->remote, smph_relaxed) & (bits & (~bits + 1)));
}

/* smph_tcache_take() once smph_tcache_doubled() said no. */
static inline void *smph_tcache_take_checked(struct smph_tcache_class *c, smph_word_t bits,
					     uint32_t block)
{
	unsigned i = smph_ctz(bits);

	bits &= bits - 1;
	c->bits = bits;
	c->held--;
	/* Relaxed: only the holder writes *cached; other threads read it
	 * only to recognise a double free. */
	smph_store(c->cached, bits, smph_relaxed);
	return (void *)(c->base + (uintptr_t)i * block);
}

/* One block from the slot's held word of class `c` (block size `block`),
 * whose free bits `bits` are not 0, or NULL for a double free found there.
 * Inline: this is the path that takes no atomic read-modify-write. */
static inline void *smph_tcache_take(struct smph_tcache_class *c, smph_word_t bits, uint32_t block)
{
	return smph_tcache_doubled(c, bits) ? NULL : smph_tcache_take_checked(c, bits, block);
}

/* As smph_tcache_take(), or NULL if the held word has no free block. */
static inline void *smph_tcache_pop(struct smph_tcache_class *c, uint32_t block)
{
	smph_word_t bits = c->bits;

	return bits ? smph_tcache_take(c, bits, block) : NULL;
}

/* Takes back the block at p if it belongs to the held word of `c` and
 * there is room: true if it did. Safe for any p, so a caller may guess `c`
 * (free tries the thread's last-used class first): the span test places p
 * in that slab, the division test on a block start. False sends the caller
 * on, and a double free (the bit already set here or in the word) to the
 * slab's word, which answers it. */
static inline bool smph_tcache_push(struct smph_tcache_class *c, uintptr_t p)
{
	uintptr_t rel = p - c->base;
	const struct smph_class_geom *g = c->geom;
	uint32_t i;
	smph_word_t b;

	if (rel >= c->span || c->held >= g->cache_max)
		return false;
	i = smph_block_div(g, rel);
	if (smph_unlikely(i == SMPH_NO_BIT))
		return false;
	b = smph_bit(i); /* Relaxed: snapshots of the word and of other threads' frees (only a
			  * double free finds one set); a free racing ours is caught later. */
	if (smph_unlikely(
		(c->bits & b) ||
		((smph_load(c->leafword, smph_relaxed) | smph_load(c->remote, smph_relaxed)) & b)))
		return false;
#ifdef SMPHEAP_POISON
	smph_poison((void *)p, g->block_size);
#endif
	c->bits |= b;
	c->held++;
	/* Relaxed: see smph_tcache_take(). */
	smph_store(c->cached, c->bits, smph_relaxed);
	return true;
}

#endif
