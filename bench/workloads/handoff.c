/* handoff.c - `handoff`: even threads allocate and hand each block through
 * a single-producer single-consumer ring (bench/common/spsc_ring.h) to the
 * next odd thread, which frees it: every free is a free from another core. */
#include "spsc_ring.h"
#include "wl_internal.h"

#define WL_RING_SLOTS 64 /* a power of two */

struct wl_handoff_ring {
	struct spsc_ring idx;
	_Alignas(SPSC_RING_LINE) void *slot[WL_RING_SLOTS];
};
static struct wl_handoff_ring wl_rings[STRAT_MAX_THREADS / 2];

void wl_handoff(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_handoff_ring *ring = &wl_rings[ti / 2];
	bool producer = (ti % 2) == 0;
	bool alone = producer && ti + 1 >= bench_thread_count(st);
	uint64_t last = 0;
	unsigned spins = 0, slot;
	struct wl_sum sum;

	while (bench_keep_running(st)) {
		uint64_t now;

		if (!last)
			last = bench_cycles();
		if (producer) {
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

			w->attempts++;
			if (p)
				*(volatile char *)p = 1;
			else
				w->failures++;
			hist_record(&w->h[1], a);
			hist_record(&w->h[0], a);
			if (alone) { /* an odd thread count: the last producer frees itself */
				if (p)
					strategy_free(s, t, p, kind);
			} else {
				while (!spsc_ring_reserve(&ring->idx, WL_RING_SLOTS, &slot))
					bench_spin_wait(&spins);
				ring->slot[slot] = p;
				spsc_ring_publish(&ring->idx);
			}
		} else {
			void *p;

			while (!spsc_ring_peek(&ring->idx, WL_RING_SLOTS, &slot))
				bench_spin_wait(&spins);
			p = ring->slot[slot];
			spsc_ring_consume(&ring->idx);
			if (p) {
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, p, kind); /* a free from the other core */
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
			}
		}
		/* the ring's rate is what matters: each iteration costs its wall time */
		now = bench_cycles();
		bench_set_iteration_cycles(st, now - last);
		last = now;
	}
	if (producer)
		bench_set_items(st, (int64_t)bench_iterations_done(st));
	wl_end(st, d, t, &sum);
}
