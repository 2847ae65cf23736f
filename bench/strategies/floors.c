/* floors.c - the two floors: what one claim and one release of a bit cost
 * with atomics (the lock-free path's minimum) and without (plain code).
 *
 * Each thread owns its word (one cache line each), so the figures have no
 * contention: they are the hardware's price for the instructions alone.
 * They go through the same strategy interface as every allocator, so the
 * indirect calls and the workload's bookkeeping cost them the same. */
#include <stdatomic.h>

#include "strategy.h"

#define FLOOR_WORD_BITS                                                                            \
	((int)sizeof(unsigned long) * 8) /* the machine word, as the heap's bitmaps */

struct floor_slot {
	_Alignas(64) _Atomic unsigned long word; /* 1 = free; private to one thread */
	volatile unsigned long plain;		 /* the same, for the plain floor */
	unsigned char bytes[FLOOR_WORD_BITS];	 /* "blocks": one byte per bit */
};

static struct floor_slot floor_slots[STRAT_MAX_THREADS];

static void *floor_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	struct floor_slot *f = &floor_slots[thread % STRAT_MAX_THREADS];

	(void)s;
	(void)core;
	atomic_store_explicit(&f->word, ~0ul, memory_order_relaxed);
	f->plain = ~0ul;
	return f;
}

static void floor_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

static unsigned floor_lowest_bit(unsigned long w)
{
	return (unsigned)__builtin_ctzl(w);
}

static void *floor_atomic_alloc(struct strategy *s, void *t, size_t size, enum strat_kind k)
{
	struct floor_slot *f = t;
	unsigned long w = atomic_load_explicit(&f->word, memory_order_relaxed);

	(void)s;
	(void)size;
	(void)k;
	/* the claim a bitmap allocator makes: CAS the lowest free bit away */
	while (w) {
		unsigned long bit = w & (0 - w);

		if (atomic_compare_exchange_weak_explicit(
			&f->word, &w, w & ~bit, memory_order_acquire, memory_order_relaxed))
			return &f->bytes[floor_lowest_bit(bit)];
	}
	return NULL;
}

static int floor_atomic_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	struct floor_slot *f = t;
	unsigned i = (unsigned)((unsigned char *)p - f->bytes);

	(void)s;
	(void)k;
	atomic_fetch_or_explicit(&f->word, 1ul << i, memory_order_release);
	return 0;
}

static void *floor_plain_alloc(struct strategy *s, void *t, size_t size, enum strat_kind k)
{
	struct floor_slot *f = t;
	unsigned long w = f->plain, bit;

	(void)s;
	(void)size;
	(void)k;
	if (!w)
		return NULL;
	bit = w & (0 - w);
	f->plain = w & ~bit;
	return &f->bytes[floor_lowest_bit(bit)];
}

static int floor_plain_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	struct floor_slot *f = t;
	unsigned i = (unsigned)((unsigned char *)p - f->bytes);

	(void)s;
	(void)k;
	f->plain = f->plain | (1ul << i);
	return 0;
}

static int floor_owns(struct strategy *s, const void *p)
{
	const unsigned char *b = p;

	(void)s;
	return b >= floor_slots[0].bytes &&
	       b < floor_slots[STRAT_MAX_THREADS - 1].bytes + FLOOR_WORD_BITS;
}

static const struct strategy_ops floor_atomic_ops = {
    .thread_init = floor_thread_init,
    .thread_fini = floor_thread_fini,
    .alloc = floor_atomic_alloc,
    .free = floor_atomic_free,
    .owns = floor_owns,
};

static const struct strategy_ops floor_plain_ops = {
    .thread_init = floor_thread_init,
    .thread_fini = floor_thread_fini,
    .alloc = floor_plain_alloc,
    .free = floor_plain_free,
    .owns = floor_owns,
};

static void floor_init(struct strategy *s, const char *name, const char *what,
		       const struct strategy_ops *ops)
{
	unsigned i = 0;

	s->name = name;
	s->ops = ops;
	s->impl = NULL;
	s->heap = NULL;
	s->floor = true;
	s->bounded = false;
	s->max_runtime = 0;
	s->arena = 0;
	s->cores = 1;
	while (what[i] && i < sizeof(s->version) - 1) {
		s->version[i] = what[i];
		i++;
	}
	s->version[i] = 0;
}

void strategy_floor_atomic_init(struct strategy *s)
{
	floor_init(s, "floor-atomic", "CAS claim + atomic OR release on a private machine word",
		   &floor_atomic_ops);
}

void strategy_floor_plain_init(struct strategy *s)
{
	floor_init(s, "floor-plain", "plain bit clear + set on a private machine word",
		   &floor_plain_ops);
}
