/* batch.c - `batch`: N allocations then N frees in reverse order, as a
 * pipeline is built and taken down; `batch-sys`: N system allocations, then
 * the core's system heap is reset (or, for strategies without a reset, the
 * blocks freed one by one, untimed). */
#include "wl_internal.h"

#define WL_BATCH_MAX 4096 /* pointers per thread */

static void *wl_ptrs[STRAT_MAX_THREADS][WL_BATCH_MAX];

void wl_batch(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned n = (unsigned)bench_arg_value(st, 0);
	size_t size = (size_t)bench_arg_value(st, 1);
	bool sys = d->kind == WL_BATCH_SYS;
	enum strat_kind kind = sys ? STRAT_SYS : strategy_kind_for(s, size);
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	void **ptrs = wl_ptrs[ti];
	struct wl_sum done;

	if (n > WL_BATCH_MAX)
		n = WL_BATCH_MAX;
	while (bench_keep_running(st)) {
		uint64_t sum = 0;

		for (unsigned i = 0; i < n; i++) {
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

			ptrs[i] = p;
			w->attempts++;
			if (!p)
				w->failures++;
			hist_record(&w->h[1], a);
			hist_record(&w->h[0], a);
			sum += a;
		}
		if (sys && s->ops->sys_reset) {
			s->ops->sys_reset(s, ti); /* not timed: the teardown of a core */
		} else if (sys) {
			for (unsigned i = 0; i < n; i++)
				if (ptrs[i])
					strategy_free(s, t, ptrs[i], STRAT_RUNTIME);
		} else {
			/* teardown in reverse order, as a pipeline is taken down */
			for (unsigned i = n; i-- > 0;) {
				if (!ptrs[i])
					continue;
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, ptrs[i], kind);
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
				sum += f;
			}
		}
		bench_set_iteration_cycles(st, sum);
	}
	bench_set_items(st, (int64_t)(bench_iterations_done(st) * n * (sys ? 1 : 2)));
	wl_end(st, d, t, &done);
}
