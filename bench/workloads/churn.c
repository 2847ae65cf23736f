/* churn.c - `churn`: random sizes and random lifetimes around a fill level
 * of one zone, the same seeded sequence for every strategy; the failure
 * rate at that fill and the largest free block over the run. */
#include "wl_internal.h"

#define WL_CHURN_LIVE 8192		    /* live blocks at most */
#define WL_CHURN_SEED 0x2545f4914f6cdd1dull /* the one sequence every strategy gets */

static void *wl_churn_p[WL_CHURN_LIVE];
static uint32_t wl_churn_size[WL_CHURN_LIVE];

void wl_churn(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned fill = (unsigned)bench_arg_value(st, 0);
	enum strat_kind kind = bench_arg_value(st, 1) == 2 ? STRAT_BUFFER : STRAT_RUNTIME;
	unsigned lo = kind == STRAT_BUFFER ? 8 : 4, hi = kind == STRAT_BUFFER ? 15 : 12;
	unsigned ti;
	void *t = (wl_idle_heap(s), wl_begin(st, d, &ti));
	struct wl_thread *w = &wl_t[ti];
	size_t cap = s->bounded ? s->ops->capacity(s, kind) : d->ref_capacity[kind];
	size_t target = cap / 100 * fill, size;
	struct wl_live live = {wl_churn_p, wl_churn_size, 0, WL_CHURN_LIVE, 0};
	rng_t x = rng_seed(WL_CHURN_SEED, 0);
	uint64_t ops = 0;
	struct wl_sum sum;

	/* fill to the target first (not timed) */
	while (live.bytes < target && live.n < live.max) {
		void *p;

		size = (size_t)rng_log_size(&x, lo, hi);
		p = strategy_alloc(s, t, size, kind);
		if (!p)
			break;
		wl_live_add(&live, p, size);
	}
	while (bench_keep_running(st)) {
		uint64_t c;

		/* a random walk around the target: below it, three operations in
		 * four allocate; above it, one in four. Lifetimes are random (a
		 * random victim), and a failed allocation does not trap the loop
		 * in allocating, so the failure rate is the heap's at that fill. */
		unsigned r = rng_below(&x, 4);
		bool alloc =
		    live.n == 0 || (live.n < live.max && (live.bytes < target ? r < 3 : r < 1));

		if (alloc) {
			size = (size_t)rng_log_size(&x, lo, hi);
			uint64_t t0 = bench_cycles();
			void *p = strategy_alloc(s, t, size, kind);
			uint64_t t1 = bench_cycles();

			c = wl_net(t1 - t0);
			w->attempts++;
			hist_record(&w->h[1], c);
			if (p)
				wl_live_add(&live, p, size);
			else
				w->failures++;
		} else {
			void *p = wl_live_take(&live, rng_below(&x, live.n), &size);
			uint64_t t0 = bench_cycles();
			strategy_free(s, t, p, kind);
			uint64_t t1 = bench_cycles();

			c = wl_net(t1 - t0);
			hist_record(&w->h[2], c);
		}
		hist_record(&w->h[0], c);
		bench_set_iteration_cycles(st, c);
		if ((++ops & 255) == 0 && s->ops->largest_free)
			wl_sample_largest_free(w, s->ops->largest_free(s, kind));
	}
	while (live.n)
		strategy_free(s, t, wl_live_take(&live, live.n - 1, &size), kind);
	wl_end(st, d, t, &sum);
}
