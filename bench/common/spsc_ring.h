/* spsc_ring.h - the suite's one single-producer single-consumer ring
 * protocol, for bench/ (handoff) and stress/ (hand-offs between workers).
 *
 * Only the indices live here; the caller owns the slot array (of any element
 * type) and its size, a power of two. The producer reserves a slot, fills it,
 * publishes; the consumer peeks a slot, reads it, consumes. Indices run free
 * (unsigned wrap-around), so full is tail - head == slots.
 *
 * Memory orders:
 * - publish is a release store of tail: the slot's contents are written
 *   before a consumer can see the new tail; peek's acquire load of tail pairs
 *   with it;
 * - consume is a release store of head: the consumer's read of the slot
 *   happens before the producer may overwrite it; reserve's acquire load of
 *   head pairs with it;
 * - each side reads its own index relaxed: it is the only writer. */
#ifndef BENCH_COMMON_SPSC_RING_H
#define BENCH_COMMON_SPSC_RING_H

#include <stdatomic.h>
#include <stdbool.h>

#define SPSC_RING_LINE 64

struct spsc_ring {
	_Alignas(SPSC_RING_LINE) atomic_uint head; /* next slot to read; consumer writes */
	_Alignas(SPSC_RING_LINE) atomic_uint tail; /* next slot to fill; producer writes */
};

/* Producer: the slot index to fill, false if the ring is full. */
static inline bool spsc_ring_reserve(struct spsc_ring *r, unsigned slots, unsigned *slot)
{
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);

	if (tail - head == slots)
		return false;
	*slot = tail & (slots - 1);
	return true;
}

/* Producer: makes the reserved slot visible to the consumer. */
static inline void spsc_ring_publish(struct spsc_ring *r)
{
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
}

/* Consumer: the slot index to read, false if the ring is empty. */
static inline bool spsc_ring_peek(struct spsc_ring *r, unsigned slots, unsigned *slot)
{
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);

	if (head == tail)
		return false;
	*slot = head & (slots - 1);
	return true;
}

/* Consumer: hands the slot it read back to the producer. */
static inline void spsc_ring_consume(struct spsc_ring *r)
{
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);

	atomic_store_explicit(&r->head, head + 1, memory_order_release);
}

/* Blocks in the ring now (a snapshot when called by a third party). */
static inline unsigned spsc_ring_count(struct spsc_ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_acquire) -
	       atomic_load_explicit(&r->head, memory_order_acquire);
}

/* A third party, with both sides stopped: the slot of entry k (0: the
 * oldest) of the spsc_ring_count() entries in flight. */
static inline unsigned spsc_ring_slot_of(struct spsc_ring *r, unsigned slots, unsigned k)
{
	return (atomic_load_explicit(&r->head, memory_order_acquire) + k) & (slots - 1);
}

#endif
