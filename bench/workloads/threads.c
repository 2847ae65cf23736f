/* threads.c - `threads`: every thread pairs allocations and frees on its
 * own; throughput from untimed windows of pairs, latency from one timed pair
 * after each window. */
#include "wl_internal.h"

#define WL_THREADS_BATCH 16 /* pairs per timed window */

void wl_threads(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_sum sum;
	uint64_t last = 0;

	while (bench_keep_running(st)) {
		/* throughput: a window of pairs with no timer inside */
		uint64_t b0 = bench_cycles();

		if (!last)
			last = b0;
		for (unsigned i = 0; i < WL_THREADS_BATCH; i++) {
			void *p = strategy_alloc(s, t, size, kind);

			if (p) {
				*(volatile char *)p = 1;
				strategy_free(s, t, p, kind);
			} else {
				w->failures++;
			}
		}
		w->attempts += WL_THREADS_BATCH;
		/* latency: one more pair, each operation timed (not in the throughput) */
		uint64_t t0 = bench_cycles();
		void *p = strategy_alloc(s, t, size, kind);
		uint64_t t1 = bench_cycles();
		uint64_t a = wl_net(t1 - t0), f = 0;

		if (p) {
			*(volatile char *)p = 1;
			uint64_t t2 = bench_cycles();
			strategy_free(s, t, p, kind);
			uint64_t t3 = bench_cycles();
			f = wl_net(t3 - t2);
			hist_record(&w->h[2], f);
		}
		hist_record(&w->h[1], a);
		hist_record(&w->h[0], a + f);
		/* The iteration's time is wall time, not the window alone: with
		 * more threads than cores a thread is off the CPU for long
		 * stretches, and throughput must count them (a thread that runs
		 * its whole loop in one time slice would otherwise look as if
		 * it had a core to itself). Only the latency sample is taken out. */
		uint64_t now = bench_cycles();
		uint64_t wall = now - last, sample = now - t0;

		bench_set_iteration_cycles(st, wall > sample ? wall - sample : 0);
		last = now;
	}
	bench_set_items(st, (int64_t)bench_iterations_done(st) * WL_THREADS_BATCH);
	wl_end(st, d, t, &sum);
}
