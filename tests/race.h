/* race.h - what a test that races threads needs to prove that they raced:
 * a spinning barrier (pthread barriers wake the waiters too slowly for calls
 * that last a microsecond), a start stagger that sweeps the racers' offsets
 * across each other, and a shared in-flight counter that tells whether a
 * round really overlapped. Host tests only (sched_yield). */
#ifndef SMPHEAP_TEST_RACE_H
#define SMPHEAP_TEST_RACE_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

/* ---- a spinning barrier: pthread barriers wake too slowly to race ---- */

struct spin_barrier {
	_Atomic unsigned arrived, generation;
	unsigned n;
};

static inline void spin_wait(struct spin_barrier *b)
{
	unsigned gen = atomic_load(&b->generation);

	if (atomic_fetch_add(&b->arrived, 1) + 1 == b->n) {
		atomic_store(&b->arrived, 0);
		atomic_fetch_add(&b->generation, 1);
		return;
	}
	for (unsigned i = 0; atomic_load(&b->generation) == gen; i++)
		if (i > 20000) { /* two cores shared with other work: let the others run */
			sched_yield();
			i = 0;
		}
}

/* Spins for a delay that differs from round to round, on one side or the
 * other, so that the two racers' start offsets sweep across each other's
 * calls (the barrier's wake-up skew is longer than a free). */
static inline void stagger(unsigned round, bool first)
{
	unsigned n = (round >> 1) % 32;

	if ((round & 1) == first)
		for (volatile unsigned i = 0; i < n * 2; i++)
			;
}

/* ---- the proof of racing: a shared in-flight counter ---- */

struct inflight {
	_Atomic unsigned entered, left;
	_Atomic bool overlapped; /* this round */
	unsigned rounds_overlapped;
};

static inline void race_enter(struct inflight *f)
{
	unsigned before = atomic_fetch_add(&f->entered, 1);

	if (before > atomic_load(&f->left))
		atomic_store(&f->overlapped, true); /* someone is inside now */
}

static inline void race_leave(struct inflight *f)
{
	atomic_fetch_add(&f->left, 1);
}

/* Called by one thread between rounds, while nobody races. */
static inline void race_round_end(struct inflight *f)
{
	if (atomic_exchange(&f->overlapped, false))
		f->rounds_overlapped++;
	atomic_store(&f->entered, 0);
	atomic_store(&f->left, 0);
}

#endif
