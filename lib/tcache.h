/* tcache.h - the word-claim cache (per thread slot, runtime zone).
 *
 * Why: one locked read-modify-write costs about as much as a whole
 * thread-cached malloc+free pair elsewhere, and the pure lock-free path needs
 * two per pair. A thread takes the free blocks of a whole leaf word (up to
 * the class's cache_max) from its own shard with one atomic exchange and
 * then hands them out, and takes back its own frees into that word, with
 * plain instructions. Every other free stays one atomic OR into the shard.
 *
 * Double frees stay detected: cached[leaf] (written only by the word's one
 * holder, with relaxed stores) says which blocks sit free in a cache, and a
 * free from any thread checks it. A double free that races with the
 * block's hand-out is, as always, undetectable.
 */
#ifndef SMPH_TCACHE_H
#define SMPH_TCACHE_H

#include "internal.h"

/* Takes a new word of class k's free blocks from `core`'s shard into slot t
 * and hands one out; NULL if the shard has none to give (the caller then
 * takes the pure path). */
void *smph_tcache_refill(struct smpheap *h, struct smph_tcache *t, unsigned core, unsigned k,
			 size_t *block);

/* Gives every block slot t holds back to its shard. Only t's thread, or a
 * controller while that thread is parked, may call it. */
void smph_tcache_flush(struct smpheap *h, struct smph_tcache *t);

/* Registers a heap so threads can find it to flush; false if full. */
bool smph_registry_add(struct smpheap *h);

/* One block from the slot's held word of class k, or NULL. Inline: this is
 * the path that takes no atomic read-modify-write. */
static inline void *smph_tcache_pop(struct smpheap *h, struct smph_tcache *t, unsigned core,
				    unsigned k)
{
	struct smph_tcache_class *c = &t->cls[k];
	const struct smph_class_geom *g = &h->geom[k];
	struct smph_shard *s = &h->shards[core];
	smph_word_t bits = c->bits;
	uint32_t idx;

	/* Relaxed: t->core is written only by this thread (or by core_down
	 * while it is parked); atomic only because core_down reads it. */
	if (smph_unlikely(!bits || atomic_load_explicit(&t->core, memory_order_relaxed) != core))
		return NULL;
	idx = (c->leaf << SMPH_WORD_SHIFT) + smph_ctz(bits);
	bits &= bits - 1;
	c->bits = bits;
	c->held--;
	/* Relaxed: only the holder writes cached[leaf]; other threads read it
	 * only to recognise a double free. */
	atomic_store_explicit(&s->cached[k][c->leaf], bits, memory_order_relaxed);
	return (void *)(s->base + g->offset + (uintptr_t)idx * g->block_size);
}

#endif
