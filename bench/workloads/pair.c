/* pair.c - `pair`: one allocation and its free, of one size, on one thread,
 * each operation timed (the latency of the fast path). */
#include "wl_internal.h"

void wl_pair(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	size_t size = (size_t)bench_arg_value(st, 0);
	enum strat_kind kind = strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_sum sum;

	while (bench_keep_running(st)) {
		uint64_t t0 = bench_cycles();
		void *p = strategy_alloc(s, t, size, kind);
		uint64_t t1 = bench_cycles();
		uint64_t a = wl_net(t1 - t0), f = 0;

		w->attempts++;
		if (p) {
			*(volatile char *)p = 1; /* touch it, outside the timed windows */
			uint64_t t2 = bench_cycles();
			strategy_free(s, t, p, kind);
			uint64_t t3 = bench_cycles();
			f = wl_net(t3 - t2);
			hist_record(&w->h[2], f);
		} else {
			w->failures++;
		}
		hist_record(&w->h[1], a);
		hist_record(&w->h[0], a + f);
		bench_set_iteration_cycles(st, a + f);
	}
	bench_set_items(st, (int64_t)bench_iterations_done(st));
	wl_end(st, d, t, &sum);
}
